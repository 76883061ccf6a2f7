"""The visits list: the visit records of the user's area, filtered like the dashboard counts
them (region, dates, programme; the justice-involved minors only for their own workers, and only
when chosen), paginated, and exported to .xlsx with the same rows, masked."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shegong.accounts.models import Programme, Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.casework.models import Visit
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login

pytestmark = pytest.mark.django_db

URL = "/work/visits/"
TODAY = timezone.localdate()
LAST_MONTH = TODAY.replace(day=1) - dt.timedelta(days=1)


def visit(person, by, *, programme=Programme.ELDERLY, on=TODAY, mode="home", seen=""):
    return Visit.objects.create(
        person=person, programme=programme, visited_on=on, mode=mode, visited_by=by, seen=seen
    )


def listed(client, **params) -> list[int]:
    """The visits on the page, in order."""
    response = client.get(URL, params)
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in re.findall(r'data-visit="(\d+)"', response.content.decode())]


def total(client, **params) -> int:
    html = client.get(URL, params).content.decode()
    return int(re.search(r'id="result-count" data-total="(\d+)"', html).group(1))


def exported(client, **params) -> list[tuple]:
    response = client.get(URL, {"export": "xlsx", **params})
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(min_row=5, values_only=True))


@pytest.fixture
def people(regions):
    """An old man in the director's village, one in the sibling village, one in the other
    township."""
    return {
        "own": PersonFactory(region=regions.village, name="王东庄", birth_date=born_years_ago(80)),
        "sibling": PersonFactory(
            region=regions.sibling_village, name="李西庄", birth_date=born_years_ago(75)
        ),
        "far": PersonFactory(
            region=regions.far_village, name="赵南营", birth_date=born_years_ago(70)
        ),
    }


def test_a_visit_outside_the_users_area_is_neither_listed_nor_exported(
    director_client, village_director, outsider, people
):
    own = visit(people["own"], village_director)
    visit(people["far"], outsider)

    assert listed(director_client) == [own.pk]
    rows = exported(director_client)
    assert [row[3] for row in rows] == ["王东庄"]
    assert rows[0][4] == people["own"].id_number_masked != people["own"].id_number


def test_a_village_user_sees_their_village_and_a_township_user_their_villages(
    director_client, client, village_director, supervisor, people
):
    own = visit(people["own"], village_director)
    sibling = visit(people["sibling"], supervisor)

    assert listed(director_client) == [own.pk]
    township = login(client, supervisor)
    assert sorted(listed(township)) == sorted([own.pk, sibling.pk])


def test_juvenile_visits_are_only_for_the_juvenile_programme_and_only_when_chosen(
    director_client, client, village_director, make_user, people
):
    elderly = visit(people["own"], village_director)
    juvenile = visit(people["own"], village_director, programme=Programme.JUVENILE)

    assert listed(director_client) == [elderly.pk]
    assert listed(director_client, programme=Programme.JUVENILE) == []
    assert 'value="juvenile"' not in director_client.get(URL).content.decode()
    assert len(exported(director_client)) == 1

    worker = make_user(Role.TOWNSHIP_WORKER)
    worker.memberships.update(programmes=[Programme.JUVENILE])
    session = login(client, worker)
    assert listed(session) == [elderly.pk]  # as the dashboard counts
    assert listed(session, programme=Programme.JUVENILE) == [juvenile.pk]
    assert len(exported(session, programme=Programme.JUVENILE)) == 1


def test_filters_by_region_dates_programme_mode_and_worker(
    client, supervisor, village_director, people
):
    today = visit(people["own"], village_director)
    earlier = visit(people["own"], supervisor, on=LAST_MONTH, mode="phone")
    sibling = visit(people["sibling"], supervisor, programme=Programme.MINORS)
    session = login(client, supervisor)
    village = people["own"].region_id

    assert listed(session) == [sibling.pk, today.pk, earlier.pk]
    assert sorted(listed(session, region=village)) == sorted([today.pk, earlier.pk])
    first = TODAY.replace(day=1).isoformat()
    assert sorted(listed(session, region=village, **{"from": first})) == [today.pk]
    assert listed(session, to=LAST_MONTH.isoformat()) == [earlier.pk]
    assert listed(session, programme=Programme.MINORS) == [sibling.pk]
    assert listed(session, mode="phone") == [earlier.pk]
    assert listed(session, worker=village_director.pk) == [today.pk]
    assert total(session, region=village, **{"from": first}, to=TODAY.isoformat()) == 1
    rows = exported(session, region=village)
    assert [row[0].date() for row in rows] == [TODAY, LAST_MONTH]


def test_newest_first_and_paginated(director_client, village_director, people, settings):
    settings.SHEGONG_PAGE_SIZE = 2
    days = [TODAY - dt.timedelta(days=n) for n in range(3)]
    made = [visit(people["own"], village_director, on=day) for day in days]
    assert listed(director_client) == [made[0].pk, made[1].pk]
    assert listed(director_client, page=2) == [made[2].pk]
    assert total(director_client) == 3


def test_a_bad_date_is_reported_and_left_out(director_client, village_director, people):
    visit(people["own"], village_director)
    html = director_client.get(URL, {"from": "not a date"}).content.decode()
    assert 'data-field-error="from"' in html
    assert listed(director_client, **{"from": "not a date"}) != []


def test_an_unmasked_export_is_for_those_who_may_reveal_and_is_logged(
    director_client, village_director, people
):
    visit(people["own"], village_director)
    rows = exported(director_client, unmasked="1")
    assert rows[0][4] == people["own"].id_number
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert (entry.user, entry.object_type) == (village_director, "casework.visit")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.VOLUNTEER, Role.COUNSELOR])
def test_users_without_the_registry_get_404(client, make_user, role):
    session = login(client, make_user(role))
    assert session.get(URL).status_code == 404
    assert session.get(URL, {"export": "xlsx"}).status_code == 404


# session, user, memberships, count, regions and workers of the filters, the page, the session
# saved (three, in a savepoint)
VISIT_LIST_QUERIES = 10


def test_the_query_count_does_not_grow_with_visits(
    director_client, village_director, people, django_assert_num_queries
):
    visit(people["own"], village_director)
    director_client.get(URL)  # warm the session
    with django_assert_num_queries(VISIT_LIST_QUERIES):
        director_client.get(URL)
    for n in range(10):
        person = PersonFactory(region=people["own"].region, birth_date=born_years_ago(70 + n))
        visit(person, village_director)
    with django_assert_num_queries(VISIT_LIST_QUERIES):
        response = director_client.get(URL)
    assert len(response.context["visits"]) == 11


def test_the_list_fits_a_phone_and_is_linked_from_cases_and_my_work(
    director_client, village_director, people
):
    visit(people["own"], village_director)
    html = director_client.get(URL).content.decode()
    table = html.split('<div class="table-responsive">', 1)[1]
    assert table.lstrip().startswith('<table class="table table-hover align-middle" id="visits">')
    # On a phone only the date and the person (with the rest below the name) are columns.
    header = table.split("</thead>", 1)[0]
    assert header.count("<th>") == 2
    assert 'href="/work/visits/"' in director_client.get("/work/cases/").content.decode()
    assert 'href="/work/visits/"' in director_client.get("/work/my-work/").content.decode()


def test_the_exports_filter_line_names_the_worker(director_client, village_director, people):
    visit(people["own"], village_director)
    response = director_client.get(URL, {"export": "xlsx", "worker": village_director.pk})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    heading = " ".join(
        str(cell) for row in sheet.iter_rows(max_row=3, values_only=True) for cell in row if cell
    )
    assert village_director.display_name in heading
    assert f": {village_director.pk}" not in heading
