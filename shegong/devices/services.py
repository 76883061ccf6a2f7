"""Writes of the device and alarm app: vendors, binding, event ingestion, alarms, escalation.

Time comes in as ``now`` wherever a rule depends on it, so tests drive the clock; the web and the
worker pass :func:`django.utils.timezone.now`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.people import crypto
from shegong.people.models import Person

from . import batch, signing
from .models import (
    ALARM_ACTIVE,
    TIER_ORDER,
    ActionKind,
    Alarm,
    AlarmAction,
    AlarmStatus,
    Device,
    DeviceEvent,
    DeviceKind,
    EventType,
    Outcome,
    Severity,
    Tier,
    Vendor,
)

# ---- vendors --------------------------------------------------------------------------------


def vendor_create(*, name: str) -> tuple[Vendor, str]:
    """A new vendor platform; returns it with its secret, which is shown this once."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the vendor a name.")]})
    if Vendor.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("A vendor with this name exists already.")]})
    secret = secrets.token_urlsafe(32)
    vendor = Vendor.objects.create(
        name=name, key="v_" + secrets.token_hex(12), secret_encrypted=crypto.encrypt(secret)
    )
    return vendor, secret


@dataclass(frozen=True)
class _VendorKey:
    vendor_id: int
    secret: str
    active: bool
    fetched: float


# Vendor keys are read on every event; a worker process keeps them for a short while.
_VENDOR_CACHE: dict[str, _VendorKey] = {}
_VENDOR_CACHE_SECONDS = 30.0
_vendor_lock = threading.Lock()


def forget_vendor_cache() -> None:
    with _vendor_lock:
        _VENDOR_CACHE.clear()


def _vendor_key(key: str) -> _VendorKey | None:
    cached = _VENDOR_CACHE.get(key)
    if cached is not None and time.monotonic() - cached.fetched < _VENDOR_CACHE_SECONDS:
        return cached
    row = Vendor.objects.filter(key=key).values("id", "secret_encrypted", "is_active").first()
    if row is None:
        return None
    entry = _VendorKey(
        row["id"], crypto.decrypt(row["secret_encrypted"]), row["is_active"], time.monotonic()
    )
    with _vendor_lock:
        _VENDOR_CACHE[key] = entry
    return entry


# ---- devices --------------------------------------------------------------------------------


def device_bind(
    *,
    by: Any,
    person_id: int,
    vendor: Vendor | None,
    serial: str,
    kind: str,
    location: str = "",
) -> Device:
    """Bind a vendor's device to an old person in the worker's area; a serial binds once."""
    person = scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person_id)
    serial = serial.strip()
    errors: dict[str, list[str]] = {}
    if vendor is None:
        errors["vendor"] = [_("Choose the device's vendor.")]
    if not serial:
        errors["serial"] = [_("Enter the serial number printed on the device.")]
    elif len(serial) > 64:
        errors["serial"] = [_("A serial number has at most 64 characters.")]
    if kind not in DeviceKind.values:
        errors["kind"] = [_("Choose what kind of device it is.")]
    if vendor is not None and serial:
        taken = Device.objects.filter(vendor=vendor, serial=serial).first()
        if taken is not None:
            # Say that it is taken, not by whom: the other person may be out of this scope.
            errors["serial"] = [_("This device is bound already; unbind it first.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        try:
            with transaction.atomic():
                return Device.objects.create(
                    vendor=vendor,
                    serial=serial,
                    kind=kind,
                    person=person,
                    location=location.strip(),
                    bound_by=by,
                )
        except IntegrityError:
            raise ValidationError(
                {"serial": [_("This device is bound already; unbind it first.")]}
            ) from None


def device_unbind(*, by: Any, device_id: int) -> None:
    """Take a device off a person (returned, broken). Its events and alarms stay on record;
    the serial is freed by renaming it, so the vendor's next event for it is unmatched."""
    device = scope.get_visible_or_404(Device.objects.all(), by, write=True, pk=device_id)
    if Alarm.objects.filter(device=device, status__in=ALARM_ACTIVE).exists():
        raise ValidationError(_("Resolve the device's open alarms before unbinding it."))
    with transaction.atomic(), set_actor(by):
        device.is_active = False
        device.serial = f"{device.serial}~{device.pk}"[:64]
        device.save(update_fields=["is_active", "serial"])


# ---- ingestion ------------------------------------------------------------------------------


@dataclass
class IngestResult:
    status: int
    body: dict[str, Any]
    # Set when a new alarm was raised or an alarm escalated anew: the caller schedules its work.
    raised_alarm_id: int | None = None


def _error(status: int, message: str, **extra: Any) -> IngestResult:
    return IngestResult(status, {"detail": message, **extra})


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _parse_event(body: bytes) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The event's fields, or the list of what is wrong with them (422, naming each field)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, [{"loc": ["body"], "msg": "body is not JSON"}]
    if not isinstance(payload, dict):
        return None, [{"loc": ["body"], "msg": "body must be a JSON object"}]
    errors = []
    for name in ("event_id", "serial"):
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            errors.append({"loc": ["body", name], "msg": "a string of 1 to 64 characters"})
    if payload.get("type") not in EventType.values:
        errors.append({"loc": ["body", "type"], "msg": "one of " + ", ".join(EventType.values)})
    occurred = _parse_time(payload.get("occurred_at"))
    if occurred is None:
        errors.append({"loc": ["body", "occurred_at"], "msg": "an ISO 8601 date and time"})
    data = payload.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        errors.append({"loc": ["body", "data"], "msg": "a JSON object"})
    if errors:
        return None, errors
    return {
        "event_id": payload["event_id"].strip(),
        "serial": payload["serial"].strip(),
        "type": payload["type"],
        "occurred_at": occurred,
        "data": data,
    }, []


def severity_for(event_type: str, data: dict[str, Any], *, cognitive_impairment: bool) -> str:
    """The rule from event to alarm: the severity, or "" when the event raises no alarm."""
    if event_type in (EventType.SOS, EventType.FALL, EventType.SMOKE, EventType.GAS):
        return Severity.CRITICAL
    if event_type == EventType.GEOFENCE_EXIT:
        # Someone with dementia out of the safe area may be lost; anyone else is out for a walk,
        # but the station still sees it.
        return Severity.HIGH if cognitive_impairment else Severity.LOW
    if event_type == EventType.INACTIVITY:
        hours = data.get("hours")
        if isinstance(hours, int | float) and hours < settings.SHEGONG_INACTIVITY_HOURS:
            return ""
        return Severity.MEDIUM
    if event_type == EventType.LOW_BATTERY:
        return Severity.LOW
    return ""


def ack_window(severity: str) -> dt.timedelta | None:
    seconds = settings.SHEGONG_ALARM_ACK_SECONDS.get(severity)
    return dt.timedelta(seconds=seconds) if seconds else None


def _cognitive_impairment(person_id: int) -> bool:
    from shegong.elderly.models import ElderlyProfile

    return ElderlyProfile.objects.filter(person_id=person_id, cognitive_impairment=True).exists()


def _raise_or_join(device: Device, event_type: str, severity: str, now: dt.datetime) -> tuple:
    """The active alarm of this device and kind with one more event, or a new one."""
    active = Alarm.objects.select_for_update().filter(
        device=device, kind=event_type, status__in=ALARM_ACTIVE
    )
    alarm = active.first()
    if alarm is not None:
        Alarm.objects.filter(pk=alarm.pk).update(
            event_count=F("event_count") + 1, last_event_at=now
        )
        return alarm, False
    window = ack_window(severity)
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                person_id=device.person_id,
                device=device,
                kind=event_type,
                severity=severity,
                raised_at=now,
                last_event_at=now,
                ack_deadline=now + window if window else None,
            )
    except IntegrityError:
        # Another request raised it a moment ago: join that one.
        alarm = active.get()
        Alarm.objects.filter(pk=alarm.pk).update(
            event_count=F("event_count") + 1, last_event_at=now
        )
        return alarm, False
    AlarmAction.objects.create(alarm=alarm, kind=ActionKind.RAISED, tier=alarm.tier, at=now)
    return alarm, True


# Events that can never raise an alarm: stored in one statement, grouped under load (batch.py).
QUIET_EVENTS = frozenset({EventType.HEARTBEAT})


def _store_quiet(vendor_id: int, event: dict[str, Any], now: dt.datetime) -> int | None:
    """Store an event that raises nothing; its status code (202, or 404 for an unknown serial),
    or None when this event_id was stored before."""
    row = batch.row_for(vendor_id, event, now)
    if settings.SHEGONG_EVENT_GROUP_COMMIT:
        return batch.WRITER.store(vendor_id, event["event_id"], row)
    return batch.write_one(vendor_id, event["event_id"], row)


def _first_delivery(vendor_id: int, event_id: str) -> DeviceEvent:
    first = DeviceEvent.objects.filter(vendor_id=vendor_id, event_id=event_id).first()
    if first is None:  # pragma: no cover - the constraint that failed was another one
        raise IntegrityError(f"device event {vendor_id}:{event_id} conflicted but is missing")
    return first


def _answer_of(event: DeviceEvent) -> IngestResult:
    if event.status_code == 404:
        return _error(404, "unknown device", event_id=event.event_id)
    return IngestResult(
        202, {"accepted": True, "event_id": event.event_id, "alarm_id": event.alarm_id}
    )


def ingest(
    *,
    vendor_key: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: dt.datetime,
    throttle: Callable[[str], int | None] | None = None,
) -> IngestResult:
    """One signed event from a vendor platform: checked, stored, turned into an alarm.

    401 for an unknown vendor, a bad signature or a timestamp more than
    ``SHEGONG_DEVICE_MAX_SKEW`` away; 422 for a malformed event; 404 for an unknown serial
    (kept in the unmatched list); 202 otherwise. The same ``event_id`` again gets the first
    answer again and raises nothing.

    ``throttle(vendor_key)`` counts a verified vendor's quiet events (heartbeats) and answers
    the seconds to wait once the vendor is over its rate: 429 then, with ``retry_after``.
    Counted only after the signature check, so nobody can use up a vendor's rate, and never
    for events that may raise an alarm: a flood of heartbeats must not hold back a fall.
    """
    vendor = _vendor_key(vendor_key or "")
    if vendor is None or not vendor.active:
        return _error(401, "unknown vendor")
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return _error(401, "X-Timestamp must be Unix seconds")
    if abs(now.timestamp() - sent_at) > settings.SHEGONG_DEVICE_MAX_SKEW:
        return _error(401, "timestamp too old or too far ahead")
    if not signing.signature_ok(vendor.secret, timestamp, body, signature):
        return _error(401, "bad signature")
    event, errors = _parse_event(body)
    if event is None:
        return IngestResult(422, {"detail": errors})

    if event["type"] in QUIET_EVENTS:
        wait = throttle(vendor_key) if throttle is not None else None
        if wait is not None:
            return _error(
                429,
                _("Too many events from this vendor. Retry in %(seconds)s seconds.")
                % {"seconds": wait},
                retry_after=wait,
            )
        # Most traffic: one statement, no transaction, nothing else to do.
        status = _store_quiet(vendor.vendor_id, event, now)
        if status is None:
            return _answer_of(_first_delivery(vendor.vendor_id, event["event_id"]))
        if status == 404:
            return _error(404, "unknown device", event_id=event["event_id"])
        return IngestResult(
            202, {"accepted": True, "event_id": event["event_id"], "alarm_id": None}
        )
    device = (
        Device.objects.filter(vendor_id=vendor.vendor_id, serial=event["serial"], is_active=True)
        .only("id", "person_id")
        .first()
    )
    severity = ""
    if device is not None:
        cognitive = (
            _cognitive_impairment(device.person_id)
            if event["type"] == EventType.GEOFENCE_EXIT
            else False
        )
        severity = severity_for(event["type"], event["data"], cognitive_impairment=cognitive)
    try:
        with transaction.atomic():
            alarm, raised = (None, False)
            if severity:
                alarm, raised = _raise_or_join(device, event["type"], severity, now)
            stored = DeviceEvent.objects.create(
                vendor_id=vendor.vendor_id,
                event_id=event["event_id"],
                device=device,
                serial=event["serial"],
                type=event["type"],
                occurred_at=event["occurred_at"],
                received_at=now,
                data=event["data"],
                status_code=202 if device is not None else 404,
                alarm=alarm,
            )
    except IntegrityError:
        # The same event_id again (a vendor's retry): the first answer, nothing raised.
        return _answer_of(_first_delivery(vendor.vendor_id, event["event_id"]))
    result = _answer_of(stored)
    if raised:
        result.raised_alarm_id = alarm.pk
    return result


# ---- routing and escalation -----------------------------------------------------------------


def tier_code(person_code: str, tier: str) -> str:
    """The region code of the station an alarm is with: the person's village, its township,
    or the district."""
    if tier == Tier.VILLAGE:
        return person_code
    if tier == Tier.TOWNSHIP:
        return person_code[:9] + "000"
    return person_code[:6] + "000000"


def next_tier(tier: str) -> str | None:
    index = TIER_ORDER.index(tier)
    return TIER_ORDER[index + 1] if index + 1 < len(TIER_ORDER) else None


def _action(alarm: Alarm, kind: str, by: Any, at: dt.datetime, text: str = "") -> None:
    AlarmAction.objects.create(alarm=alarm, kind=kind, tier=alarm.tier, by=by, text=text, at=at)


def escalate(*, alarm_id: int, tier: str, now: dt.datetime) -> Alarm | None:
    """Move an unacknowledged alarm from ``tier`` to the next one if its deadline has passed.

    Idempotent: the delayed task, the periodic sweep and a retried task may all call it for the
    same deadline; only the first moves the alarm. Returns the alarm if it moved.
    """
    with transaction.atomic():
        alarm = Alarm.objects.select_for_update().filter(pk=alarm_id).first()
        if (
            alarm is None
            or alarm.status != AlarmStatus.OPEN
            or alarm.tier != tier
            or alarm.ack_deadline is None
            or alarm.ack_deadline > now
        ):
            return None
        following = next_tier(tier)
        if following is None:
            return None
        window = ack_window(alarm.severity)
        alarm.tier = following
        alarm.escalated_at = now
        alarm.ack_deadline = now + window if window else None
        alarm.version += 1
        alarm.save(update_fields=["tier", "escalated_at", "ack_deadline", "version"])
        _action(
            alarm,
            ActionKind.ESCALATED,
            None,
            now,
            _("Not acknowledged in time at the %(tier)s.") % {"tier": Tier(tier).label},
        )
    return alarm


def overdue_alarm_ids(*, now: dt.datetime) -> list[tuple[int, str]]:
    """(id, tier) of open alarms past their deadline that can still move up: the sweep's work."""
    rows = (
        Alarm.objects.filter(status=AlarmStatus.OPEN, ack_deadline__lte=now)
        .exclude(tier=Tier.DISTRICT)
        .values_list("id", "tier")
    )
    return list(rows)


# ---- acknowledging and resolving ------------------------------------------------------------


class AlarmConflict(Exception):
    """Somebody else acknowledged or resolved the alarm first."""

    def __init__(self, alarm: Alarm, message: str) -> None:
        super().__init__(message)
        self.alarm = alarm
        self.message = message


def _lock_for(by: Any, alarm_id: int) -> Alarm:
    scope.get_visible_or_404(Alarm.objects.all(), by, write=True, pk=alarm_id)
    return (
        Alarm.objects.select_for_update(of=("self",))
        .select_related("acknowledged_by")
        .get(pk=alarm_id)
    )


def _who(user: Any) -> str:
    return user.display_name if user is not None else ""


def alarm_acknowledge(*, by: Any, alarm_id: int, now: dt.datetime, note: str = "") -> Alarm:
    """ "I am on it": stops the escalation. The second worker to click is told who was first."""
    with transaction.atomic(), set_actor(by):
        alarm = _lock_for(by, alarm_id)
        if alarm.status != AlarmStatus.OPEN:
            raise AlarmConflict(
                alarm,
                _("%(who)s acknowledged this alarm already.") % {"who": _who(alarm.acknowledged_by)}
                if alarm.status == AlarmStatus.ACKNOWLEDGED
                else _("This alarm is resolved already."),
            )
        alarm.status = AlarmStatus.ACKNOWLEDGED
        alarm.acknowledged_by = by
        alarm.acknowledged_at = now
        alarm.version += 1
        alarm.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "version"])
        _action(alarm, ActionKind.ACKNOWLEDGED, by, now, note.strip())
    return alarm


def alarm_note(*, by: Any, alarm_id: int, text: str, now: dt.datetime) -> AlarmAction:
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Write the note first.")]})
    with transaction.atomic(), set_actor(by):
        alarm = _lock_for(by, alarm_id)
        action = AlarmAction.objects.create(
            alarm=alarm, kind=ActionKind.NOTE, tier=alarm.tier, by=by, text=text, at=now
        )
    return action


def alarm_resolve(
    *, by: Any, alarm_id: int, outcome: str, now: dt.datetime, note: str = ""
) -> Alarm:
    """Close the alarm with what happened. Resolving an unacknowledged alarm acknowledges it."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose what happened.")]})
    if outcome == Outcome.OTHER and not note.strip():
        raise ValidationError({"note": [_("Say what happened when the outcome is “other”.")]})
    with transaction.atomic(), set_actor(by):
        alarm = _lock_for(by, alarm_id)
        if alarm.status == AlarmStatus.RESOLVED:
            raise AlarmConflict(alarm, _("This alarm is resolved already."))
        if alarm.acknowledged_at is None:
            alarm.acknowledged_by = by
            alarm.acknowledged_at = now
        alarm.status = AlarmStatus.RESOLVED
        alarm.resolved_by = by
        alarm.resolved_at = now
        alarm.outcome = outcome
        alarm.version += 1
        alarm.save()
        _action(alarm, ActionKind.RESOLVED, by, now, note.strip())
    return alarm
