"""Fixtures for devices and alarms: a vendor with its secret, a device on an old person, a
signed-request helper that posts events the way a vendor platform does, and helpers that raise
alarms through the same ingestion service at a chosen moment."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from shegong.devices import services, signing
from shegong.devices.models import Alarm, Device, DeviceKind, Vendor
from shegong.factories import PersonFactory, born_years_ago

EVENTS_URL = "/api/v1/devices/events"


@dataclass
class VendorCreds:
    vendor: Vendor
    secret: str


@pytest.fixture(autouse=True)
def fresh_vendor_cache():
    services.forget_vendor_cache()
    yield
    services.forget_vendor_cache()


@pytest.fixture(autouse=True)
def empty_huey_schedule():
    """Immediate-mode Huey keeps scheduled tasks in process memory: start every test empty.
    (Never flush a real queue: without HUEY_IMMEDIATE the storage is the developer's.)"""
    if HUEY.immediate:
        HUEY.flush()
    yield
    if HUEY.immediate:
        HUEY.flush()


@pytest.fixture
def vendor(db) -> VendorCreds:
    vendor, secret = services.vendor_create(name="测试厂商")
    return VendorCreds(vendor, secret)


@pytest.fixture
def old_person(regions):
    return PersonFactory(region=regions.village, name="王秀英", birth_date=born_years_ago(78))


def bind(creds: VendorCreds, person, serial: str, *, by, kind=DeviceKind.SOS_BUTTON) -> Device:
    return Device.objects.create(
        vendor=creds.vendor, serial=serial, kind=kind, person=person, bound_by=by
    )


@pytest.fixture
def device(vendor, old_person, village_director) -> Device:
    return bind(vendor, old_person, "SOS-0001", by=village_director)


def payload(serial: str = "SOS-0001", type: str = "sos", event_id: str = "", **data) -> dict:
    return {
        "event_id": event_id or uuid.uuid4().hex,
        "serial": serial,
        "type": type,
        "occurred_at": timezone.now().isoformat(),
        "data": data,
    }


def event_body(serial: str = "SOS-0001", type: str = "sos", event_id: str = "", **data) -> bytes:
    return json.dumps(payload(serial, type, event_id, **data)).encode()


@pytest.fixture
def post_event(client, vendor):
    """Post a body signed with the vendor's secret (or tampered with, or stale)."""

    def post(body: bytes, *, timestamp: int | None = None, secret: str | None = None, key=None):
        ts = int(time.time()) if timestamp is None else timestamp
        headers = signing.signed_headers(
            key or vendor.vendor.key, secret or vendor.secret, body, ts
        )
        return client.post(
            EVENTS_URL,
            data=body,
            content_type="application/json",
            headers=headers,
        )

    return post


def ingest(
    creds: VendorCreds, body: bytes, *, now: dt.datetime, timestamp: int | None = None
) -> services.IngestResult:
    """The ingestion service called as the API calls it, signed at ``timestamp`` (default: now)."""
    headers = signing.signed_headers(
        creds.vendor.key,
        creds.secret,
        body,
        int(now.timestamp()) if timestamp is None else timestamp,
    )
    return services.ingest(
        vendor_key=headers["X-Vendor"],
        timestamp=headers["X-Timestamp"],
        signature=headers["X-Signature"],
        body=body,
        now=now,
    )


def raise_alarm(
    creds: VendorCreds,
    type: str = "sos",
    *,
    serial: str = "SOS-0001",
    now: dt.datetime | None = None,
    **data: Any,
) -> Alarm | None:
    """Send one event at ``now`` (default: the real clock); the alarm it raised or joined."""
    result = ingest(creds, event_body(serial, type, **data), now=now or timezone.now())
    assert result.status == 202, result.body
    alarm_id = result.body["alarm_id"]
    return Alarm.objects.get(pk=alarm_id) if alarm_id else None


@pytest.fixture
def alarm(vendor, device) -> Alarm:
    """A critical SOS alarm of ``old_person``, raised just now, with the village station."""
    return raise_alarm(vendor, "sos")
