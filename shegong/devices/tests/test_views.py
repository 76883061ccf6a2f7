"""The alarm board, an alarm's page, binding devices, the unmatched events and vendors."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from shegong.accounts.models import Role
from shegong.devices import services
from shegong.devices.models import ActionKind, AlarmStatus, Device, Outcome, Vendor
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login

from .conftest import bind, event_body, ingest, raise_alarm

pytestmark = pytest.mark.django_db

BOARD = "/alarms/"
HTMX = {"HX-Request": "true"}


def minutes_ago(minutes: int) -> dt.datetime:
    # The board reads the real clock (recently resolved = the last 24 hours).
    return timezone.now() - dt.timedelta(minutes=minutes)


def board_rows(html: str) -> list[tuple[int, str]]:
    """(alarm id, status) of the unresolved alarms, in board order."""
    if 'id="active-alarms"' not in html:
        return []
    active = html.split('id="active-alarms"', 1)[1].split('id="resolved-alarms"', 1)[0]
    rows = re.findall(r'data-alarm="(\d+)" data-status="(\w+)"', active)
    return [(int(pk), status) for pk, status in rows]


def page(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def client_for(client, make_user, role, region=None):
    return login(client, make_user(role, region=region))


# ---- the board ------------------------------------------------------------------------------


@pytest.fixture
def mixed_alarms(vendor, device, village_director):
    """Five alarms of one device, raised in this order over the last hour."""
    low = raise_alarm(vendor, "low_battery", now=minutes_ago(60))
    old_critical = raise_alarm(vendor, "smoke", now=minutes_ago(50))
    medium = raise_alarm(vendor, "inactivity", now=minutes_ago(40), hours=20)
    acknowledged = raise_alarm(vendor, "fall", now=minutes_ago(30))
    services.alarm_acknowledge(by=village_director, alarm_id=acknowledged.pk, now=minutes_ago(29))
    new_critical = raise_alarm(vendor, "sos", now=minutes_ago(20))
    resolved = raise_alarm(vendor, "gas", now=minutes_ago(10))
    services.alarm_resolve(
        by=village_director, alarm_id=resolved.pk, outcome=Outcome.FALSE_ALARM, now=minutes_ago(5)
    )
    return {
        "order": [
            (old_critical.pk, "open"),
            (new_critical.pk, "open"),
            (medium.pk, "open"),
            (low.pk, "open"),
            (acknowledged.pk, "acknowledged"),
        ],
        "resolved": resolved,
    }


def test_the_board_lists_open_alarms_most_urgent_first(director_client, mixed_alarms):
    html = page(director_client, BOARD)

    assert board_rows(html) == mixed_alarms["order"]
    resolved = html.split('id="resolved-alarms"', 1)[1]
    assert f'data-alarm="{mixed_alarms["resolved"].pk}"' in resolved
    assert 'data-count="4"' in html  # open and with the village: waiting for the director


def test_the_board_refresh_is_the_fragment_without_the_page(director_client, mixed_alarms):
    full = page(director_client, BOARD)
    fragment = page(director_client, BOARD, **HTMX)

    assert "<!doctype html>" in full
    assert 'id="alarm-board"' in full
    assert "<!doctype html>" not in fragment
    assert "<nav" not in fragment
    assert 'id="board-summary"' in fragment
    assert board_rows(fragment) == board_rows(full)


def board_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, BOARD, **HTMX)
    return len(queries)


def test_the_board_costs_the_same_queries_for_more_alarms(
    director_client, vendor, device, old_person, village_director
):
    raise_alarm(vendor, "sos")
    few = board_queries(director_client)
    for serial in ("B", "C", "D"):
        bind(vendor, old_person, serial, by=village_director)
        raise_alarm(vendor, "fall", serial=serial)

    assert board_queries(director_client) == few


def test_an_empty_board_says_so(director_client, device):
    assert 'id="no-alarms"' in page(director_client, BOARD)


def test_acknowledging_from_the_board_returns_to_it(director_client, alarm, village_director):
    url = f"/alarms/{alarm.pk}/acknowledge/"

    response = director_client.post(url, {"next": "board"})

    assert response.status_code == 302
    assert response.url == BOARD
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == (AlarmStatus.ACKNOWLEDGED, village_director)


def test_acknowledging_twice_warns_and_changes_nothing(
    director_client, alarm, make_user, village_director
):
    services.alarm_acknowledge(by=village_director, alarm_id=alarm.pk, now=timezone.now())
    assistant = make_user(Role.VILLAGE_ASSISTANT)

    response = login(director_client, assistant).post(f"/alarms/{alarm.pk}/acknowledge/")

    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == village_director
    assert alarm.actions.filter(kind=ActionKind.ACKNOWLEDGED).count() == 1


# ---- an alarm's page ------------------------------------------------------------------------


def test_the_alarm_page_shows_its_history(director_client, alarm):
    director_client.post(f"/alarms/{alarm.pk}/acknowledge/", {"note": "马上到"})
    director_client.post(f"/alarms/{alarm.pk}/note/", {"text": "老人已扶起"})

    html = page(director_client, f"/alarms/{alarm.pk}/")

    actions = re.findall(r'data-action="(\w+)"', html.split('id="alarm-actions"', 1)[1])
    assert actions[:3] == ["raised", "acknowledged", "note"]
    assert "马上到" in html
    assert "老人已扶起" in html
    assert 'data-status="acknowledged"' in html


def test_resolving_on_the_page(director_client, alarm):
    response = director_client.post(
        f"/alarms/{alarm.pk}/resolve/", {"outcome": "family_handled", "note": "女儿接走"}
    )

    assert response.status_code == 302
    assert response.url == f"/alarms/{alarm.pk}/"
    alarm.refresh_from_db()
    assert (alarm.status, alarm.outcome) == (AlarmStatus.RESOLVED, "family_handled")


@pytest.mark.parametrize(
    ("action", "form", "field"),
    [
        ("resolve", {"outcome": ""}, "outcome"),
        ("resolve", {"outcome": "other", "note": ""}, "note"),
        ("note", {"text": "  "}, "text"),
    ],
)
def test_a_missing_field_is_422_with_the_error_beside_it(
    director_client, alarm, action, form, field
):
    response = director_client.post(f"/alarms/{alarm.pk}/{action}/", form)

    assert response.status_code == 422
    assert f'data-field-error="{field}"' in response.content.decode()
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.OPEN
    assert alarm.actions.count() == 1


def test_an_unknown_action_is_404_and_a_get_is_405(director_client, alarm):
    assert director_client.post(f"/alarms/{alarm.pk}/delete/").status_code == 404
    assert director_client.get(f"/alarms/{alarm.pk}/acknowledge/").status_code == 405


def test_the_board_needs_a_login(client):
    response = client.get(BOARD)

    assert response.status_code == 302
    assert "login" in response.url


# ---- scope ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER])
def test_volunteers_and_viewers_get_404_on_the_board_and_alarms(client, make_user, alarm, role):
    outsider = client_for(client, make_user, role)

    assert outsider.get(BOARD).status_code == 404
    assert outsider.get(f"/alarms/{alarm.pk}/").status_code == 404
    assert outsider.post(f"/alarms/{alarm.pk}/acknowledge/").status_code == 404


def test_a_director_of_another_village_gets_404_on_the_alarm(client, make_user, regions, alarm):
    far = client_for(client, make_user, Role.VILLAGE_DIRECTOR, regions.far_village)

    assert far.get(f"/alarms/{alarm.pk}/").status_code == 404
    for action, form in [("acknowledge", {}), ("note", {"text": "x"}), ("resolve", {})]:
        assert far.post(f"/alarms/{alarm.pk}/{action}/", form).status_code == 404
    assert board_rows(page(far, BOARD)) == []
    alarm.refresh_from_db()
    assert (alarm.status, alarm.actions.count()) == (AlarmStatus.OPEN, 1)


def test_the_township_worker_sees_the_alarm_but_it_is_not_waiting_on_them(client, make_user, alarm):
    worker = client_for(client, make_user, Role.TOWNSHIP_WORKER)

    html = page(worker, BOARD)

    assert board_rows(html) == [(alarm.pk, "open")]
    assert 'data-count="0"' in html


def test_after_escalation_the_alarm_waits_on_the_township(client, make_user, alarm):
    services.escalate(alarm_id=alarm.pk, tier="village", now=alarm.ack_deadline)
    worker = client_for(client, make_user, Role.TOWNSHIP_WORKER)

    html = page(worker, BOARD)

    assert 'data-count="1"' in html
    assert 'data-tier="township"' in html


# ---- devices --------------------------------------------------------------------------------


def bind_url(person) -> str:
    return f"/alarms/devices/bind/{person.pk}/"


def bind_form(creds, **fields) -> dict:
    return {"vendor": creds.vendor.pk, "kind": "fall_detector", "serial": "FD-7", **fields}


def test_the_director_binds_a_device_from_the_form(director_client, vendor, old_person):
    assert 'id="bind-form"' in page(director_client, bind_url(old_person))

    response = director_client.post(bind_url(old_person), bind_form(vendor, location="卫生间"))

    assert response.status_code == 302
    assert response.url == f"/elderly/{old_person.pk}/"
    device = Device.objects.get(serial="FD-7")
    assert (device.person, device.kind, device.location) == (old_person, "fall_detector", "卫生间")


@pytest.mark.parametrize(
    ("fields", "field", "msgid"),
    [
        ({"serial": ""}, "serial", "Enter the serial number printed on the device."),
        ({"vendor": ""}, "vendor", "Choose the device's vendor."),
        ({"kind": "toaster"}, "kind", "Choose what kind of device it is."),
    ],
)
def test_a_bad_bind_form_is_422_with_the_error_in_the_ui_language(
    director_client, vendor, old_person, fields, field, msgid
):
    response = director_client.post(bind_url(old_person), bind_form(vendor, **fields))

    assert response.status_code == 422
    html = response.content.decode()
    assert f'data-field-error="{field}"' in html
    with translation.override("zh-hans"):
        assert gettext(msgid).replace("'", "&#x27;") in html
    assert not Device.objects.exists()


def test_a_bound_serial_cannot_be_bound_again(director_client, vendor, device, old_person):
    response = director_client.post(bind_url(old_person), bind_form(vendor, serial=device.serial))

    assert response.status_code == 422
    assert 'data-field-error="serial"' in response.content.decode()
    assert Device.objects.count() == 1


def test_binding_for_someone_out_of_scope_is_404(director_client, vendor, regions):
    stranger = PersonFactory(region=regions.far_village, birth_date=born_years_ago(75))

    assert director_client.get(bind_url(stranger)).status_code == 404
    assert director_client.post(bind_url(stranger), bind_form(vendor)).status_code == 404
    assert not Device.objects.exists()


def test_the_device_list_shows_the_area_only(
    director_client, vendor, device, regions, village_director
):
    neighbour = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(70))
    bind(vendor, neighbour, "NEIGHBOUR-1", by=village_director)

    html = page(director_client, "/alarms/devices/")

    assert device.serial in html
    assert "NEIGHBOUR-1" not in html


def test_unbinding_frees_the_serial(director_client, device, old_person):
    response = director_client.post(f"/alarms/devices/{device.pk}/unbind/")

    assert response.status_code == 302
    device.refresh_from_db()
    assert not device.is_active
    assert not Device.objects.filter(serial="SOS-0001", is_active=True).exists()


def test_a_device_with_an_open_alarm_stays_bound(director_client, device, alarm):
    director_client.post(f"/alarms/devices/{device.pk}/unbind/")

    device.refresh_from_db()
    assert (device.is_active, device.serial) == (True, "SOS-0001")


# ---- unmatched events and vendors -----------------------------------------------------------


def test_the_admin_sees_events_of_unknown_serials(admin_client, vendor, device):
    ingest(vendor, event_body(serial="GHOST-42"), now=timezone.now())
    ingest(vendor, event_body(serial=device.serial), now=timezone.now())

    html = page(admin_client, "/alarms/unmatched/")

    table = html.split('id="unmatched-table"', 1)[1].split("</table>", 1)[0]
    assert "GHOST-42" in table
    assert device.serial not in table


def test_others_get_404_on_the_unmatched_events(director_client):
    assert director_client.get("/alarms/unmatched/").status_code == 404


def test_the_admin_registers_a_vendor_and_sees_its_secret_once(admin_client, db):
    response = admin_client.post("/alarms/vendors/new/", {"name": "安康科技"})

    assert response.status_code == 200
    vendor = Vendor.objects.get(name="安康科技")
    html = response.content.decode()
    assert vendor.key in html
    secret = re.search(r'id="vendor-secret">([^<]+)<', html).group(1)
    assert secret not in vendor.secret_encrypted


def test_a_director_cannot_register_a_vendor(director_client):
    assert director_client.post("/alarms/vendors/new/", {"name": "X"}).status_code == 404
    assert not Vendor.objects.exists()
