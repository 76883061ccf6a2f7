"""Demo smart devices and alarms (generated, marked as such): a vendor platform, devices on old
people, a day of events and a few alarms in every state, so the alarm board has something on it.

Everything here goes through the same services the vendor API uses, so the demo alarms were
raised, escalated, acknowledged and resolved by the real rules.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid

from django.db import transaction
from django.utils import timezone

from shegong.accounts.models import Membership, Role
from shegong.devices import services, tasks
from shegong.devices.models import Device, DeviceKind, Outcome, Vendor
from shegong.devices.signing import signed_headers
from shegong.people.models import Person
from shegong.regions.models import Level, Region

DEMO_VENDOR = "演示设备厂商（生成数据）"
# The mix of devices a district hands out: most SOS buttons, then watches and fall detectors.
KIND_WEIGHTS = [
    (DeviceKind.SOS_BUTTON, 40),
    (DeviceKind.SMART_WATCH, 20),
    (DeviceKind.FALL_DETECTOR, 15),
    (DeviceKind.SMOKE_DETECTOR, 8),
    (DeviceKind.GAS_DETECTOR, 7),
    (DeviceKind.SMART_MATTRESS, 5),
    (DeviceKind.DOOR_SENSOR, 5),
]
FIRST_VILLAGE_KINDS = [DeviceKind.SOS_BUTTON, DeviceKind.FALL_DETECTOR, DeviceKind.SMART_WATCH]
LOCATIONS = {
    DeviceKind.SOS_BUTTON: "床头",
    DeviceKind.FALL_DETECTOR: "卫生间",
    DeviceKind.SMOKE_DETECTOR: "厨房",
    DeviceKind.GAS_DETECTOR: "厨房",
    DeviceKind.SMART_MATTRESS: "卧室",
    DeviceKind.DOOR_SENSOR: "大门",
    DeviceKind.SMART_WATCH: "",
}
ALARM_OF = {
    DeviceKind.SOS_BUTTON: "sos",
    DeviceKind.SMART_WATCH: "geofence_exit",
    DeviceKind.FALL_DETECTOR: "fall",
    DeviceKind.SMOKE_DETECTOR: "smoke",
    DeviceKind.GAS_DETECTOR: "gas",
    DeviceKind.SMART_MATTRESS: "inactivity",
    DeviceKind.DOOR_SENSOR: "inactivity",
}


def _event(vendor: Vendor, secret: str, serial: str, kind: str, at: dt.datetime):
    body = json.dumps(
        {
            "event_id": uuid.uuid4().hex,
            "serial": serial,
            "type": kind,
            "occurred_at": at.isoformat(),
            "data": {"hours": 13} if kind == "inactivity" else {},
        }
    ).encode()
    headers = signed_headers(vendor.key, secret, body, int(at.timestamp()))
    return services.ingest(
        vendor_key=headers["X-Vendor"],
        timestamp=headers["X-Timestamp"],
        signature=headers["X-Signature"],
        body=body,
        now=at,
    )


def _worker_of(code: str, roles: tuple[str, ...]):
    membership = (
        Membership.objects.filter(role__in=roles, region__code=code, is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def generate_devices(*, seed: int = 7, per_village: int = 3) -> int:
    """Bind devices to old people in every village and replay a few alarms through the rules.
    Returns the number of devices. Does nothing if the demo vendor exists already."""
    if Vendor.objects.filter(name=DEMO_VENDOR).exists():
        return 0
    rng = random.Random(seed)
    vendor, secret = services.vendor_create(name=DEMO_VENDOR)
    kinds = [kind for kind, _ in KIND_WEIGHTS]
    weights = [weight for _, weight in KIND_WEIGHTS]
    today = timezone.localdate()
    oldest_birth = today.replace(year=today.year - 60)
    villages = list(Region.objects.filter(level=Level.VILLAGE).order_by("code"))
    devices: list[Device] = []
    binder = {}
    with transaction.atomic():
        for village in villages:
            old = list(
                Person.objects.filter(region=village, birth_date__lte=oldest_birth)
                .order_by("birth_date", "id")
                .values_list("id", flat=True)[: per_village * 2]
            )
            director = binder.setdefault(
                village.code,
                _worker_of(village.code, (Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT)),
            )
            if director is None:
                continue
            # The demo village (the first) gets an SOS button, a fall detector and a watch, so
            # the board has a critical alarm to show there.
            first = village == villages[0]
            for index, person_id in enumerate(rng.sample(old, min(per_village, len(old)))):
                kind = FIRST_VILLAGE_KINDS[index % 3] if first else rng.choices(kinds, weights)[0]
                devices.append(
                    Device(
                        vendor=vendor,
                        serial=f"DEMO-{kind[:3].upper()}-{len(devices) + 1:05d}",
                        kind=kind,
                        person_id=person_id,
                        location=LOCATIONS[kind],
                        bound_by=director,
                    )
                )
        Device.objects.bulk_create(devices)
    _replay_alarms(vendor, secret, devices, rng)
    return len(devices)


def _replay_alarms(vendor: Vendor, secret: str, devices: list[Device], rng: random.Random):
    """A day of heartbeats and a handful of alarms: resolved ones from earlier today, one
    acknowledged, one escalated to the township and one just raised in the first village."""
    if not devices:
        return
    now = timezone.now()
    for device in devices:
        ago = dt.timedelta(minutes=rng.randint(1, 50))
        _event(vendor, secret, device.serial, "heartbeat", now - ago)
    region_of = dict(
        Person.objects.filter(pk__in=[d.person_id for d in devices]).values_list("id", "region_id")
    )
    first_village = min(region_of[d.person_id] for d in devices)
    in_first = [d for d in devices if region_of[d.person_id] == first_village]
    others = [d for d in devices if region_of[d.person_id] != first_village]
    village_roles = (Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT)
    # Resolved earlier today, with outcomes.
    outcomes = [Outcome.FALSE_ALARM, Outcome.HANDLED_ON_SITE, Outcome.SENT_TO_HOSPITAL]
    for device, outcome in zip(rng.sample(others, min(3, len(others))), outcomes, strict=False):
        at = now - dt.timedelta(hours=rng.randint(2, 8))
        result = _event(vendor, secret, device.serial, ALARM_OF[device.kind], at)
        worker = _worker_of(region_of[device.person_id], village_roles)
        if result.body.get("alarm_id") and worker:
            alarm_id = result.body["alarm_id"]
            acknowledged = at + dt.timedelta(minutes=2)
            services.alarm_acknowledge(by=worker, alarm_id=alarm_id, now=acknowledged)
            services.alarm_resolve(
                by=worker,
                alarm_id=alarm_id,
                outcome=outcome,
                note="演示数据：已上门查看。",
                now=at + dt.timedelta(minutes=40),
            )
    # Escalated: raised 7 minutes ago, nobody in the village acknowledged within 5 minutes, so
    # it is with the township now (and moves to the district in 3 minutes if the worker runs).
    critical = [d for d in in_first if ALARM_OF[d.kind] in ("sos", "fall", "smoke", "gas")]
    if critical:
        at = now - dt.timedelta(minutes=7)
        result = _event(vendor, secret, critical[0].serial, ALARM_OF[critical[0].kind], at)
        alarm_id = result.body.get("alarm_id")
        if alarm_id:
            tasks.tell(alarm_id, "village")
            deadline = at + dt.timedelta(minutes=5)
            if services.escalate(alarm_id=alarm_id, tier="village", now=deadline):
                tasks.tell(alarm_id, "township")
    # Just raised in the demo village: waiting for the village director.
    if len(critical) > 1:
        device = critical[1]
        result = _event(
            vendor, secret, device.serial, ALARM_OF[device.kind], now - dt.timedelta(minutes=1)
        )
        if result.body.get("alarm_id"):
            tasks.tell(result.body["alarm_id"], "village")
