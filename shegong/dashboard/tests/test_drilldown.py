"""Every figure drills down to the list behind it: a staff user who follows a card or a cell of
the per-township/village table finds a list whose count is the figure, for the area and the
period shown (district → township → village → the records)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from shegong.accounts.models import Programme, Role
from shegong.dashboard.views import COLUMNS
from shegong.testing import login

from .conftest import START, TODAY

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
DISTRICT, TOWNSHIP, VILLAGE = "130111", "130111100", "130111100201"

# Cards whose figure is not a count of the list's rows: the coverage page is a table per
# township and village (stations, staff and gaps per row, no total); the visit rate is a
# percentage (its page shows the same rate); person-times are a sum over the activities listed.
NOT_A_COUNT = {"stations", "staff", "staffing_gaps", "visit_rate", "person_times"}
# Lists that may hold more than the figure (none: every list narrows to the figure's rows).
WIDER_LIST: set[str] = set()
# The lists of the period's figures: their links must carry the period.
TIME_BASED = {
    "visits", "visits_this_month", "alarms_in_period", "service_orders", "cases_opened",
    "cases_closed", "activities_held", "person_times", "resource_links",
}  # fmt: skip


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def cards(html: str) -> dict[str, tuple[str, str]]:
    """key → (figure, link) of every card with a link."""
    found = re.findall(r'data-figure="(\w+)"><a [^>]*href="([^"]+)">\s*([^<]+)', html)
    return {key: (value.strip(), unescape(link)) for key, link, value in found}


def cells(html: str) -> list[tuple[str, str, str, str]]:
    """(row region, column, link, figure) of every linked cell of the breakdown table."""
    table = html.split('id="breakdown"', 1)[1].split("</table>", 1)[0]
    found = []
    for code, row in re.findall(r'<tr data-region="(\d+)">(.*?)</tr>', table, re.S):
        figures = re.findall(r'<td class="text-end">(.*?)</td>', row)
        assert len(figures) == len(COLUMNS)
        for (key, _label), cell in zip(COLUMNS, figures, strict=True):
            link = re.match(r'<a href="([^"]+)">([^<]+)</a>', cell)
            if link:
                found.append((code, key, unescape(link.group(1)), link.group(2).strip()))
    return found


def list_count(html: str) -> str:
    """The total a list page shows: its data-total, or the number its count line starts with."""
    for pattern in (
        r'data-total="(\d+)"',
        r'id="result-count"[^>]*>\D*(\d+)',
        # The volunteer list's count line has no id of its own.
        r'<p class="small text-body-secondary mb-0 me-auto">\D*(\d+)',
    ):
        found = re.search(pattern, html)
        if found:
            return found.group(1)
    raise AssertionError("the list shows no count")


@pytest.fixture
def staff(client, district_admin):
    return login(client, district_admin)


@pytest.mark.parametrize("area", [DISTRICT, TOWNSHIP, VILLAGE])
def test_every_card_lists_as_many_records_as_its_figure(data, staff, area):
    html = page_of(staff.get(URL, {"region": area}))
    linked = cards(html)
    assert {"visits", "visits_this_month", "service_orders", "alarms_open"} <= set(linked)
    wrong = {}
    for key, (value, link) in linked.items():
        if key in NOT_A_COUNT:
            continue
        shown = list_count(page_of(staff.get(link)))
        if shown != value and not (key in WIDER_LIST and int(shown) >= int(value)):
            wrong[key] = (link, value, shown)
    assert wrong == {}


@pytest.mark.parametrize("area", [DISTRICT, TOWNSHIP])
def test_every_cell_lists_as_many_records_as_it_shows(data, staff, area):
    html = page_of(staff.get(URL, {"region": area}))
    found = cells(html)
    rows = {code for code, *_rest in found}
    if area == DISTRICT:  # two townships and the district's own level
        assert rows == {"130111100000", "130111103000", "130111000000"}
    else:  # two villages and the township's own station
        assert rows == {"130111100201", "130111100202", "130111100000"}
    wrong = {}
    for code, key, link, value in found:
        region = parse_qs(urlsplit(link).query).get("region", [""])[0]
        if key in NOT_A_COUNT:
            continue
        assert code.startswith(region) and len(region) == len(area) + 3, (code, link)
        shown = list_count(page_of(staff.get(link)))
        if shown != value and not (key in WIDER_LIST and int(shown) >= int(value)):
            wrong[(code, key)] = (link, value, shown)
    assert wrong == {}


def test_a_cell_links_to_its_rows_list_and_the_name_still_drills_down(data, staff):
    html = page_of(staff.get(URL, {"region": TOWNSHIP}))
    row = html.split('<tr data-region="130111100202">', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="?region=130111100202&amp;from={START}&amp;to={TODAY}">' in row
    assert f"/work/visits/?region=130111100202&amp;from={START}&amp;to={TODAY}" in row
    assert "/alarms/?status=unacknowledged&amp;region=130111100202" in row


def test_the_period_goes_with_every_time_based_link(data, staff):
    html = page_of(staff.get(URL, {"from": "2025-01-05", "to": "2025-02-20"}))
    linked = cards(html)
    for key in TIME_BASED:
        query = parse_qs(urlsplit(linked[key][1]).query)
        assert query["to"] == ["2025-02-20"], key
        expected = "2025-02-01" if key == "visits_this_month" else "2025-01-05"
        assert query["from"] == [expected], key
    assert parse_qs(urlsplit(linked["visit_rate"][1]).query)["month"] == ["2025-02"]
    # As of now, whatever the period: alarms not acknowledged / resolved, open cases by stage.
    for key in ("alarms_open", "alarms_unresolved", "cases_intake"):
        assert "from" not in parse_qs(urlsplit(linked[key][1]).query), key


def test_a_village_user_follows_cards_to_their_village(data, client, village_director):
    session = login(client, village_director)
    linked = cards(page_of(session.get(URL)))
    for key in ("visits", "service_orders", "cases_opened", "alarms_in_period"):
        value, link = linked[key]
        assert parse_qs(urlsplit(link).query)["region"] == [VILLAGE]
        assert list_count(page_of(session.get(link))) == value, key


def test_a_juvenile_worker_finds_the_dashboards_counts_too(data, client, make_user, regions):
    """The dashboard leaves the justice-involved minors out; so do the lists, unless that
    programme is chosen, even for someone who works in it."""
    worker = make_user(Role.CENTER_WORKER, region=regions.district)
    worker.memberships.update(programmes=[Programme.JUVENILE])
    session = login(client, worker)
    linked = cards(page_of(session.get(URL)))
    for key in ("visits", "cases_opened", "cases_intake"):
        value, link = linked[key]
        assert list_count(page_of(session.get(link))) == value, key
    juvenile = page_of(session.get("/work/visits/", {"programme": Programme.JUVENILE}))
    assert list_count(juvenile) == "5"  # one per region, this month


def test_a_viewer_gets_no_links_in_the_table(data, client, make_user):
    html = page_of(login(client, make_user(Role.VIEWER)).get(URL))
    table = html.split('id="breakdown"', 1)[1].split("</table>", 1)[0]
    assert cells(html) == []
    assert "/work/" not in table and "/alarms/" not in table


def test_the_children_cards_list_exactly_the_children_counted(data, staff, regions):
    """Orphans count as children in difficulty; adults still carrying the category and
    children who moved away do not: the list behind the card agrees."""
    from shegong.factories import PersonFactory, born_years_ago
    from shegong.people.models import PersonCategory

    def recorded(category, *, age, status="active"):
        person = PersonFactory(region=regions.village, birth_date=born_years_ago(age))
        person.status = status
        person.save(update_fields=["status"])
        PersonCategory.objects.create(person=person, category=category)

    recorded("orphan", age=6)
    recorded("child_in_difficulty", age=30)  # grown up
    recorded("child_in_difficulty", age=12, status="moved")
    recorded("left_behind_child", age=19)
    html = page_of(staff.get(URL, {"region": VILLAGE}))
    linked = cards(html)
    for key in ("children_special", "children_left_behind"):
        value, link = linked[key]
        assert list_count(page_of(staff.get(link))) == value, key
