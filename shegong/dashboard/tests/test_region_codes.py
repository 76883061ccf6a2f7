"""The region copied onto each alarm and service order (``region_code``, kept by triggers of
dashboard migration 0009) is always its person's region now, whatever wrote the row — and the
dashboard counts the alarms and orders of an area by it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from shegong.dashboard import figures
from shegong.devices.models import Alarm
from shegong.elderly.models import ServiceOrder
from shegong.factories import PersonFactory, UserFactory, born_years_ago
from shegong.people.models import Person

from .conftest import START, TODAY, alarm

pytestmark = pytest.mark.django_db


def order(person, by) -> ServiceOrder:
    return ServiceOrder.objects.create(
        person=person, kind="meals", requested_by=by, requester_type="worker", due_on=TODAY
    )


def assert_copied() -> None:
    for model in (Alarm, ServiceOrder):
        rows = model.objects.values_list("region_code", "person__region_id")
        assert rows and all(copied == region for copied, region in rows), model


@pytest.fixture
def old(regions):
    return PersonFactory(region=regions.village, birth_date=born_years_ago(80))


def test_a_new_alarm_or_order_takes_its_persons_region(regions, old, vendor):
    worker = UserFactory()
    raised = alarm(old, worker, vendor, raised_at=timezone.now())
    made = order(old, worker)
    raised.refresh_from_db()
    made.refresh_from_db()
    assert raised.region_code == made.region_code == regions.village.code


def test_a_moved_person_takes_their_alarms_and_orders_along(regions, old, vendor):
    worker = UserFactory()
    alarm(old, worker, vendor, raised_at=timezone.now())
    order(old, worker)
    order(PersonFactory(region=regions.village), worker)
    Person.objects.filter(pk=old.pk).update(region=regions.far_village)
    assert_copied()
    assert ServiceOrder.objects.filter(region_code=regions.far_village.code).count() == 1
    # And the dashboard counts them there.
    rows = {r["code"]: r for r in figures.breakdown(area="130111", start=START, end=TODAY)}
    assert rows[regions.other_township.code]["alarms_in_period"] == 1
    assert rows[regions.other_township.code]["service_orders"] == 1
    assert rows[regions.township.code]["service_orders"] == 1


def test_a_stale_instance_or_a_bulk_or_raw_write_cannot_put_a_wrong_region(regions, old, vendor):
    worker = UserFactory()
    raised = alarm(old, worker, vendor, raised_at=timezone.now())
    made = order(old, worker)
    Person.objects.filter(pk=old.pk).update(region=regions.sibling_village)
    # Saved whole from instances loaded before the move (their region_code is the old one).
    raised.save()
    made.save()
    assert_copied()
    # Given another person, in bulk, or in raw SQL.
    other = PersonFactory(region=regions.far_village, birth_date=born_years_ago(75))
    ServiceOrder.objects.filter(pk=made.pk).update(person=other)
    ServiceOrder.objects.bulk_create(
        ServiceOrder(
            person=other, kind="meals", requested_by=worker, requester_type="worker", due_on=TODAY
        )
        for _ in range(3)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE devices_alarm SET region_code = %s WHERE id = %s", ["130111999999", raised.pk]
        )
    assert_copied()
    assert ServiceOrder.objects.filter(region_code=regions.far_village.code).count() == 4
