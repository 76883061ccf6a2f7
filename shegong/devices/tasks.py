"""Background work of the alarm app (Huey): telling workers, escalating, retrying.

The request that stores an event only enqueues :func:`alarm_raised`; everything slow happens
here. Each escalation is a task scheduled for the alarm's deadline; :func:`sweep` runs every
minute as the safety net for a task that was lost (a worker restart with an in-memory queue).
"""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import notify, services
from .models import Alarm, Severity

logger = logging.getLogger("shegong.alarms")

# The sweep leaves a delivery retry this long to its own scheduled task before doing it itself.
SWEEP_GRACE = dt.timedelta(seconds=30)


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


def tell(alarm_id: int, tier: str) -> None:
    """Plan the tier's deliveries and try each once; failures are scheduled again."""
    for delivery_id in notify.plan(alarm_id, tier):
        _try(delivery_id)


def _try(delivery_id: int) -> None:
    delivery = notify.attempt(delivery_id, now=_now())
    if delivery is not None and delivery.next_attempt_at is not None:
        deliver.schedule(args=(delivery_id,), eta=delivery.next_attempt_at)


def _schedule_escalation(alarm: Alarm) -> None:
    if alarm.ack_deadline is not None and services.next_tier(alarm.tier) is not None:
        alarm_escalate.schedule(args=(alarm.pk, alarm.tier), eta=alarm.ack_deadline)


@db_task()
def alarm_raised(alarm_id: int) -> None:
    """A new alarm: schedule its escalation first (nothing slow may delay it), then tell the
    village station, then ask for a visit within 24 hours."""
    alarm = Alarm.objects.filter(pk=alarm_id).first()
    if alarm is None:
        return
    _schedule_escalation(alarm)
    tell(alarm.pk, alarm.tier)
    if alarm.severity != Severity.LOW:
        from shegong.elderly.services import visit_needed_after_alarm

        visit_needed_after_alarm(person_id=alarm.person_id, at=alarm.raised_at)


def escalate_now(alarm_id: int, tier: str) -> bool:
    alarm = services.escalate(alarm_id=alarm_id, tier=tier, now=_now())
    if alarm is None:
        return False
    logger.info("alarm %s escalated from %s to %s", alarm_id, tier, alarm.tier)
    _schedule_escalation(alarm)
    tell(alarm.pk, alarm.tier)
    return True


@db_task()
def alarm_escalate(alarm_id: int, tier: str) -> bool:
    return escalate_now(alarm_id, tier)


@db_task()
def deliver(delivery_id: int) -> None:
    _try(delivery_id)


@db_periodic_task(crontab(minute="*"))
def sweep() -> int:
    """Every minute: escalate what a lost task left behind, tell the tiers a killed worker
    never told, and retry what a lost retry left. Each step checks the rows first, so a task
    that did run, or runs at the same time, is not repeated."""
    now = _now()
    moved = 0
    for alarm_id, tier in services.overdue_alarm_ids(now=now):
        moved += escalate_now(alarm_id, tier)
    for alarm_id, tier in notify.untold(now=now - SWEEP_GRACE):
        tell(alarm_id, tier)
    for delivery_id in notify.due_retries(now=now - SWEEP_GRACE):
        _try(delivery_id)
    return moved
