"""The generic .xlsx export of lists: scope, filters, masking, the access log, the cap."""

from __future__ import annotations

import io
from urllib.parse import quote, unquote

import pytest
from openpyxl import load_workbook

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.children.models import ChildProfile, Colour
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import is_chinese, login

PEOPLE = "/people/"
CHILDREN = "/children/"
HEADER_ROW = 4


def workbook_of(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content)).active


def data_rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))


def column(sheet, index: int) -> list:
    return [row[index] for row in data_rows(sheet)]


@pytest.fixture
def township_worker(make_user, regions):
    return make_user(Role.TOWNSHIP_WORKER, region=regions.township, full_name="李乡镇")


@pytest.fixture
def people(regions):
    """Two people in the township (one in each village), one in the other township."""
    return {
        "own": PersonFactory(region=regions.village, name="王东庄", phone="13812345678"),
        "sibling": PersonFactory(region=regions.sibling_village, name="赵西庄"),
        "far": PersonFactory(region=regions.far_village, name="钱南营", phone="13900001111"),
    }


def test_people_export_holds_the_people_in_scope_only(client, township_worker, people):
    sheet = workbook_of(login(client, township_worker).get(PEOPLE, {"export": "xlsx"}))
    assert sorted(column(sheet, 0)) == sorted(["王东庄", "赵西庄"])


def test_people_export_applies_the_list_filters(client, township_worker, people, regions):
    login(client, township_worker)
    sheet = workbook_of(client.get(PEOPLE, {"export": "xlsx", "q": "东庄"}))
    assert column(sheet, 0) == ["王东庄"]
    sibling = regions.sibling_village.code
    sheet = workbook_of(client.get(PEOPLE, {"export": "xlsx", "region": sibling}))
    assert column(sheet, 0) == ["赵西庄"]
    assert "西庄村" in sheet.cell(row=2, column=1).value


def test_people_export_matches_the_list_page(client, district_admin, people):
    login(client, district_admin)
    page = client.get(PEOPLE, {"q": "庄"}).content.decode()
    sheet = workbook_of(client.get(PEOPLE, {"q": "庄", "export": "xlsx"}))
    names = column(sheet, 0)
    assert sorted(names) == sorted(["王东庄", "赵西庄"])
    assert all(name in page for name in names)
    assert "钱南营" not in page


def test_it_masks_id_numbers_and_phones(client, township_worker, people):
    sheet = workbook_of(login(client, township_worker).get(PEOPLE, {"export": "xlsx"}))
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    own = next(row for row in data_rows(sheet) if row[0] == "王东庄")
    id_cell = own[4]
    assert id_cell == people["own"].id_number_masked
    assert "*" in id_cell and id_cell != people["own"].id_number
    assert own[5] == people["own"].phone_masked != "13812345678"
    assert len(headers) == len(own)
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


def test_an_unmasked_export_is_logged(client, township_worker, people):
    login(client, township_worker)
    sheet = workbook_of(client.get(PEOPLE, {"export": "xlsx", "unmasked": "1"}))
    own = next(row for row in data_rows(sheet) if row[0] == "王东庄")
    assert own[4] == people["own"].id_number
    assert own[5] == "13812345678"
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert entry.user == township_worker
    assert entry.object_type == "people.person"
    assert entry.field == "id_number,phone"
    assert "2" in entry.detail


def test_an_unmasked_request_from_someone_who_may_not_reveal_stays_masked(
    client, township_worker, people, monkeypatch
):
    monkeypatch.setattr("shegong.accounts.scope.REVEAL_ROLES", frozenset())
    login(client, township_worker)
    sheet = workbook_of(client.get(PEOPLE, {"export": "xlsx", "unmasked": "1"}))
    own = next(row for row in data_rows(sheet) if row[0] == "王东庄")
    assert own[4] == people["own"].id_number_masked
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


@pytest.mark.parametrize("url", [PEOPLE, CHILDREN, "/elderly/"])
@pytest.mark.parametrize("role", [Role.VIEWER, Role.VOLUNTEER, Role.BANK_OFFICER])
def test_roles_without_lists_get_404(client, make_user, people, url, role):
    response = login(client, make_user(role)).get(url, {"export": "xlsx"})
    assert response.status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, people):
    response = client.get(PEOPLE, {"export": "xlsx"})
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_file_has_a_title_block_and_a_frozen_header(client, township_worker, people):
    sheet = workbook_of(login(client, township_worker).get(PEOPLE, {"export": "xlsx", "q": "庄"}))
    title, filters, who = (sheet.cell(row=r, column=1).value for r in (1, 2, 3))
    assert title
    assert "庄" in filters
    assert "李乡镇" in who
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    assert all(headers)
    assert sheet.column_dimensions["E"].width >= 18  # the ID number fits


def test_the_file_name_is_chinese_in_rfc_5987_form(client, township_worker, people, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = login(client, township_worker).get(
        PEOPLE, {"export": "xlsx"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    name = disposition.split("filename*=UTF-8''")[1]
    assert name.endswith(".xlsx")
    assert is_chinese(unquote(name))  # 人员台账…: percent-encoded UTF-8
    assert 'filename="' in disposition  # an ASCII fallback for old clients
    assert response["Cache-Control"] == "no-store"


def test_past_the_cap_it_goes_back_to_the_list_with_a_message(
    client, township_worker, people, settings
):
    settings.SHEGONG_EXPORT_MAX_ROWS = 1
    response = login(client, township_worker).get(PEOPLE, {"export": "xlsx", "q": "庄"})
    assert response.status_code == 302
    assert response["Location"] == f"{PEOPLE}?q={quote('庄')}"
    page = client.get(response["Location"])
    assert "2" in " ".join(str(m) for m in page.context["messages"])


def test_formulas_are_written_as_text(client, township_worker, regions):
    PersonFactory(region=regions.village, name="=HYPERLINK(1)")
    sheet = workbook_of(login(client, township_worker).get(PEOPLE, {"export": "xlsx"}))
    assert column(sheet, 0) == ["'=HYPERLINK(1)"]


def test_children_export_holds_the_filtered_files_in_scope(client, township_worker, regions):
    red = PersonFactory(region=regions.village, name="红孩", birth_date=born_years_ago(8))
    blue = PersonFactory(region=regions.sibling_village, name="蓝孩", birth_date=born_years_ago(9))
    far = PersonFactory(region=regions.far_village, name="远孩", birth_date=born_years_ago(7))
    ChildProfile.objects.create(person=red, colour=Colour.RED)
    ChildProfile.objects.create(person=blue, colour=Colour.BLUE)
    ChildProfile.objects.create(person=far, colour=Colour.RED)
    login(client, township_worker)
    sheet = workbook_of(client.get(CHILDREN, {"export": "xlsx"}))
    assert column(sheet, 1) == ["红孩", "蓝孩"]  # reddest first, as on the page
    assert column(sheet, 4) == [red.id_number_masked, blue.id_number_masked]
    sheet = workbook_of(client.get(CHILDREN, {"export": "xlsx", "colour": Colour.RED}))
    assert column(sheet, 1) == ["红孩"]


def test_children_list_offers_the_export_with_its_filters(client, township_worker, regions):
    response = login(client, township_worker).get(CHILDREN, {"colour": "red", "page": "2"})
    html = response.content.decode()
    assert "export=xlsx" in html
    assert "colour=red" in html and "unmasked=1" in html


@pytest.mark.parametrize("url", [PEOPLE, CHILDREN, "/elderly/"])
def test_the_query_count_does_not_grow_with_the_rows(client, township_worker, regions, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shegong.elderly.models import ElderlyProfile

    def add(n: int) -> None:
        # One person with a file in every programme serves all three lists.
        for _ in range(n):
            person = PersonFactory(
                region=regions.village, birth_date=born_years_ago(70), categories=["dibao"]
            )
            ChildProfile.objects.create(person=person, colour=Colour.RED)
            ElderlyProfile.objects.create(person=person)

    login(client, township_worker)
    add(2)
    with CaptureQueriesContext(connection) as few:
        workbook_of(client.get(url, {"export": "xlsx"}))
    add(5)
    with CaptureQueriesContext(connection) as more:
        workbook_of(client.get(url, {"export": "xlsx"}))
    assert len(more) == len(few)
