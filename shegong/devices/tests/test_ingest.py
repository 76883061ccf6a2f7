"""Signed ingestion: signature, replay window, validation, idempotency, unknown devices, and the
rules that turn events into alarms."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from shegong.devices import services, signing
from shegong.devices.models import Alarm, AlarmStatus, DeviceEvent, Outcome, Severity
from shegong.elderly.models import ElderlyProfile

from .conftest import EVENTS_URL, VendorCreds, bind, event_body, ingest, payload, raise_alarm

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
MAX_SKEW = 300


def assert_nothing_stored():
    assert DeviceEvent.objects.count() == 0
    assert Alarm.objects.count() == 0


# ---- signature and replay window ------------------------------------------------------------


def test_a_signed_sos_is_accepted_and_raises_a_critical_alarm(post_event, device):
    response = post_event(event_body(type="sos"))

    assert response.status_code == 202, response.content
    assert response.json()["accepted"] is True
    alarm = Alarm.objects.get(pk=response.json()["alarm_id"])
    assert alarm.severity == Severity.CRITICAL
    assert alarm.status == AlarmStatus.OPEN
    assert alarm.tier == "village"
    assert DeviceEvent.objects.get().alarm == alarm


def _signed(creds, body: bytes, **overrides) -> dict[str, str]:
    headers = signing.signed_headers(creds.vendor.key, creds.secret, body, int(time.time()))
    return {**headers, **overrides}


def tampered_body(creds):
    body = event_body(type="sos")
    return body.replace(b'"sos"', b'"fall"'), _signed(creds, body)


def wrong_secret(creds):
    body = event_body()
    return body, signing.signed_headers(creds.vendor.key, "not-the-secret", body, int(time.time()))


def unknown_vendor(creds):
    body = event_body()
    return body, _signed(creds, body, **{"X-Vendor": "v_nobody"})


def inactive_vendor(creds):
    creds.vendor.is_active = False
    creds.vendor.save(update_fields=["is_active"])
    body = event_body()
    return body, _signed(creds, body)


def missing_headers(creds):
    return event_body(), {}


def missing_signature(creds):
    body = event_body()
    headers = _signed(creds, body)
    del headers["X-Signature"]
    return body, headers


def non_numeric_timestamp(creds):
    body = event_body()
    return body, {
        "X-Vendor": creds.vendor.key,
        "X-Timestamp": "yesterday",
        "X-Signature": signing.signature(creds.secret, "yesterday", body),
    }


def signed_at(offset: int):
    def make(creds):
        body = event_body()
        ts = int(time.time()) + offset
        return body, signing.signed_headers(creds.vendor.key, creds.secret, body, ts)

    make.__name__ = f"signed_{offset:+d}s"
    return make


REJECTED = [
    tampered_body,
    wrong_secret,
    unknown_vendor,
    inactive_vendor,
    missing_headers,
    missing_signature,
    non_numeric_timestamp,
    signed_at(-(MAX_SKEW + 5)),
    signed_at(MAX_SKEW + 5),
]


@pytest.mark.parametrize("request_for", REJECTED, ids=lambda f: f.__name__)
def test_it_rejects_an_unauthentic_or_stale_request_with_401_and_stores_nothing(
    client, vendor, device, request_for
):
    body, headers = request_for(vendor)

    response = client.post(EVENTS_URL, body, content_type="application/json", headers=headers)

    assert response.status_code == 401, response.content
    assert response.json()["detail"]
    assert_nothing_stored()


@pytest.mark.parametrize("offset", [-MAX_SKEW, MAX_SKEW])
def test_a_timestamp_exactly_five_minutes_away_is_accepted(vendor, device, offset):
    result = ingest(vendor, event_body(), now=NOW, timestamp=int(NOW.timestamp()) + offset)

    assert result.status == 202, result.body


@pytest.mark.parametrize("offset", [-MAX_SKEW - 1, MAX_SKEW + 1])
def test_a_timestamp_one_second_past_the_window_is_refused(vendor, device, offset):
    result = ingest(vendor, event_body(), now=NOW, timestamp=int(NOW.timestamp()) + offset)

    assert result.status == 401
    assert_nothing_stored()


# ---- validation -----------------------------------------------------------------------------


def without(field):
    def change(event):
        del event[field]

    change.__name__ = f"without_{field}"
    return change


def setting(field, value):
    def change(event):
        event[field] = value

    change.__name__ = f"{field}_{value!r}"
    return change


MALFORMED = [
    (without("event_id"), "event_id"),
    (without("serial"), "serial"),
    (setting("event_id", "x" * 65), "event_id"),
    (setting("serial", "   "), "serial"),
    (setting("type", "explosion"), "type"),
    (setting("occurred_at", "last tuesday"), "occurred_at"),
    (without("occurred_at"), "occurred_at"),
    (setting("data", [1, 2]), "data"),
    (setting("data", "battery low"), "data"),
]


@pytest.mark.parametrize(
    ("change", "field"), MALFORMED, ids=[change.__name__ for change, _ in MALFORMED]
)
def test_a_malformed_event_is_422_naming_the_field_and_stores_nothing(
    post_event, device, change, field
):
    event = payload()
    change(event)

    response = post_event(json.dumps(event).encode())

    assert response.status_code == 422, response.content
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    assert_nothing_stored()


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"], ids=["not_json", "not_an_object"])
def test_a_body_that_is_not_a_json_object_is_422(post_event, device, body):
    response = post_event(body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert_nothing_stored()


# ---- idempotency ----------------------------------------------------------------------------


def test_the_same_event_twice_gives_the_first_answer_and_changes_nothing(post_event, device):
    body = event_body(type="fall", event_id="evt-1")

    first = post_event(body)
    second = post_event(body)

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert DeviceEvent.objects.count() == 1
    alarm = Alarm.objects.get()
    assert alarm.event_count == 1


def test_the_same_event_id_from_another_vendor_is_another_event(
    post_event, vendor, device, old_person, village_director
):
    other, secret = services.vendor_create(name="另一厂商")
    bind(VendorCreds(other, secret), old_person, "SOS-0001", by=village_director)
    body = event_body(event_id="evt-1")

    first = post_event(body)
    second = post_event(body, key=other.key, secret=secret)

    assert first.status_code == second.status_code == 202
    assert first.json()["alarm_id"] != second.json()["alarm_id"]
    assert DeviceEvent.objects.filter(event_id="evt-1").count() == 2


def test_an_unknown_device_is_404_and_kept_once_as_unmatched(post_event, device):
    body = event_body(serial="NOPE-9", event_id="evt-9")

    first = post_event(body)
    second = post_event(body)

    assert first.status_code == second.status_code == 404
    assert first.json() == second.json()
    event = DeviceEvent.objects.get()
    assert (event.device, event.serial, event.alarm) == (None, "NOPE-9", None)


def test_an_unbound_device_is_unknown_again(vendor, device, village_director):
    services.device_unbind(by=village_director, device_id=device.pk)

    result = ingest(vendor, event_body(), now=NOW)

    assert result.status == 404
    assert DeviceEvent.objects.get().device is None


# ---- rules ----------------------------------------------------------------------------------

MINUTE = 60
RULES = [
    # type, data, cognitive impairment, severity, acknowledgement window (seconds)
    ("sos", {}, False, Severity.CRITICAL, 5 * MINUTE),
    ("fall", {}, False, Severity.CRITICAL, 5 * MINUTE),
    ("smoke", {}, False, Severity.CRITICAL, 5 * MINUTE),
    ("gas", {}, False, Severity.CRITICAL, 5 * MINUTE),
    ("geofence_exit", {}, True, Severity.HIGH, 15 * MINUTE),
    ("geofence_exit", {}, False, Severity.LOW, None),
    ("inactivity", {"hours": 14}, False, Severity.MEDIUM, 120 * MINUTE),
    ("low_battery", {"battery": 5}, False, Severity.LOW, None),
]


@pytest.mark.parametrize(
    ("event_type", "data", "cognitive", "severity", "window"),
    RULES,
    ids=[f"{rule[0]}{'-dementia' if rule[2] else ''}" for rule in RULES],
)
def test_each_event_type_raises_its_severity_with_its_deadline(
    vendor, device, old_person, event_type, data, cognitive, severity, window
):
    ElderlyProfile.objects.create(person=old_person, cognitive_impairment=cognitive)

    alarm = raise_alarm(vendor, event_type, now=NOW, **data)

    assert (alarm.kind, alarm.severity, alarm.tier) == (event_type, severity, "village")
    assert alarm.raised_at == NOW
    if window is None:
        assert alarm.ack_deadline is None
    else:
        assert alarm.ack_deadline == NOW + dt.timedelta(seconds=window)


def test_a_geofence_exit_of_someone_without_an_elderly_file_is_low(vendor, device):
    assert raise_alarm(vendor, "geofence_exit", now=NOW).severity == Severity.LOW


def test_a_short_inactivity_raises_nothing_but_is_stored(vendor, device, settings):
    hours = settings.SHEGONG_INACTIVITY_HOURS - 1

    assert raise_alarm(vendor, "inactivity", now=NOW, hours=hours) is None
    assert DeviceEvent.objects.get().data == {"hours": hours}
    assert Alarm.objects.count() == 0


def test_inactivity_at_the_threshold_raises_an_alarm(vendor, device, settings):
    alarm = raise_alarm(vendor, "inactivity", now=NOW, hours=settings.SHEGONG_INACTIVITY_HOURS)

    assert alarm.severity == Severity.MEDIUM


def test_a_heartbeat_is_stored_and_raises_nothing(post_event, device):
    response = post_event(event_body(type="heartbeat", battery=80))

    assert response.status_code == 202
    assert response.json()["alarm_id"] is None
    assert DeviceEvent.objects.get().type == "heartbeat"
    assert Alarm.objects.count() == 0


def test_a_repeat_joins_the_open_alarm(vendor, device):
    first = raise_alarm(vendor, "sos", now=NOW)
    again = raise_alarm(vendor, "sos", now=NOW + dt.timedelta(minutes=1))

    assert again.pk == first.pk
    assert again.event_count == 2
    assert again.last_event_at == NOW + dt.timedelta(minutes=1)
    assert again.ack_deadline == first.ack_deadline
    assert Alarm.objects.count() == 1
    assert set(DeviceEvent.objects.values_list("alarm", flat=True)) == {first.pk}


def test_a_repeat_joins_an_acknowledged_alarm(vendor, device, village_director):
    first = raise_alarm(vendor, "fall", now=NOW)
    services.alarm_acknowledge(by=village_director, alarm_id=first.pk, now=NOW)

    again = raise_alarm(vendor, "fall", now=NOW + dt.timedelta(minutes=1))

    assert again.pk == first.pk
    assert (again.status, again.event_count) == (AlarmStatus.ACKNOWLEDGED, 2)


def test_a_repeat_only_reports_a_new_alarm_the_first_time(vendor, device):
    first = ingest(vendor, event_body(), now=NOW)
    second = ingest(vendor, event_body(), now=NOW)

    assert first.raised_alarm_id == first.body["alarm_id"]
    assert second.raised_alarm_id is None


def test_after_resolving_the_next_event_raises_a_new_alarm(vendor, device, village_director):
    first = raise_alarm(vendor, "sos", now=NOW)
    services.alarm_resolve(
        by=village_director, alarm_id=first.pk, outcome=Outcome.FALSE_ALARM, now=NOW
    )

    again = raise_alarm(vendor, "sos", now=NOW + dt.timedelta(minutes=1))

    assert again.pk != first.pk
    assert (again.status, again.event_count) == (AlarmStatus.OPEN, 1)


def test_another_kind_from_the_same_device_raises_its_own_alarm(vendor, device):
    sos = raise_alarm(vendor, "sos", now=NOW)
    fall = raise_alarm(vendor, "fall", now=NOW)

    assert sos.pk != fall.pk
    assert Alarm.objects.filter(status=AlarmStatus.OPEN).count() == 2


def test_the_received_time_is_the_servers_and_the_occurred_time_the_vendors(vendor, device):
    event = payload(type="heartbeat")
    event["occurred_at"] = "2026-03-02T17:29:00"  # naive: read in the district's time zone

    ingest(vendor, json.dumps(event).encode(), now=NOW)

    stored = DeviceEvent.objects.get()
    assert stored.received_at == NOW
    assert timezone.localtime(stored.occurred_at).strftime("%H:%M") == "17:29"
