"""The coverage page in a real browser: gaps in stations and staffing stand out."""

import re

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import DISTRICT, TOWNSHIP_1, log_in, look, zh
from shegong.regions.models import Region
from shegong.regions.services import station_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CELL_BACKGROUND = "el => getComputedStyle(el).backgroundColor"


@pytest.fixture
def staffed(world):
    """Village A and township 1 complete; village B without station or assistant; C empty."""
    township = Region.objects.get(code=TOWNSHIP_1)
    for region in (township, world.village_a, world.village_c):
        station_ensure(region)
    world.user("t.supervisor", Role.TOWNSHIP_SUPERVISOR, township)
    world.user("t.worker1", Role.TOWNSHIP_WORKER, township)
    world.user("t.worker2", Role.TOWNSHIP_WORKER, township)
    world.user("a.director", Role.VILLAGE_DIRECTOR, world.village_a)
    world.user("a.assistant", Role.VILLAGE_ASSISTANT, world.village_a)
    world.user("b.director", Role.VILLAGE_DIRECTOR, world.village_b)
    world.user("leader", Role.VIEWER, Region.objects.get(code=DISTRICT))
    return world


def village_row(page, village):
    return page.locator("#village-coverage tbody tr", has_text=village.name)


def test_the_coverage_page_highlights_missing_stations_and_staff(page, staffed):
    log_in(page, "leader")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # a viewer starts from the figures
    page.goto("/regions/coverage/")
    expect(page.locator("h1")).to_have_text(zh("Station coverage and staffing"))

    complete, no_station, empty = (
        village_row(page, staffed.village_a),
        village_row(page, staffed.village_b),
        village_row(page, staffed.village_c),
    )
    expect(complete).not_to_have_class(re.compile(r"\bgap-row\b"))
    expect(complete).to_contain_text(zh("complete"))
    expect(no_station).to_have_class(re.compile(r"\bgap-row\b"))
    expect(no_station).to_contain_text(zh("no station"))
    expect(no_station.locator(".colour-gap")).to_have_count(2)  # no station, no assistant
    expect(empty).to_have_class(re.compile(r"\bgap-row\b"))
    expect(empty.locator(".colour-gap")).to_have_count(2)  # no director, no assistant

    # The highlight must be visible on the cells, not only set on the row behind them.
    ok_colour = complete.locator("td").first.evaluate(CELL_BACKGROUND)
    gap_colour = no_station.locator("td").first.evaluate(CELL_BACKGROUND)
    assert gap_colour != ok_colour, f"gap rows look like complete rows ({gap_colour})"
    look(page, "coverage")

    page.get_by_label(zh("Only gaps")).check()
    expect(page).to_have_url(re.compile(r"gaps=1"))
    expect(no_station).to_be_visible()
    expect(complete).to_have_count(0)
    look(page, "coverage-only-gaps")
