"""The device list and the unmatched events as .xlsx: devices of the old people in the user's
area (filtered by kind, phones masked), unmatched events for district administrators only."""

from __future__ import annotations

import pytest
from django.utils import timezone

from shegong.devices.models import DeviceKind
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login, xlsx_rows

from .conftest import bind, event_body, ingest

pytestmark = pytest.mark.django_db


def test_the_device_export_holds_the_filtered_devices_in_the_area(
    director_client, vendor, device, regions, district_admin
):
    old_person = device.person
    old_person.phone_masked = "139****0000"
    old_person.save(update_fields=["phone_masked"])
    bind(vendor, old_person, "WATCH-1", by=district_admin, kind=DeviceKind.SMART_WATCH)
    far = PersonFactory(region=regions.far_village, name="冯南营", birth_date=born_years_ago(80))
    bind(vendor, far, "SOS-FAR", by=district_admin)
    rows = xlsx_rows(director_client.get("/alarms/devices/", {"export": "xlsx"}))
    assert sorted(row[6] for row in rows) == ["SOS-0001", "WATCH-1"]
    assert {(row[0], row[1], row[3]) for row in rows} == {("王秀英", "139****0000", "东庄村")}
    params = {"export": "xlsx", "kind": DeviceKind.SMART_WATCH}
    assert [row[6] for row in xlsx_rows(director_client.get("/alarms/devices/", params))] == [
        "WATCH-1"
    ]


def test_the_unmatched_export_is_the_admins(
    client, district_admin, village_director, vendor, device
):
    ingest(vendor, event_body(serial="GHOST-42"), now=timezone.now())
    ingest(vendor, event_body(serial=device.serial), now=timezone.now())
    rows = xlsx_rows(login(client, district_admin).get("/alarms/unmatched/", {"export": "xlsx"}))
    assert [row[2] for row in rows] == ["GHOST-42"]
    response = login(client, village_director).get("/alarms/unmatched/", {"export": "xlsx"})
    assert response.status_code == 404


def test_the_pages_offer_the_exports(admin_client):
    for url in ("/alarms/devices/", "/alarms/unmatched/"):
        assert "export=xlsx" in admin_client.get(url).content.decode(), url
