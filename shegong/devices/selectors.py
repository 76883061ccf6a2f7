"""Reads of devices and alarms, always through the scope gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.http import Http404

from shegong.accounts import scope
from shegong.casework.selectors import period_q, region_q

from .models import (
    ALARM_ACTIVE,
    SEVERITY_RANK,
    Alarm,
    AlarmStatus,
    Device,
    DeviceEvent,
    Tier,
)

RECENT_RESOLVED_HOURS = 24


def _severity_rank():
    return Case(
        *[When(severity=severity, then=Value(rank)) for severity, rank in SEVERITY_RANK.items()],
        output_field=IntegerField(),
    )


# The status filter of alarm lists: a status, or one of these groups.
STATUS_GROUPS = {
    "open": ALARM_ACTIVE,  # not resolved yet (the API's meaning of "open")
    "unresolved": ALARM_ACTIVE,
    "unacknowledged": (AlarmStatus.OPEN,),
}


def alarm_list(
    *,
    user: Any,
    status: str = "",
    region: str = "",
    raised_from: dt.date | None = None,
    raised_to: dt.date | None = None,
) -> QuerySet[Alarm]:
    """Alarms in the user's area, newest first. ``status`` is a status or a group of
    :data:`STATUS_GROUPS` (``open`` means not resolved yet: open or acknowledged); ``region`` a
    region-code prefix; ``raised_from`` / ``raised_to`` local dates of raising."""
    queryset = scope.visible(Alarm.objects.all(), user)
    if status in STATUS_GROUPS:
        queryset = queryset.filter(status__in=STATUS_GROUPS[status])
    elif status in AlarmStatus.values:
        queryset = queryset.filter(status=status)
    queryset = queryset.filter(
        region_q("person__region__code", region), period_q("raised_at", raised_from, raised_to)
    )
    return queryset.select_related("person", "person__region", "acknowledged_by").order_by(
        "-raised_at", "-id"
    )


@dataclass
class Board:
    active: list[Alarm]
    resolved: list[Alarm]
    waiting_on_me: int


def viewer_tier(user: Any) -> str:
    """The tier a user answers for: the widest of their areas (a township worker is the
    township tier)."""
    prefixes = scope.scope_for(user).write_prefixes
    if any(len(prefix) <= 6 for prefix in prefixes):
        return Tier.DISTRICT
    if any(len(prefix) <= 9 for prefix in prefixes):
        return Tier.TOWNSHIP
    return Tier.VILLAGE


def board(*, user: Any, now: dt.datetime) -> Board:
    """The live alarm board: unresolved alarms, the most urgent first (open before
    acknowledged, then by severity, then oldest first), and those resolved in the last day."""
    active = (
        alarm_list(user=user, status="open")
        .annotate(severity_rank=_severity_rank())
        .order_by("-status", "severity_rank", "raised_at", "id")
    )
    # "-status": "open" sorts after "acknowledged" alphabetically, so descending puts it first.
    recent = alarm_list(user=user, status=AlarmStatus.RESOLVED).filter(
        resolved_at__gte=now - dt.timedelta(hours=RECENT_RESOLVED_HOURS)
    )
    active_list = list(active[:200])
    tier = viewer_tier(user)
    waiting = sum(1 for a in active_list if a.status == AlarmStatus.OPEN and a.tier == tier)
    return Board(active_list, list(recent[:50]), waiting)


def get_alarm_for_user(user: Any, alarm_id: int) -> Alarm:
    queryset = Alarm.objects.select_related(
        "person", "person__region", "device", "device__vendor", "acknowledged_by", "resolved_by"
    )
    return scope.get_visible_or_404(queryset, user, pk=alarm_id)


def alarm_trail(alarm: Alarm) -> dict[str, list]:
    return {
        "actions": list(alarm.actions.select_related("by")),
        "events": list(alarm.events.order_by("-received_at", "-id")[:50]),
        "deliveries": list(
            alarm.deliveries.select_related("user").prefetch_related("tries").order_by("id")
        ),
    }


def devices_of(*, user: Any, person_id: int) -> list[Device]:
    queryset = scope.visible(Device.objects.filter(person_id=person_id, is_active=True), user)
    return list(queryset.select_related("vendor").annotate(last_seen=_last_event()))


def _last_event():
    return Subquery(
        DeviceEvent.objects.filter(device=OuterRef("pk"))
        .order_by("-received_at")
        .values("received_at")[:1]
    )


def device_list(*, user: Any) -> QuerySet[Device]:
    queryset = scope.visible(Device.objects.filter(is_active=True), user)
    return (
        queryset.select_related("vendor", "person", "person__region")
        .annotate(last_seen=_last_event())
        .order_by("person__region_id", "person__name", "id")
    )


def unmatched_events(*, user: Any) -> QuerySet[DeviceEvent]:
    """Events for serials nobody bound: a district administrator's list to sort out (no
    personal data in it, but it is configuration work)."""
    if not scope.is_admin(user):
        raise Http404
    return (
        DeviceEvent.objects.filter(device__isnull=True)
        .select_related("vendor")
        .order_by("-received_at", "-id")
    )


def profile_panel(request: Any, person: Any) -> dict | None:
    """The devices and recent alarms panel on an old person's file (elderly.views)."""
    user = request.user
    alarms = list(
        scope.visible(Alarm.objects.filter(person=person), user)
        .select_related("acknowledged_by")
        .order_by("-raised_at", "-id")[:5]
    )
    return {
        "template": "devices/_profile_panel.html",
        "person": person,
        "devices": devices_of(user=user, person_id=person.pk),
        "alarms": alarms,
        "can_bind": scope.can_write_region(user, person.region_id),
    }
