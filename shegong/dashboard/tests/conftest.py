"""Dashboard fixtures: one of each counted (and not counted) record per region, built with
the factories and plain creates, so that every figure has a known answer per region."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.casework.models import Case, Stage, Visit
from shegong.children.models import ChildProfile
from shegong.community.models import Activity, Organisation, ResourceLink, Volunteer
from shegong.devices import services as device_services
from shegong.devices.models import Alarm, Device
from shegong.elderly.models import ElderlyProfile, ServiceOrder
from shegong.factories import PersonFactory, StationFactory, born_years_ago
from shegong.people.models import PersonCategory

TODAY = timezone.localdate()
START = TODAY.replace(day=1)
LAST_YEAR = TODAY - dt.timedelta(days=400)
_serials = itertools.count()

# What records() adds to every additive figure of its region (with the period START..TODAY).
PER_REGION = {
    "colour_red": 1,
    "colour_orange": 1,
    "colour_blue": 1,
    "children_special": 1,
    "children_left_behind": 1,
    "elderly_special": 2,
    "visits": 1,
    "visits_this_month": 1,
    "elderly_visit_due": 1,
    "elderly_visited": 1,
    "alarms_open": 1,
    "alarms_unresolved": 2,
    "alarms_in_period": 2,
    "alarms_acknowledged": 1,
    "service_orders": 2,
    "orders_requested": 1,
    "orders_done": 1,
    "cases_opened": 2,
    "cases_intake": 1,
    "cases_closed": 1,
    "activities_held": 1,
    "person_times": 5,
    "volunteers": 2,
    "volunteers_registered": 1,
    "resource_links": 1,
    "resource_links_value": Decimal("100"),
}


def alarm(person, by, vendor, *, raised_at, status="open", waited=None, severity="high"):
    device = Device.objects.create(
        vendor=vendor, serial=f"D{next(_serials)}", kind="sos_button", person=person, bound_by=by
    )
    return Alarm.objects.create(
        person=person,
        device=device,
        kind="sos",
        severity=severity,
        status=status,
        raised_at=raised_at,
        last_event_at=raised_at,
        acknowledged_at=raised_at + waited if waited else None,
    )


def records(region, by, vendor) -> None:
    """One of each record in ``region``: see PER_REGION for what counts."""
    now = timezone.now()
    for colour, category in (("red", "child_in_difficulty"), ("orange", "left_behind_child")):
        child = PersonFactory(region=region, birth_date=born_years_ago(10))
        ChildProfile.objects.create(person=child, colour=colour)
        PersonCategory.objects.create(person=child, category=category)
    ChildProfile.objects.create(
        person=PersonFactory(region=region, birth_date=born_years_ago(9)), colour="blue"
    )
    ChildProfile.objects.create(person=PersonFactory(region=region, birth_date=born_years_ago(8)))
    oldest = PersonFactory(region=region, birth_date=born_years_ago(85))
    ElderlyProfile.objects.create(person=oldest)
    alone = PersonFactory(region=region, birth_date=born_years_ago(70))
    ElderlyProfile.objects.create(
        person=alone, living_situations=["alone"], cognitive_impairment=True
    )
    ElderlyProfile.objects.create(
        person=PersonFactory(region=region, birth_date=born_years_ago(65))
    )
    for programme, on in (("elderly", TODAY), ("elderly", LAST_YEAR), ("juvenile", TODAY)):
        Visit.objects.create(
            person=alone, programme=programme, visited_on=on, mode="home", visited_by=by
        )
    alarm(oldest, by, vendor, raised_at=now)
    alarm(oldest, by, vendor, raised_at=now, status="acknowledged", waited=dt.timedelta(minutes=10))
    alarm(
        oldest,
        by,
        vendor,
        raised_at=now - dt.timedelta(days=400),
        status="resolved",
        waited=dt.timedelta(minutes=1),
    )
    for status in ("requested", "done", "requested"):
        ServiceOrder.objects.create(
            person=oldest,
            kind="meals",
            requested_by=by,
            requester_type="worker",
            status=status,
            due_on=TODAY,
        )
    ServiceOrder.objects.filter(pk=ServiceOrder.objects.latest("pk").pk).update(
        created_at=now - dt.timedelta(days=400)
    )
    Case.objects.create(person=oldest, programme="elderly", owner=by)
    Case.objects.create(
        person=oldest, programme="elderly", owner=by, stage=Stage.CLOSED, closed_at=now
    )
    Case.objects.create(person=oldest, programme="juvenile", owner=by)
    for status, date in (("closed", TODAY), ("planned", TODAY), ("closed", LAST_YEAR)):
        Activity.objects.create(
            title="敬老活动",
            kind="festival",
            region=region,
            date=date,
            target_group="elderly",
            status=status,
            person_times=5,
            created_by=by,
        )
    Volunteer.objects.create(
        name="甲", phone="13800000000", region=region, joined_on=LAST_YEAR,
        registered=True, national_number=f"V{next(_serials)}",
    )  # fmt: skip
    Volunteer.objects.create(name="乙", phone="13800000001", region=region, joined_on=LAST_YEAR)
    giver = Organisation.objects.create(name="爱心超市", kind="charity", region=region)
    for on in (TODAY, LAST_YEAR):
        ResourceLink.objects.create(
            organisation=giver,
            person=oldest,
            region=region,
            kind="goods",
            description="米面油",
            value=Decimal("100"),
            given_on=on,
            recorded_by=by,
        )


@pytest.fixture
def vendor(db):
    return device_services.vendor_create(name="测试厂商")[0]


@pytest.fixture
def staffed(regions, make_user):
    """Stations everywhere but the far village; a centre worker, a township's supervisor and
    one worker (one short), the village director (assistant missing)."""
    for region in (
        regions.district,
        regions.township,
        regions.village,
        regions.sibling_village,
        regions.other_township,
    ):
        StationFactory(region=region)
    make_user(Role.CENTER_WORKER, region=regions.district)
    make_user(Role.TOWNSHIP_SUPERVISOR, region=regions.township)
    make_user(Role.TOWNSHIP_WORKER, region=regions.township)
    make_user(Role.VILLAGE_DIRECTOR, region=regions.village)
    make_user(Role.VOLUNTEER, region=regions.village)  # not station staff


@pytest.fixture
def data(regions, district_admin, vendor, staffed):
    """Records in two villages of one township, at that township's own station, in the other
    township's village and at the district level."""
    for region in (
        regions.village,
        regions.sibling_village,
        regions.township,
        regions.far_village,
        regions.district,
    ):
        records(region, district_admin, vendor)
