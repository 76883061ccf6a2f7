"""The dashboard page: each user sees the figures of their own area, drills down township →
village, and (staff only) follows a figure to the list behind it; outsiders get 404."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shegong.accounts.models import Role
from shegong.children.models import ChildProfile, Colour
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login

URL = "/dashboard/"


@pytest.fixture
def client_for(client):
    def make(user):
        return login(client, user)

    return make


def child(region, colour: str) -> ChildProfile:
    person = PersonFactory(region=region, birth_date=born_years_ago(9))
    return ChildProfile.objects.create(person=person, colour=colour)


def page_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def drill_links(html: str) -> list[str]:
    return re.findall(r'<tr data-region="\d+">\s*<td[^>]*><a href="\?region=(\d+)&', html)


def card_link(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}"><a [^>]*href="([^"]+)"', html)
    return unescape(found.group(1)) if found else ""


def figure(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}">(?:<a [^>]*>)?\s*([^<]+)', html)
    assert found, f"no figure {key}"
    return found.group(1).strip()


def test_a_district_admin_sees_the_figures_and_a_row_per_township(
    client_for, district_admin, regions
):
    child(regions.village, Colour.RED)
    child(regions.far_village, Colour.RED)
    html = page_of(client_for(district_admin).get(URL))
    assert figure(html, "colour_red") == "2"
    assert set(drill_links(html)) == {regions.township.prefix, regions.other_township.prefix}
    assert 'id="dashboard-charts"' in html
    assert "vendor/echarts/echarts.min.js" in html


def test_a_township_user_sees_their_villages(client_for, make_user, regions):
    child(regions.village, Colour.ORANGE)
    child(regions.far_village, Colour.ORANGE)  # another township
    html = page_of(client_for(make_user(Role.TOWNSHIP_SUPERVISOR)).get(URL))
    assert figure(html, "colour_orange") == "1"
    assert set(drill_links(html)) == {regions.village.prefix, regions.sibling_village.prefix}


def test_a_village_director_sees_their_village(client_for, village_director, regions):
    child(regions.village, Colour.BLUE)
    child(regions.sibling_village, Colour.BLUE)
    html = page_of(client_for(village_director).get(URL))
    assert figure(html, "colour_blue") == "1"
    assert f'data-area="{regions.village.prefix}"' in html
    assert drill_links(html) == []


def test_the_district_drills_down_to_a_township_and_then_a_village(
    client_for, district_admin, regions
):
    child(regions.village, Colour.RED)
    child(regions.sibling_village, Colour.RED)
    child(regions.far_village, Colour.RED)
    session = client_for(district_admin)

    township = page_of(session.get(URL, {"region": regions.township.prefix}))
    assert figure(township, "colour_red") == "2"
    assert set(drill_links(township)) == {regions.village.prefix, regions.sibling_village.prefix}
    assert f'data-region="{regions.district.prefix}"' in township  # the breadcrumb goes back up

    village = page_of(session.get(URL, {"region": regions.village.prefix}))
    assert figure(village, "colour_red") == "1"
    breadcrumb = village.split('id="trail"')[1].split("</ol>")[0]
    assert regions.district.name in breadcrumb and regions.township.name in breadcrumb


def test_staff_follow_a_figure_to_the_list_behind_it(client_for, make_user, regions):
    html = page_of(client_for(make_user(Role.TOWNSHIP_WORKER)).get(URL))
    assert f'href="/children/?colour=red&amp;region={regions.township.prefix}"' in html
    assert "/community/activities/?" in html
    assert card_link(html, "alarms_open") == (
        f"/alarms/?status=unacknowledged&region={regions.township.prefix}"
    )


def test_a_viewer_sees_figures_without_links_to_lists(client_for, make_user, regions):
    child(regions.village, Colour.RED)
    html = page_of(client_for(make_user(Role.VIEWER)).get(URL))
    assert figure(html, "colour_red") == "1"
    cards = html.split('id="figures"')[1].split('id="charts"')[0]
    assert "<a " not in cards
    for path in ("/people/?", "/children/?", "/alarms/", "/work/cases/"):
        assert path not in html.split("</nav>", 1)[1]
    assert set(drill_links(html)) == {regions.township.prefix, regions.other_township.prefix}


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.COUNSELOR, Role.INSTITUTION_OPERATOR])
def test_users_without_aggregates_get_404(client_for, make_user, role):
    assert client_for(make_user(role)).get(URL).status_code == 404


def test_a_region_outside_the_users_area_is_404(client_for, make_user, village_director, regions):
    elsewhere = client_for(village_director).get(URL, {"region": regions.far_village.prefix})
    assert elsewhere.status_code == 404
    township_user = make_user(Role.TOWNSHIP_WORKER)
    far = client_for(township_user).get(URL, {"region": regions.other_township.prefix})
    assert far.status_code == 404


def test_the_period_applies_and_a_bad_date_is_reported(client_for, district_admin):
    session = client_for(district_admin)
    html = page_of(session.get(URL, {"from": "2025-01-01", "to": "2025-01-31"}))
    assert "2025-01-01" in html.split('id="period"')[1].split("</p>")[0]
    assert 'href="?region=' in html and "from=2025-01-01&amp;to=2025-01-31" in html
    html = page_of(session.get(URL, {"from": "not a date"}))
    assert 'data-field-error="from"' in html


def test_the_charts_are_embedded_as_json(client_for, district_admin, regions):
    child(regions.village, Colour.RED)
    html = page_of(client_for(district_admin).get(URL))
    data = json.loads(html.split('id="dashboard-charts" type="application/json">')[1].split("<")[0])
    charts = {chart["id"] for chart in data}
    assert charts == {"colours", "visits", "alarms", "ack", "levels", "activities"}
    colours = next(chart for chart in data if chart["id"] == "colours")
    assert regions.township.name in colours["categories"]


def charts_of(html: str) -> dict[str, dict]:
    data = json.loads(html.split('id="dashboard-charts" type="application/json">')[1].split("<")[0])
    return {chart["id"]: chart for chart in data}


def test_a_chart_bar_opens_its_region_or_for_staff_its_list(client_for, make_user, regions):
    staff = charts_of(page_of(client_for(make_user(Role.TOWNSHIP_WORKER)).get(URL)))
    village = regions.village.prefix
    assert staff["colours"]["links"][0].startswith(f"?region={village}&from=")
    assert staff["visits"]["links"][0].startswith(f"/work/visits/?region={regions.township.prefix}")
    assert staff["levels"]["links"][-1].startswith("/elderly/?level=none&region=")
    assert staff["ack"]["links"] == []

    viewer = charts_of(page_of(client_for(make_user(Role.VIEWER)).get(URL)))
    assert viewer["colours"]["links"][0].startswith("?region=")  # dashboards, not lists
    assert viewer["visits"]["links"] == viewer["levels"]["links"] == []


def test_staff_and_viewers_land_on_the_dashboard(client_for, make_user, village_director):
    for user in (village_director, make_user(Role.VIEWER)):
        response = client_for(user).get("/")
        assert response.status_code == 302 and response["Location"] == URL


def test_the_query_count_does_not_grow_with_the_data(client_for, district_admin, regions):
    session = client_for(district_admin)
    child(regions.village, Colour.RED)
    session.get(URL)  # warm caches (sessions, content types)
    cache.clear()  # but not the figures: every figure counted in SQL
    with CaptureQueriesContext(connection) as small:
        page_of(session.get(URL))
    villages = (regions.village, regions.sibling_village, regions.far_village)
    for n in range(12):
        child(villages[n % 3], (Colour.RED, Colour.ORANGE, Colour.BLUE)[n % 3])
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        page_of(session.get(URL))
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
