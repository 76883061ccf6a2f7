"""An alarm arrives, the village board shows it, nobody acknowledges, the township board shows
it escalated, the township worker acknowledges and resolves it: in a real browser, at a
desktop and at a phone viewport (375 px), against a vendor's real signed HTTP request."""

import datetime as dt
import json
import time
import urllib.request
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import TOWNSHIP_1, log_in, look, zh
from shegong.casework.models import Notification
from shegong.devices import services, signing, tasks
from shegong.devices.models import Alarm, DeviceKind
from shegong.regions.models import Region

from .conftest import EVENTS_URL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def station(world, settings):
    settings.SHEGONG_ALARM_BOARD_REFRESH = 1  # the live server runs in this process
    world.director = world.user(
        "wang.director", Role.VILLAGE_DIRECTOR, world.village_a, full_name="王主任"
    )
    world.township_worker = world.user(
        "zhao.worker",
        Role.TOWNSHIP_WORKER,
        Region.objects.get(code=TOWNSHIP_1),
        full_name="赵社工",
    )
    world.vendor, world.secret = services.vendor_create(name="安康守护")
    world.old = world.person("王秀英", world.village_a, born=dt.date(1946, 5, 8), sex="F")
    services.device_bind(
        by=world.director,
        person_id=world.old.pk,
        vendor=world.vendor,
        serial="SOS-0001",
        kind=DeviceKind.SOS_BUTTON,
        location="卧室",
    )
    return world


def pause_timers(page: Page) -> None:
    """Fake the page's clock and stop it: the board then polls only when the test moves the clock
    on (:func:`tick`), so no poll reaches the server while the test thread writes. The test
    database is an in-memory SQLite shared by the live server's threads, where a second writer
    fails at once instead of waiting."""
    start = timezone.now()
    page.clock.install(time=start)
    page.clock.pause_at(start + dt.timedelta(seconds=1))


def tick(page: Page) -> None:
    """Let the page's timers run for one board refresh (the htmx poll fires once)."""
    page.clock.run_for(1_000)


def send_sos(base_url: str, world) -> dict:
    """What a vendor platform does: a signed POST over HTTP."""
    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "serial": "SOS-0001",
            "type": "sos",
            "occurred_at": timezone.now().isoformat(),
            "data": {},
        }
    ).encode()
    headers = signing.signed_headers(world.vendor.key, world.secret, body, int(time.time()))
    request = urllib.request.Request(
        base_url + EVENTS_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        return json.loads(response.read())


def test_an_unacknowledged_sos_escalates_to_the_township_which_resolves_it(
    page, browsing, live_server, station
):
    answer = send_sos(live_server.url, station)
    alarm_id = answer["alarm_id"]
    assert alarm_id

    # The village director sees it on the board, waiting for the village station.
    pause_timers(page)
    log_in(page, "wang.director")
    page.goto("/alarms/")
    village_row = page.locator(f"#active-alarms [data-alarm='{alarm_id}']")
    expect(village_row).to_have_attribute("data-tier", "village")
    expect(village_row).to_have_attribute("data-severity", "critical")
    expect(village_row).to_have_attribute("data-status", "open")
    expect(village_row).to_contain_text("王秀英")
    expect(page.locator("#board-waiting")).to_have_attribute("data-count", "1")
    look(page, "alarm-board-village")

    # Nobody acknowledges: the deadline passes and the escalation task runs.
    Alarm.objects.filter(pk=alarm_id).update(ack_deadline=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.escalate_now(alarm_id, "village")

    # The village board shows it moved on at its next refresh, without a reload.
    tick(page)
    expect(village_row).to_have_attribute("data-tier", "township")
    expect(village_row.locator("[data-role=tier]")).to_contain_text(zh("escalated"))
    expect(page.locator("#board-waiting")).to_have_attribute("data-count", "0")

    # The township worker sees it escalated and acknowledges it from the board.
    township = browsing.new_page()
    pause_timers(township)
    log_in(township, "zhao.worker")
    township.goto("/alarms/")
    row = township.locator(f"#active-alarms [data-alarm='{alarm_id}']")
    expect(row).to_have_attribute("data-tier", "township")
    expect(row).to_have_attribute("data-status", "open")
    expect(row.locator("[data-role=tier]")).to_contain_text(zh("escalated"))
    expect(township.locator("#board-waiting")).to_have_attribute("data-count", "1")
    look(township, "alarm-board-township-escalated")
    row.locator("[data-action=acknowledge]").click()

    expect(row).to_have_attribute("data-status", "acknowledged")
    expect(row).to_contain_text("赵社工")
    look(township, "alarm-board-township-acknowledged")

    # … then opens it and resolves it.
    row.locator(f"a[href='/alarms/{alarm_id}/']").click()
    expect(township.locator("#alarm-status")).to_have_attribute("data-status", "acknowledged")
    expect(township.locator("#alarm-tier")).to_have_attribute("data-tier", "township")
    look(township, "alarm-detail-acknowledged")
    township.select_option("#outcome", "sent_to_hospital")
    township.fill("#resolve-note", "老人在家摔倒，已由家属陪同送县医院")
    township.locator("#resolve [type=submit]").click()

    expect(township.locator("#alarm-status")).to_have_attribute("data-status", "resolved")
    expect(township.locator("#resolve")).to_have_count(0)
    history = township.locator("#alarm-actions li[data-action]")
    expect(history).to_have_count(4)
    kinds = [item.get_attribute("data-action") for item in history.all()]
    assert kinds == ["raised", "escalated", "acknowledged", "resolved"]
    expect(township.locator("#alarm-actions")).to_contain_text("已由家属陪同送县医院")
    look(township, "alarm-detail-resolved")

    # The village board moves it to "resolved" at its next refresh, too.
    tick(page)
    expect(page.locator(f"#resolved-alarms [data-alarm='{alarm_id}']")).to_be_visible()
    expect(village_row).to_have_count(0)
    look(page, "alarm-board-village-resolved")

    alarm = Alarm.objects.get(pk=alarm_id)
    assert (alarm.status, alarm.tier, alarm.outcome) == ("resolved", "township", "sent_to_hospital")
    assert alarm.acknowledged_by == station.township_worker
    assert alarm.resolved_by == station.township_worker
    assert Notification.objects.filter(
        user=station.township_worker, key=f"alarm:{alarm_id}:township"
    ).exists()
    assert Notification.objects.filter(
        user=station.director, key=f"alarm:{alarm_id}:village"
    ).exists()
