"""Who hears about an alarm, and telling them: one :class:`Delivery` per recipient and channel,
one :class:`DeliveryAttempt` per try, with back-off between failed tries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from shegong.accounts.models import Membership, Role, User
from shegong.casework.models import Notification
from shegong.regions.models import Station

from . import channels
from .models import Alarm, AlarmStatus, Channel, Delivery, DeliveryAttempt, DeliveryStatus, Tier
from .services import tier_code

# The workers an alarm goes to at each tier.
TIER_ROLES = {
    Tier.VILLAGE: (Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT),
    Tier.TOWNSHIP: (Role.TOWNSHIP_SUPERVISOR, Role.TOWNSHIP_WORKER),
    Tier.DISTRICT: (Role.DISTRICT_ADMIN, Role.CENTER_WORKER),
}


def recipients(alarm: Alarm, tier: str) -> list[User]:
    """Active workers of the station the alarm is with at ``tier``. Centre workers whose
    membership names programmes hear about it only when elderly care is one of them."""
    code = tier_code(alarm.person.region.code, tier)
    memberships = Membership.objects.filter(
        is_active=True,
        user__is_active=True,
        role__in=TIER_ROLES[Tier(tier)],
        region__code=code,
    ).select_related("user")
    users: dict[int, User] = {}
    for membership in memberships:
        if membership.programmes and "elderly" not in membership.programmes:
            continue
        users[membership.user_id] = membership.user
    return sorted(users.values(), key=lambda user: user.pk)


def plan(alarm_id: int, tier: str) -> list[int]:
    """Create the deliveries for one tier (once: a second call adds nothing) and return the ids
    of those still to send."""
    alarm = Alarm.objects.select_related("person__region").get(pk=alarm_id)
    rows = []
    for user in recipients(alarm, tier):
        rows.append(Delivery(alarm=alarm, tier=tier, channel=Channel.IN_APP, user=user))
        if user.phone:
            rows.append(Delivery(alarm=alarm, tier=tier, channel=Channel.SMS, user=user))
    station = Station.objects.filter(region__code=tier_code(alarm.person.region.code, tier)).first()
    if station is not None and station.wecom_webhook:
        rows.append(
            Delivery(alarm=alarm, tier=tier, channel=Channel.WECOM, target=station.wecom_webhook)
        )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Delivery.objects.filter(alarm=alarm, tier=tier, status=DeliveryStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)
    )


def message(alarm: Alarm, *, for_group: bool = False) -> str:
    """The alarm in one line, in the district's language. A group message (WeCom, outside our
    servers) carries the surname only; the link leads to the full file for those in scope."""
    with translation.override(settings.LANGUAGE_CODE):
        name = alarm.person.name
        if for_group and name:
            name = name[0] + "*" * (len(name) - 1)
        text = _("[%(severity)s] %(kind)s: %(name)s, %(place)s, at %(time)s") % {
            "severity": alarm.get_severity_display(),
            "kind": alarm.get_kind_display(),
            "name": name,
            "place": alarm.person.region.name,
            "time": date_format(timezone.localtime(alarm.raised_at), "Y-m-d H:i"),
        }
        if alarm.tier != Tier.VILLAGE:
            text += " " + _("(escalated: not acknowledged in time)")
        return text + " " + settings.SHEGONG_BASE_URL.rstrip("/") + alarm.get_absolute_url()


def _send(delivery: Delivery) -> None:
    alarm = delivery.alarm
    if delivery.channel == Channel.IN_APP:
        with transaction.atomic():
            Notification.objects.get_or_create(
                user=delivery.user,
                key=f"alarm:{alarm.pk}:{delivery.tier}",
                defaults={
                    "title": message(alarm)[:200],
                    "url": reverse("devices:alarm", args=[alarm.pk]),
                },
            )
    elif delivery.channel == Channel.SMS:
        channels.send_sms(delivery.user.phone if delivery.user else "", message(alarm))
    elif delivery.channel == Channel.WECOM:
        channels.send_wecom(delivery.target, message(alarm, for_group=True))


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min … after the first, second, third … failure."""
    return dt.timedelta(seconds=settings.SHEGONG_NOTIFY_BACKOFF * 2 ** max(attempts - 1, 0))


def attempt(delivery_id: int, *, now: dt.datetime) -> Delivery | None:
    """Try one delivery once; record the try. Returns the delivery (status tells the result)."""
    delivery = (
        Delivery.objects.select_related("alarm__person__region", "user")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:
        return None
    error = ""
    try:
        _send(delivery)
    except channels.SendFailed as exc:
        error = str(exc) or exc.__class__.__name__
    delivery.attempts += 1
    if not error:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.SHEGONG_NOTIFY_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery=delivery, at=now, ok=not error, error=error)
        delivery.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
    return delivery


def due_retries(*, now: dt.datetime) -> list[int]:
    """Pending deliveries whose retry time has passed, and those planned before ``now`` but
    never tried (the worker died between planning and sending): the sweep's safety net."""
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now)
    return list(
        Delivery.objects.filter(due, status=DeliveryStatus.PENDING)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:500]
    )


def untold(*, now: dt.datetime) -> list[tuple[int, str]]:
    """(id, tier) of open alarms raised or escalated before ``now`` whose current tier has no
    delivery planned: the worker died after the alarm moved and before anyone was told."""
    planned = Delivery.objects.filter(alarm=OuterRef("pk"), tier=OuterRef("tier"))
    moved_before = Q(escalated_at__isnull=True, raised_at__lte=now) | Q(escalated_at__lte=now)
    rows = (
        Alarm.objects.filter(moved_before, status=AlarmStatus.OPEN)
        .exclude(Exists(planned))
        .order_by("raised_at")
        .values_list("id", "tier")
    )
    return list(rows[:500])
