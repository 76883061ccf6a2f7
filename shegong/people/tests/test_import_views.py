"""The import pages: upload → preview → confirm, the error file, progress, and scope."""

import datetime as dt
import io
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext

from shegong import progress
from shegong.accounts.models import Role
from shegong.factories import PersonFactory
from shegong.people import imports
from shegong.people.models import ImportJob, ImportStatus, OnExisting, Person
from shegong.people.tests.rosters import id_number, read_xlsx, xlsx
from shegong.progress import progress_set
from shegong.testing import login

pytestmark = pytest.mark.django_db

ZHANG = id_number(dt.date(1950, 3, 5), 13)
LI = id_number(dt.date(1948, 11, 20), 24)
CLEAN = [["姓名", "身份证号", "类别"], ["张建国", ZHANG, "低保"], ["李秀英", LI, "特困"]]
WITH_ERROR = [["姓名", "身份证号"], ["张建国", ZHANG], ["李秀英", "1.30111E+17"]]


def upload(client, rows, region, *, name="花名册.xlsx", **fields):
    data = {
        "file": SimpleUploadedFile(name, xlsx(rows)),
        "region_code": region.code,
        "category": "",
        "on_existing": OnExisting.UPDATE,
        **fields,
    }
    return client.post("/people/imports/", data)


def client_for(user) -> Client:
    return login(Client(), user)


@pytest.fixture
def job(regions, village_director):
    """A checked upload of the director's village with one error row."""
    created = imports.import_job_create(
        by=village_director,
        region_code=regions.village.code,
        filename="东庄村名单.xlsx",
        content=xlsx(WITH_ERROR),
    )
    return imports.import_job_check(created.pk)


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER, Role.COUNSELOR, Role.BANK_OFFICER])
def test_the_import_page_is_404_for_users_who_cannot_write_the_registry(make_user, role):
    response = client_for(make_user(role)).get("/people/imports/")

    assert response.status_code == 404


def test_the_import_page_needs_a_login(client, regions):
    response = client.get("/people/imports/")

    assert response.status_code == 302


def test_uploading_a_clean_file_shows_the_counts_and_the_confirm_button(director_client, regions):
    response = upload(director_client, CLEAN, regions.village)

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ImportStatus.CHECKED and job.original_name == "花名册.xlsx"
    page = director_client.get(response["Location"]).content.decode()
    assert 'data-count="new">2<' in page
    assert 'data-count="error">0<' in page
    assert 'id="confirm-import"' in page
    assert not Person.objects.exists()  # nothing is written before the confirmation


def test_uploading_a_file_with_errors_lists_them_and_offers_no_confirm_button(
    director_client, regions
):
    upload(director_client, WITH_ERROR, regions.village)

    job = ImportJob.objects.get()
    page = director_client.get(job.get_absolute_url()).content.decode()
    assert 'id="import-errors"' in page
    [error] = job.errors
    assert error["row"] == 3 and error["column"] == "身份证号"
    assert error["message"] in page
    assert f"<td>{gettext('row %(row)s') % {'row': 3}}</td>" in page
    assert f'<td data-label="{gettext("column")}">身份证号</td>' in page
    assert 'id="confirm-import"' not in page
    assert f"/people/imports/{job.pk}/errors.xlsx" in page


def test_confirming_imports_the_file_and_links_to_the_people(director_client, regions):
    upload(director_client, CLEAN, regions.village)
    job = ImportJob.objects.get()

    response = director_client.post(f"/people/imports/{job.pk}/confirm/", follow=True)

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert sorted(Person.objects.values_list("name", flat=True)) == ["张建国", "李秀英"]
    page = response.content.decode()
    assert 'data-count="new">2<' in page
    assert f"/people/?region={regions.village.code}" in page


def test_an_imported_persons_page_shows_the_import_in_the_history(
    director_client, village_director, regions
):
    upload(director_client, CLEAN, regions.village)
    job = ImportJob.objects.get()
    director_client.post(f"/people/imports/{job.pk}/confirm/")
    zhang = Person.objects.get(name="张建国")

    response = director_client.get(f"/people/{zhang.pk}/")

    assert response.status_code == 200
    [entry] = response.context["history"]
    assert entry.actor == village_director
    assert entry.changes_display_dict  # readable: a dict of field → (old, new)
    page = response.content.decode()
    assert str(village_director) in page
    assert zhang.id_number_masked in page and zhang.id_number not in page


def test_a_refused_confirmation_says_why_and_changes_nothing(director_client, job):
    response = director_client.post(f"/people/imports/{job.pk}/confirm/", follow=True)

    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert not Person.objects.exists()
    refused = gettext(
        "Only a checked file without errors can be imported. Fix the rows and upload again."
    )
    assert refused in response.content.decode()


def test_a_confirmation_after_the_registry_changed_fails_and_imports_nothing(
    director_client, regions, district_admin
):
    upload(director_client, CLEAN, regions.village)
    job = ImportJob.objects.get()
    PersonFactory(
        region=regions.far_village,
        name="李秀英",
        birth_date=dt.date(1948, 11, 20),
        sex="F",
        id_number=LI,
    )

    response = director_client.post(f"/people/imports/{job.pk}/confirm/", follow=True)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.message in response.content.decode()
    assert list(Person.objects.values_list("name", flat=True)) == ["李秀英"]


def test_confirm_only_accepts_post(director_client, job):
    assert director_client.get(f"/people/imports/{job.pk}/confirm/").status_code == 405


def test_an_upload_into_a_region_outside_the_users_area_creates_nothing(director_client, regions):
    response = upload(director_client, CLEAN, regions.sibling_village)

    assert response.status_code == 200
    assert "region_code" in response.context["form"].errors
    assert not ImportJob.objects.exists()


def test_an_upload_that_is_not_a_roster_file_is_refused_on_the_form(director_client, regions):
    response = upload(director_client, CLEAN, regions.village, name="名单.docx")

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        gettext("Only .xlsx, .xls and .csv files can be imported.")
    ]
    assert not ImportJob.objects.exists()


def test_an_unreadable_spreadsheet_fails_with_the_reason_on_the_page(director_client, regions):
    data = {
        "file": SimpleUploadedFile("名单.xls", b"\xd0\xcf\x11\xe0 broken"),
        "region_code": regions.village.code,
        "on_existing": OnExisting.UPDATE,
    }
    director_client.post("/people/imports/", data)

    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    page = director_client.get(job.get_absolute_url()).content.decode()
    assert 'id="job-message"' in page and job.message in page
    assert 'id="confirm-import"' not in page


def test_the_error_rows_download_as_xlsx_with_the_error_column(director_client, job):
    response = director_client.get(f"/people/imports/{job.pk}/errors.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "错误说明" in unquote(response["Content-Disposition"])
    header, *rows = read_xlsx(b"".join(response.streaming_content))
    assert header[-1] == "错误说明"
    assert [row[1] for row in rows] == ["李秀英"]


def test_a_clean_job_has_no_error_file(director_client, regions):
    upload(director_client, CLEAN, regions.village)
    job = ImportJob.objects.get()

    assert director_client.get(f"/people/imports/{job.pk}/errors.xlsx").status_code == 404


def test_another_villages_director_cannot_see_or_touch_the_job(make_user, regions, job):
    neighbour = client_for(make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village))

    assert neighbour.get(f"/people/imports/{job.pk}/").status_code == 404
    assert neighbour.get(f"/people/imports/{job.pk}/errors.xlsx").status_code == 404
    assert neighbour.post(f"/people/imports/{job.pk}/confirm/").status_code == 404
    assert neighbour.post(f"/people/imports/{job.pk}/retry/").status_code == 404
    assert job.original_name not in neighbour.get("/people/imports/").content.decode()


def test_a_township_worker_sees_the_jobs_of_the_townships_villages(make_user, job):
    township = client_for(make_user(Role.TOWNSHIP_WORKER))

    assert township.get(f"/people/imports/{job.pk}/").status_code == 200
    assert job.original_name in township.get("/people/imports/").content.decode()


def test_a_township_worker_of_another_township_gets_404(make_user, regions, job):
    other = client_for(make_user(Role.TOWNSHIP_WORKER, region=regions.other_township))

    assert other.get(f"/people/imports/{job.pk}/").status_code == 404


def test_a_running_job_shows_its_progress_and_polls(director_client, job):
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    progress_set(f"import:{job.pk}", "import", 40, 100)

    page = director_client.get(f"/people/imports/{job.pk}/").content.decode()
    partial = director_client.get(
        f"/people/imports/{job.pk}/", headers={"HX-Request": "true"}
    ).content.decode()

    assert 'id="import-status"' in page
    for html in (page, partial):
        assert 'hx-trigger="every 1s"' in html
        assert 'role="progressbar"' in html and "40 / 100" in html
        assert 'aria-valuenow="40"' in html
    assert "<html" not in partial


def test_a_finished_job_stops_polling(director_client, job):
    partial = director_client.get(
        f"/people/imports/{job.pk}/", headers={"HX-Request": "true"}
    ).content.decode()

    assert "hx-trigger" not in partial
    assert 'id="import-errors"' in partial


def test_a_stalled_job_can_be_checked_again(director_client, job, monkeypatch):
    """The worker died while checking: its last progress report is ten minutes old."""
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING, created_at=long_ago)
    with monkeypatch.context() as patched:
        patched.setattr(progress, "time", SimpleNamespace(time=long_ago.timestamp))
        progress_set(f"import:{job.pk}", "check", 1000, 5000)

    page = director_client.get(f"/people/imports/{job.pk}/").content.decode()
    assert f"/people/imports/{job.pk}/retry/" in page
    director_client.post(f"/people/imports/{job.pk}/retry/")

    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert job.count_error == 1


def test_a_job_that_is_still_making_progress_is_not_restarted(director_client, job):
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    progress_set(f"import:{job.pk}", "import", 10, 100)

    director_client.post(f"/people/imports/{job.pk}/retry/")

    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING


def test_the_import_list_shows_the_users_earlier_imports(director_client, job):
    page = director_client.get("/people/imports/").content.decode()

    assert job.original_name in page
    assert 'id="import-form"' in page


def test_a_gbk_csv_uploaded_through_the_page_is_read(director_client, regions):
    content = io.StringIO()
    content.write("姓名,身份证号,家庭住址\r\n张建国," + ZHANG + ",东庄村3号\r\n")
    data = {
        "file": SimpleUploadedFile("名单.csv", content.getvalue().encode("gbk")),
        "region_code": regions.village.code,
        "on_existing": OnExisting.UPDATE,
    }

    director_client.post("/people/imports/", data)

    job = ImportJob.objects.get()
    assert (job.status, job.count_new, job.count_error) == (ImportStatus.CHECKED, 1, 0)
