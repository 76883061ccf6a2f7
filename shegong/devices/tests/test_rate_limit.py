"""A vendor's events are limited per vendor (SHEGONG_RATE_DEVICE_EVENTS): beyond the rate its
heartbeats get 429 and are sent again later; events that may raise an alarm always go through.
Only signed requests count, so nobody else can use up a vendor's rate."""

from __future__ import annotations

import time

import pytest

from shegong.devices import services, signing
from shegong.devices.models import Alarm, DeviceEvent
from shegong.ratelimits import WindowCounter

from .conftest import EVENTS_URL, VendorCreds, bind, event_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def rate_of_three(settings, rate_window):
    settings.SHEGONG_RATE_DEVICE_EVENTS = "3/m"


def heartbeat() -> bytes:
    return event_body(type="heartbeat", battery=80)


def test_heartbeats_beyond_the_vendors_rate_get_429(post_event, device, rate_of_three):
    assert [post_event(heartbeat()).status_code for _ in range(3)] == [202, 202, 202]

    refused = post_event(heartbeat())

    assert refused.status_code == 429
    body = refused.json()
    assert body["retry_after"] >= 1 and refused["Retry-After"] == str(body["retry_after"])
    assert body["detail"]
    assert DeviceEvent.objects.count() == 3  # the refused heartbeat was not stored


def test_an_sos_goes_through_when_the_vendor_is_over_its_rate(post_event, device, rate_of_three):
    for _ in range(4):
        post_event(heartbeat())

    response = post_event(event_body(type="sos"))

    assert response.status_code == 202
    assert Alarm.objects.get(pk=response.json()["alarm_id"]).kind == "sos"


def test_unsigned_requests_do_not_use_up_the_vendors_rate(post_event, device, rate_of_three):
    for _ in range(5):
        assert post_event(heartbeat(), secret="forged-secret").status_code == 401
    assert [post_event(heartbeat()).status_code for _ in range(3)] == [202, 202, 202]


def test_each_vendor_has_its_own_rate(
    client, post_event, device, old_person, village_director, rate_of_three
):
    other = VendorCreds(*services.vendor_create(name="另一厂商"))
    bind(other, old_person, "HB-2", by=village_director)
    for _ in range(4):
        post_event(heartbeat())

    body = event_body("HB-2", type="heartbeat")
    headers = signing.signed_headers(other.vendor.key, other.secret, body, int(time.time()))
    response = client.post(EVENTS_URL, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 202


def test_the_count_starts_again_in_the_next_window():
    counter = WindowCounter()
    start = 1_700_000_040.0  # the start of a minute
    assert [counter.wait_seconds("v", rate="2/m", now=start + s) for s in (0, 1, 2)] == [
        None,
        None,
        58,
    ]
    assert counter.wait_seconds("other", rate="2/m", now=start + 3) is None
    assert counter.wait_seconds("v", rate="2/m", now=start + 60) is None
