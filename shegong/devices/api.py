"""/api/v1/devices and /api/v1/alarms: binding devices, vendors' signed events, alarms."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from shegong import ratelimits

from . import batch, selectors, services, tasks
from .models import Device, DeviceKind, EventType, Outcome, Vendor

devices_router = Router(tags=["devices"])
alarms_router = Router(tags=["alarms"])


class DeviceIn(Schema):
    serial: str
    kind: DeviceKind
    vendor: str = Field(description="The vendor's name or key")
    person_id: int
    location: str = ""


class DeviceOut(Schema):
    id: int
    serial: str
    kind: str
    vendor: str
    person_id: int
    location: str
    is_active: bool
    bound_at: dt.datetime


class FieldErrors(Schema):
    detail: list[dict]


def _device_out(device: Device) -> dict:
    return {
        "id": device.pk,
        "serial": device.serial,
        "kind": device.kind,
        "vendor": device.vendor.name,
        "person_id": device.person_id,
        "location": device.location,
        "is_active": device.is_active,
        "bound_at": device.bound_at,
    }


@devices_router.post(
    "",
    response={201: DeviceOut, 422: FieldErrors},
    summary="Bind a device to an old person in your area (out of scope → 404)",
)
def bind_device(request: HttpRequest, payload: DeviceIn):
    vendor = Vendor.objects.filter(
        Q(name=payload.vendor) | Q(key=payload.vendor), is_active=True
    ).first()
    device = services.device_bind(
        by=request.auth,
        person_id=payload.person_id,
        vendor=vendor,
        serial=payload.serial,
        kind=payload.kind,
        location=payload.location,
    )
    return Status(201, _device_out(device))


class EventIn(Schema):
    """The body a vendor posts (documentation only: the raw bytes are what is signed)."""

    event_id: str = Field(max_length=64)
    serial: str = Field(max_length=64)
    type: EventType
    occurred_at: dt.datetime
    data: dict = {}


@devices_router.post(
    "/events",
    auth=None,
    summary="A vendor platform's device event, signed with the vendor's secret",
    description=(
        "Headers: `X-Vendor` (the vendor's key), `X-Timestamp` (Unix seconds) and "
        '`X-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`. '
        "401 for a bad signature or a timestamp more than 5 minutes away; 404 for an unknown "
        "device (kept in the unmatched list); 422 for a malformed event; 202 with "
        "`alarm_id` (or null) otherwise. The same `event_id` again gets the first answer. "
        "429 with `Retry-After` for heartbeats beyond the vendor's rate (events that may "
        "raise an alarm are never refused)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EventIn.json_schema()}},
        }
    },
)
def device_event(request: HttpRequest):
    headers = request.headers
    try:
        result = services.ingest(
            vendor_key=headers.get("X-Vendor", ""),
            timestamp=headers.get("X-Timestamp", ""),
            signature=headers.get("X-Signature", ""),
            body=request.body,
            now=timezone.now(),
            throttle=ratelimits.vendor_throttle(),
        )
    except batch.StoreUnavailable:
        # Not stored: the vendor retries later, and the same event_id is stored once.
        return JsonResponse({"detail": "event store unavailable, retry"}, status=503)
    if result.raised_alarm_id is not None:
        # After the commit, outside the request: the worker tells people and schedules the
        # escalation; nothing here waits for a notification.
        alarm_id = result.raised_alarm_id
        transaction.on_commit(lambda: tasks.alarm_raised(alarm_id))
    # A plain JsonResponse: the body is already the answer, no schema to validate it against.
    response = JsonResponse(result.body, status=result.status)
    if result.status == 429:
        response["Retry-After"] = str(result.body["retry_after"])
    return response


class AlarmOut(Schema):
    id: int
    person_id: int
    person_name: str
    village: str
    device_id: int
    kind: str
    severity: str
    status: str
    tier: str
    raised_at: dt.datetime
    ack_deadline: dt.datetime | None
    escalated_at: dt.datetime | None
    event_count: int
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str


def alarm_out(alarm) -> dict:
    return {
        "id": alarm.pk,
        "person_id": alarm.person_id,
        "person_name": alarm.person.name,
        "village": alarm.person.region.name,
        "device_id": alarm.device_id,
        "kind": alarm.kind,
        "severity": alarm.severity,
        "status": alarm.status,
        "tier": alarm.tier,
        "raised_at": alarm.raised_at,
        "ack_deadline": alarm.ack_deadline,
        "escalated_at": alarm.escalated_at,
        "event_count": alarm.event_count,
        "acknowledged_by": alarm.acknowledged_by.display_name if alarm.acknowledged_by else None,
        "acknowledged_at": alarm.acknowledged_at,
        "resolved_at": alarm.resolved_at,
        "outcome": alarm.outcome,
    }


class AlarmFilter(Schema):
    status: str = Field(
        "",
        description=(
            "open or unresolved (not resolved yet: open or acknowledged), unacknowledged, "
            "acknowledged, resolved; empty for all"
        ),
    )
    limit: int = Field(100, ge=1, le=500)


@alarms_router.get("", response=list[AlarmOut], summary="Alarms in your area, newest first")
def list_alarms(request: HttpRequest, filters: Query[AlarmFilter]):
    alarms = selectors.alarm_list(user=request.auth, status=filters.status)
    return [alarm_out(alarm) for alarm in alarms[: filters.limit]]


class AlarmConflict(Schema):
    detail: str
    alarm: AlarmOut


class AckIn(Schema):
    note: str = ""


class ResolveIn(Schema):
    outcome: Outcome
    note: str = ""


def _conflict(exc: services.AlarmConflict, user) -> Status:
    alarm = selectors.get_alarm_for_user(user, exc.alarm.pk)
    return Status(409, {"detail": exc.message, "alarm": alarm_out(alarm)})


@alarms_router.post(
    "/{int:alarm_id}/acknowledge",
    response={200: AlarmOut, 409: AlarmConflict},
    summary="Acknowledge an alarm (stops its escalation); 409 if somebody was first",
)
def acknowledge(request: HttpRequest, alarm_id: int, payload: AckIn | None = None):
    try:
        services.alarm_acknowledge(
            by=request.auth,
            alarm_id=alarm_id,
            now=timezone.now(),
            note=payload.note if payload else "",
        )
    except services.AlarmConflict as exc:
        return _conflict(exc, request.auth)
    return alarm_out(selectors.get_alarm_for_user(request.auth, alarm_id))


@alarms_router.post(
    "/{int:alarm_id}/resolve",
    response={200: AlarmOut, 409: AlarmConflict, 422: FieldErrors},
    summary="Resolve an alarm with its outcome",
)
def resolve(request: HttpRequest, alarm_id: int, payload: ResolveIn):
    try:
        services.alarm_resolve(
            by=request.auth,
            alarm_id=alarm_id,
            outcome=payload.outcome,
            note=payload.note,
            now=timezone.now(),
        )
    except services.AlarmConflict as exc:
        return _conflict(exc, request.auth)
    return alarm_out(selectors.get_alarm_for_user(request.auth, alarm_id))
