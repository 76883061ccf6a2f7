"""A township social worker plans an activity, adds participants from the registry and a
volunteer, closes it as held, and sees the community overview count it (desktop and phone)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import log_in, look
from shegong.community.models import Activity, Volunteer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def township(world):
    world.worker = world.user("wang.worker", Role.TOWNSHIP_WORKER, world.village_a.parent)
    world.elders = [
        world.person("孙桂芝", world.village_a, born=dt.date(1941, 5, 6), sex="F"),
        world.person("孙德胜", world.village_b, born=dt.date(1939, 2, 3)),
    ]
    world.helper = Volunteer.objects.create(
        name="刘志愿", phone="13900000000", region=world.village_a,
        joined_on=dt.date(2024, 3, 1), registered=True, national_number="V130111001",
    )  # fmt: skip
    return world


def figure(page, key: str) -> int:
    return int(page.locator(f"[data-figure='{key}']").inner_text().strip())


def test_an_activity_with_participants_and_volunteers_is_held_and_counted(page, township):
    log_in(page, "wang.worker")
    page.goto("/community/overview/")
    look(page, "community-overview-before")
    held, person_times = figure(page, "activities_held"), figure(page, "person_times")

    page.goto("/community/activities/")
    page.locator("#new-activity").click()
    page.fill("#id_title", "重阳节健康讲座")
    page.select_option("#id_kind", "lecture")
    page.select_option("#id_region", township.village_a.code)
    page.select_option("#id_target_group", "elderly")
    page.fill("#id_place", "东王庄村委会")
    page.fill("#id_head_count", "3")
    look(page, "community-activity-form")
    page.locator("#activity-form [type=submit]").click()
    activity = Activity.objects.get()
    expect(page.locator("#activity-status")).to_be_visible()

    # Participants: found by name in the worker's township, ticked and added.
    page.locator("#add-participants").click()
    page.fill("#q", "孙")
    page.locator("#participant-search [type=submit]").click()
    for elder in township.elders:
        page.check(f"#person-{elder.pk}")
    look(page, "community-activity-participants")
    page.locator("#participant-add [type=submit]").click()
    expect(page.locator("[data-participant]")).to_have_count(2)

    page.locator("#add-volunteers").click()
    page.check(f"#volunteer-{township.helper.pk}")
    look(page, "community-activity-volunteers")
    page.locator("#volunteer-add [type=submit]").click()
    expect(page.locator(f"#volunteers [data-volunteer='{township.helper.pk}']")).to_be_visible()
    expect(page.locator("[data-figure='person-times']")).to_have_text("5")
    look(page, "community-activity-planned")

    page.fill("#id_summary", "为两位老人和三位村民讲解秋冬季慢病防护。")
    page.locator("#close-form [type=submit]").click()
    expect(page.locator("#reopen")).to_be_visible()
    look(page, "community-activity-held")
    activity.refresh_from_db()
    assert (activity.status, activity.person_times) == ("closed", 5)

    page.goto("/community/overview/")
    assert figure(page, "activities_held") == held + 1
    assert figure(page, "person_times") == person_times + 5
    look(page, "community-overview-after")

    # The figure leads to the list with the activity in it.
    page.locator("[data-figure='activities_held'] a").click()
    expect(page.locator(f"[data-activity='{activity.pk}']")).to_be_visible()
    look(page, "community-activity-list")
