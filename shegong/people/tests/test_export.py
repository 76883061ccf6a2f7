"""Excel export of people lists: Chinese headers, scope, filters, masking and its log."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from shegong.accounts import scope
from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.factories import PersonFactory
from shegong.people import exports, selectors
from shegong.people.models import Category, ExportJob, ExportStatus, PersonStatus
from shegong.people.tests.rosters import read_xlsx
from shegong.testing import is_chinese, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions):
    """Three people in the director's village, one in the sibling village, one in the other
    township."""
    return {
        "zhang": PersonFactory(
            region=regions.village,
            name="张建国",
            phone="13800138000",
            address="东庄村3号",
            categories=[Category.DIBAO],
        ),
        "zhang_xiao": PersonFactory(
            region=regions.village, name="张小明", categories=[Category.TEKUN]
        ),
        "li": PersonFactory(region=regions.village, name="李秀英", sex="F"),
        "sibling": PersonFactory(region=regions.sibling_village, name="西庄人"),
        "far": PersonFactory(region=regions.far_village, name="南营人"),
    }


def export(client, **filters):
    """Start an export through the page; returns the job (it runs inline in tests)."""
    data = {"q": "", "region": "", "category": "", "status": "", **filters}
    response = client.post("/people/export/", data)
    job = ExportJob.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == f"/people/exports/{job.pk}/"
    return job


def download(client, job) -> list[list]:
    response = client.get(f"/people/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return read_xlsx(b"".join(response.streaming_content))


def names(rows) -> list[str]:
    return sorted(row[0] for row in rows[1:])


def test_the_export_has_chinese_column_headers(director_client, people):
    rows = download(director_client, export(director_client))

    assert rows[0] == exports.PEOPLE_HEADINGS
    assert all(is_chinese(heading) for heading in rows[0])


def test_the_export_holds_only_people_in_the_users_scope(director_client, people):
    job = export(director_client)

    assert job.status == ExportStatus.DONE and job.rows_total == 3
    assert names(download(director_client, job)) == ["张小明", "张建国", "李秀英"]


def test_a_township_worker_exports_the_whole_township(make_user, people):
    client = login(Client(), make_user(Role.TOWNSHIP_WORKER))

    assert names(download(client, export(client))) == ["张小明", "张建国", "李秀英", "西庄人"]


def test_the_export_applies_the_current_filters(make_user, regions, people):
    client = login(Client(), make_user(Role.TOWNSHIP_WORKER))

    assert names(download(client, export(client, q="张"))) == ["张小明", "张建国"]
    assert names(download(client, export(client, category=Category.DIBAO))) == ["张建国"]
    by_village = export(client, region=regions.sibling_village.code)
    assert names(download(client, by_village)) == ["西庄人"]
    assert by_village.params["region"] == regions.sibling_village.code


def test_merged_records_are_left_out_unless_asked_for(director_client, people):
    people["li"].status = PersonStatus.MERGED
    people["li"].save()

    assert "李秀英" not in names(download(director_client, export(director_client)))
    merged = export(director_client, status=PersonStatus.MERGED)
    assert names(download(director_client, merged)) == ["李秀英"]


def test_the_people_list_hands_its_current_filters_to_the_export(director_client, people):
    filters = {"q": "张", "category": "dibao"}
    page = director_client.get("/people/", filters).content.decode()
    live_search = director_client.get("/people/", filters, headers={"HX-Request": "true"})

    assert 'id="export-form"' in page
    for html in (page, live_search.content.decode()):  # the live search replaces them too
        assert '<input type="hidden" form="export-form" name="q" value="张">' in html
        assert '<input type="hidden" form="export-form" name="category" value="dibao">' in html


def test_id_numbers_and_phones_are_masked_by_default_and_nothing_is_logged(director_client, people):
    zhang = people["zhang"]

    rows = download(director_client, export(director_client))

    [row] = [r for r in rows if r[0] == "张建国"]
    id_column = exports.PEOPLE_HEADINGS.index("身份证号")
    phone_column = exports.PEOPLE_HEADINGS.index("联系电话")
    assert row[id_column] == zhang.id_number_masked != zhang.id_number
    assert row[phone_column] == zhang.phone_masked == "138****8000"
    assert not AccessLog.objects.exists()


def test_an_unmasked_export_by_a_user_who_may_reveal_is_full_and_logged(
    director_client, village_director, people
):
    zhang = people["zhang"]

    job = export(director_client, unmasked="1")

    assert job.unmasked
    [row] = [r for r in download(director_client, job) if r[0] == "张建国"]
    assert row[exports.PEOPLE_HEADINGS.index("身份证号")] == zhang.id_number
    assert row[exports.PEOPLE_HEADINGS.index("联系电话")] == "13800138000"
    entry = AccessLog.objects.get()
    assert (entry.user, entry.action) == (village_director, AccessAction.EXPORT)
    assert (entry.object_type, entry.object_id) == ("people.exportjob", str(job.pk))
    assert entry.detail.startswith("3 ")


def test_an_unmasked_export_is_masked_for_a_user_who_may_not_reveal(
    director_client, people, monkeypatch
):
    monkeypatch.setattr(scope, "can_reveal", lambda user: False)

    job = export(director_client, unmasked="1")

    assert not job.unmasked
    [row] = [r for r in download(director_client, job) if r[0] == "张建国"]
    assert row[exports.PEOPLE_HEADINGS.index("身份证号")] == people["zhang"].id_number_masked
    assert not AccessLog.objects.exists()


def test_a_user_cannot_see_or_download_another_users_export(
    director_client, make_user, regions, people, district_admin
):
    job = export(director_client)
    colleague = login(Client(), make_user(Role.VILLAGE_ASSISTANT))
    admin = login(Client(), district_admin)

    for other in (colleague, admin):
        assert other.get(f"/people/exports/{job.pk}/").status_code == 404
        assert other.get(f"/people/exports/{job.pk}/download/").status_code == 404


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER])
def test_users_without_the_registry_cannot_export(make_user, people, role):
    client = login(Client(), make_user(role))

    assert client.post("/people/export/", {"unmasked": "1"}).status_code == 404
    assert not ExportJob.objects.exists()


def test_export_only_accepts_post(director_client):
    assert director_client.get("/people/export/").status_code == 405


def test_text_that_looks_like_a_formula_is_neutralised(director_client, regions):
    PersonFactory(region=regions.village, name="张建国", address="=cmd|' /C calc'!A0", notes="+1+1")
    job = export(director_client)

    response = director_client.get(f"/people/exports/{job.pk}/download/")
    path = ExportJob.objects.get(pk=job.pk).file_path
    worksheet = load_workbook(path).worksheets[0]

    address = worksheet.cell(row=2, column=exports.PEOPLE_HEADINGS.index("住址") + 1)
    notes = worksheet.cell(row=2, column=exports.PEOPLE_HEADINGS.index("备注") + 1)
    for cell in (address, notes):
        assert cell.data_type == "s", f"{cell.value!r} would run as a formula"
        assert cell.value.startswith("'")
    assert address.value == "'=cmd|' /C calc'!A0"
    assert response.status_code == 200


def test_safe_cell_leaves_ordinary_values_alone():
    assert exports.safe_cell("张建国") == "张建国"
    assert exports.safe_cell(-3) == -3
    assert exports.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert exports.safe_cell("-2+3") == "'-2+3"


def test_the_export_page_polls_until_the_file_is_ready(director_client, village_director):
    job = ExportJob.objects.create(created_by=village_director, status=ExportStatus.RUNNING)

    partial = director_client.get(
        f"/people/exports/{job.pk}/", headers={"HX-Request": "true"}
    ).content.decode()

    assert 'hx-trigger="every 1s"' in partial and 'role="progressbar"' in partial
    assert director_client.get(f"/people/exports/{job.pk}/download/").status_code == 404


def test_a_finished_export_page_offers_the_download(director_client, people):
    job = export(director_client)

    page = director_client.get(f"/people/exports/{job.pk}/").content.decode()

    assert 'id="export-download"' in page and "hx-trigger" not in page


def test_the_export_runs_a_fixed_number_of_queries(village_director, regions):
    def queries_for_an_export() -> int:
        job = exports.export_job_create(
            by=village_director, filters=selectors.PeopleFilters(), unmasked=False
        )
        with CaptureQueriesContext(connection) as captured:
            exports.export_job_run(job.pk)
        return len(captured)

    PersonFactory.create_batch(2, region=regions.village, categories=[Category.DIBAO])
    few = queries_for_an_export()
    PersonFactory.create_batch(20, region=regions.village, categories=[Category.TEKUN])

    assert queries_for_an_export() == few
