"""A centre worker logs in, lands on the district's dashboard with its charts drawn, and drills
down to a township by its row; on a desktop and on a phone, without sideways scrolling."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import DISTRICT, log_in, look
from shegong.children.models import ChildProfile, Colour
from shegong.regions.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district(world):
    world.user("zhou.centre", Role.CENTER_WORKER, Region.objects.get(code=DISTRICT))
    for name, village, colour in (
        ("王小红", world.village_a, Colour.RED),
        ("李小明", world.village_b, Colour.ORANGE),
        ("赵小刚", world.village_c, Colour.BLUE),
    ):
        person = world.person(name, village, born=dt.date(2015, 3, 4))
        ChildProfile.objects.create(person=person, colour=colour)
    return world


def expect_charts_drawn(page) -> None:
    charts = page.locator(".dashboard-chart")
    expect(charts.first).to_be_visible()
    for n in range(charts.count()):
        expect(charts.nth(n).locator("canvas")).to_have_count(1)


def test_the_dashboard_shows_charts_and_drills_down_to_a_township(page, district):
    log_in(page, "zhou.centre")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("#area")).to_have_attribute("data-area", DISTRICT[:6])
    expect(page.locator("[data-figure=colour_red]")).to_have_text("1")
    expect_charts_drawn(page)
    look(page, "dashboard-district")

    township = district.village_a.parent
    page.locator(f"#breakdown tr[data-region='{township.code}'] td:first-child a").click()
    expect(page.locator("#area")).to_have_attribute("data-area", township.code[:9])
    expect(page.locator("#area")).to_have_text(township.name)
    expect(page.locator("[data-figure=colour_orange]")).to_have_text("1")
    expect(page.locator("[data-figure=colour_blue]")).to_have_text("0")
    expect(page.locator(f"#breakdown tr[data-region='{district.village_a.code}']")).to_be_visible()
    expect_charts_drawn(page)
    look(page, "dashboard-township")

    page.locator("#trail a").first.click()  # back up to the district
    expect(page.locator("#area")).to_have_attribute("data-area", DISTRICT[:6])


def test_staff_follow_the_figures_to_their_lists(page, district):
    """On a phone too: the visits, service orders, cases and alarms behind the cards."""
    from django.utils import timezone

    from shegong.casework.models import Case, Visit
    from shegong.elderly.models import ServiceOrder

    elder = district.person("刘大爷", district.village_a, born=dt.date(1940, 5, 6))
    worker = district.creator
    Visit.objects.create(
        person=elder, programme="elderly", visited_on=timezone.localdate(), mode="home",
        visited_by=worker, seen="刘大爷和老伴",
    )  # fmt: skip
    ServiceOrder.objects.create(
        person=elder, kind="meals", requested_by=worker, requester_type="worker",
        due_on=timezone.localdate(),
    )  # fmt: skip
    Case.objects.create(person=elder, programme="elderly", owner=worker)
    log_in(page, "zhou.centre")
    for key, step in (
        ("visits", "visits-list"),
        ("service_orders", "orders-list"),
        ("cases_opened", "cases-list"),
        ("alarms_in_period", "alarms-found"),
    ):
        page.goto("/dashboard/")
        page.locator(f"[data-figure={key}] a").click()
        expect(page.locator("[data-total]")).to_have_attribute(
            "data-total", "0" if key.startswith("alarms") else "1"
        )
        look(page, step)
