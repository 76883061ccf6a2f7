"""manage.py create_device_vendor and simulate_devices (against a real running server)."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import CommandError, call_command

from shegong.devices import signing
from shegong.devices.models import DeviceEvent, DeviceKind, Vendor
from shegong.people import crypto

from .conftest import bind


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def printed(output: str) -> dict[str, str]:
    return {
        name.strip(): value.strip()
        for name, value in (line.split(":", 1) for line in output.splitlines())
    }


def test_create_device_vendor_prints_a_key_and_a_secret_that_signs(db):
    values = printed(run("create_device_vendor", "安康科技"))

    vendor = Vendor.objects.get(name="安康科技")
    assert values["vendor"] == "安康科技"
    assert values["key"] == vendor.key
    stored = crypto.decrypt(vendor.secret_encrypted)
    body, ts = b'{"event_id": "1"}', str(int(time.time()))
    assert signing.signature_ok(stored, ts, body, signing.signature(values["secret"], ts, body))
    assert values["secret"] not in vendor.secret_encrypted


def test_create_device_vendor_refuses_a_name_twice(db):
    run("create_device_vendor", "安康科技")

    with pytest.raises(CommandError):
        run("create_device_vendor", "安康科技")
    assert Vendor.objects.count() == 1


def test_simulate_devices_needs_a_vendor_with_devices(vendor):
    with pytest.raises(CommandError):
        run("simulate_devices", url="http://127.0.0.1:9", seconds=0.1)


KINDS = [DeviceKind.SOS_BUTTON, DeviceKind.SMART_MATTRESS, DeviceKind.SMART_WATCH]


def test_simulate_devices_posts_signed_events_to_a_running_server(
    live_server, vendor, old_person, village_director
):
    for number, kind in enumerate(KINDS):
        bind(vendor, old_person, f"SIM-{number}", by=village_director, kind=kind)

    summary = json.loads(
        run("simulate_devices", url=live_server.url, rate=20, seconds=1, alarm_share=0.5, seed=1)
    )

    assert summary["devices"] == len(KINDS)
    assert summary["sent"] > 0
    assert set(summary["answers"]) <= {"202", "202 alarm"}, summary["answers"]
    assert sum(summary["answers"].values()) == summary["sent"]
    assert DeviceEvent.objects.count() == summary["sent"]
    assert not DeviceEvent.objects.filter(device__isnull=True).exists()
