"""Casework in a real browser, at a desktop and at a phone viewport (375 px)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shegong.accounts.models import Programme, Role
from shegong.browser_fixtures import log_in, look
from shegong.casework import services
from shegong.casework.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case(world):
    world.director = world.user("wang.director", Role.VILLAGE_DIRECTOR, world.village_a)
    child = world.person("司马小雨", world.village_a, born=dt.date(2016, 4, 12), sex="F")
    return services.case_open(by=world.director, person=child, programme=Programme.MINORS)


def test_a_village_director_records_a_visit_from_the_case_page(page, case, world):
    today = timezone.localdate()
    log_in(page, "wang.director")
    page.goto(case.get_absolute_url())

    expect(page.locator("h1")).to_contain_text("司马小雨")
    expect(page.locator("#case-stage")).to_have_attribute("data-stage", "intake")
    look(page, "case-detail")

    page.locator("a[href='#visit']").click()
    form = page.locator("#visit-form")
    expect(form.locator("[name=visited_on]")).to_have_value(today.isoformat())
    form.locator("label[for=mode-phone]").click()
    expect(form.locator("#mode-phone")).to_be_checked()
    form.locator("[name=seen]").fill("奶奶")
    form.locator("[name=observations]").fill("按时上学，情绪稳定")
    form.locator("[name=concerns]").fill("奶奶腿脚不便")
    form.locator("[name=next_visit_on]").fill((today + dt.timedelta(days=7)).isoformat())
    look(page, "case-visit-form")
    form.locator("[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/work/cases/{case.pk}/#visits$"))
    expect(page.locator("#visits")).to_contain_text("按时上学，情绪稳定")
    expect(page.locator(".alert-success")).to_be_visible()
    visit = Visit.objects.get()
    assert (visit.case_id, visit.mode, visit.seen, visit.visited_on) == (
        case.pk,
        "phone",
        "奶奶",
        today,
    )
    assert visit.visited_by == world.director
    look(page, "case-visit-recorded")


def test_my_work_on_a_phone(page, case, world):
    log_in(page, "wang.director")
    page.goto("/work/my-work/")

    expect(page.locator("#my-cases")).to_contain_text("司马小雨")
    look(page, "my-work")
    page.goto("/work/cases/")
    expect(page.locator("#cases")).to_contain_text("司马小雨")
    look(page, "case-list")
