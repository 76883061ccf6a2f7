"""Retention (PIPL Art. 19 and 47): people who left are anonymised when the retention period
after they left has passed.

Who: status *moved* (and *deceased* unless ``SHEGONG_RETENTION_DECEASED`` is off) with
``left_on`` more than ``SHEGONG_RETENTION_DAYS`` days before today. A person whose day of
leaving is unknown (``left_on`` empty) is never anonymised automatically; the run reports them.
An open case, an open juvenile matter or money left in a custody account holds a person: the
apps that know those register a check with :func:`register_hold`.

What: the person's name, ID number (ciphertext and blind index), phone, address, notes and
household go; the date of birth becomes 1 July of the year (moved just enough to stay on the
same side of every age limit the figures count today); relations and emergency contacts are
deleted; the free text of every record that hangs off the person (the walk of
``personal_data.collect``) is cleared as :data:`SCRUB` says, and so are the values of those
fields in the change history (django-auditlog). Everything the dashboard counts stays: region,
status, sex, categories, colour, levels, dates and counts of visits, alarms, orders and cases.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .apps import AUDITED_PERSON_FIELDS
from .models import MergeRecord, Person, PersonStatus
from .personal_data import collect
from .selectors import _years_ago

# The name an anonymised record shows (stored data, the same in every language).
ANONYMISED_NAME = "已匿名化"
# Replaces required free text (a note must have some text).
REDACTED = "—"
DELETE = "delete"
# The ages the figures and lists count from a date of birth: child (under 18), elderly (60+),
# oldest old (80+, in special difficulty). A coarsened date keeps each on the same side today.
AGE_LIMITS = (18, 60, 80)
# Person fields whose values leave the change history; the others (region, status, sex,
# disability, categories) stay, as they stay on the record.
PERSON_PERSONAL_FIELDS = frozenset(AUDITED_PERSON_FIELDS) - {
    "region",
    "status",
    "sex",
    "disability_kind",
    "disability_grade",
}

# What is personal in every record the walk reaches from a person: field → replacement (only
# fields that hold something are replaced), DELETE for records that are only about someone
# else (a relative, an emergency contact), {} for records with nothing free-form in them.
# tests/test_anonymise.py fails when the walk reaches a model that is not listed here.
SCRUB: dict[str, dict[str, Any] | str] = {
    "people.PersonCategory": {},
    "people.Relation": DELETE,
    "people.MergeRecord": {"merged_hash": "", "reason": ""},
    "people.NotDuplicate": {},
    # Append-only; it names workers and the record, never the person's data.
    "audit.AccessLog": {},
    "casework.Case": {"title": "", "reason": ""},
    "casework.CaseEvent": {"note": ""},
    "casework.CasePlan": {"goals": "", "services": ""},
    "casework.PlanTask": {"title": REDACTED},
    "casework.CaseNote": {"text": REDACTED},
    "casework.Visit": {"companions": "", "seen": "", "observations": "", "concerns": ""},
    "casework.Approval": {"comment": ""},
    "community.ResourceLink": {"description": ""},
    "children.ChildProfile": {"guardian_notes": "", "school": "", "grade": "", "health": ""},
    # An overridden colour must keep a reason (a database constraint): the text goes.
    "children.RiskAssessment": {"override_reason": REDACTED},
    "elderly.ElderlyProfile": {"chronic_conditions": "", "care_arrangement": ""},
    "elderly.EmergencyContact": DELETE,
    "elderly.AbilityAssessment": {},
    "elderly.ServiceOrder": {
        "details": "",
        "requester_name": "",
        "cancel_reason": "",
        "rating_comment": "",
    },
    "elderly.ServiceOrderEvent": {"note": ""},
    "devices.Device": {"location": ""},
    # Vendors' payloads can carry a position or readings.
    "devices.DeviceEvent": {"data": {}},
    "devices.Alarm": {},
    "devices.AlarmAction": {"text": ""},
    "devices.Delivery": {"target": ""},
    "devices.DeliveryAttempt": {"error": ""},
    "institutions.Resident": {"bed": "", "discharge_reason": ""},
    "institutions.Contract": {},
    "institutions.LedgerEntry": {},
    "institutions.StatementLine": {"memo": "", "counterparty": ""},
    "community.Volunteer": {
        "name": ANONYMISED_NAME,
        "phone": "",
        "national_number": "",
        "skills": "",
        "availability": "",
    },
    "community.Assignment": {"hours_note": ""},
    "community.VolunteerTask": {"title": REDACTED, "place": "", "description": ""},
    # Shared records the person took part in: only the link remains, to an anonymised record.
    "community.Activity": {},
    "community.Session": {},
    "community.TrainingSession": {},
}

# (people) → {person id: why they are held}; registered by the apps that know the reasons.
HOLD_CHECKS: list[Callable[[list[Person]], dict[int, str]]] = []


def register_hold(check: Callable[[list[Person]], dict[int, str]]) -> None:
    if check not in HOLD_CHECKS:
        HOLD_CHECKS.append(check)


def retention_days() -> int:
    return settings.SHEGONG_RETENTION_DAYS


def departed_statuses() -> list[str]:
    statuses = [PersonStatus.MOVED]
    if settings.SHEGONG_RETENTION_DECEASED:
        statuses.append(PersonStatus.DECEASED)
    return statuses


def cutoff(today: dt.date) -> dt.date:
    """People who left before this day are past the retention period."""
    return today - dt.timedelta(days=retention_days())


def coarsen_birth_date(born: dt.date, today: dt.date) -> dt.date:
    """1 July of the year of birth, unless an age limit falls between: then the day on the
    person's side of it, so every age group counted today keeps its number."""
    coarse = dt.date(born.year, 7, 1)
    for years in AGE_LIMITS:
        limit = _years_ago(years, today)  # born on or before: at least ``years`` old today
        if (born <= limit) != (coarse <= limit):
            coarse = limit if born <= limit else limit + dt.timedelta(days=1)
    return coarse


def holds(people: list[Person]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for check in HOLD_CHECKS:
        for pk, reason in check(people).items():
            found.setdefault(pk, []).append(reason)
    return found


@dataclass
class RetentionRun:
    today: dt.date
    cutoff: dt.date
    dry_run: bool
    anonymised: list[int] = field(default_factory=list)
    # person id → reasons
    held: dict[int, list[str]] = field(default_factory=dict)
    # departed, not anonymised, day of leaving unknown
    unknown_left_on: int = 0

    @property
    def held_by_reason(self) -> Counter:
        return Counter(reason for reasons in self.held.values() for reason in reasons)


def _candidates(today: dt.date) -> models.QuerySet[Person]:
    return Person.objects.filter(
        status__in=departed_statuses(), anonymised_at__isnull=True, left_on__lt=cutoff(today)
    )


def anonymise_departed(*, today: dt.date | None = None, dry_run: bool = False) -> RetentionRun:
    """Anonymise everyone past the retention period who is not held; each person in their own
    transaction, so one failure leaves the others done. Running it again changes nothing."""
    today = today or timezone.localdate()
    run = RetentionRun(today=today, cutoff=cutoff(today), dry_run=dry_run)
    run.unknown_left_on = Person.objects.filter(
        status__in=departed_statuses(), anonymised_at__isnull=True, left_on__isnull=True
    ).count()
    ids = list(_candidates(today).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 200):
        people = list(Person.objects.filter(pk__in=ids[start : start + 200]).order_by("pk"))
        held = holds(people)
        run.held.update(held)
        for person in people:
            if person.pk in held:
                continue
            if dry_run or person_anonymise(person_id=person.pk, today=today):
                run.anonymised.append(person.pk)
    return run


def person_anonymise(*, person_id: int, today: dt.date | None = None) -> bool:
    """Anonymise one person if they are (still) due and not held; False when not."""
    today = today or timezone.localdate()
    with transaction.atomic():
        person = _candidates(today).select_for_update().filter(pk=person_id).first()
        if person is None or holds([person]):
            return False
        merged = list(
            Person.objects.filter(
                pk__in=MergeRecord.objects.filter(kept=person).values("merged_id")
            ).select_for_update()
        )
        now = timezone.now()
        # The history gets one entry saying so (below), not the values removed.
        with disable_auditlog():
            for subject in [person, *merged]:
                _scrub(subject, today=today, now=now)
        LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(Person),
            object_pk=str(person.pk),
            object_id=person.pk,
            object_repr=f"#{person.pk}",
            action=LogEntry.Action.UPDATE,
            changes={"anonymised_at": ["None", now.isoformat()]},
            actor=None,
        )
    return True


def _scrub(person: Person, *, today: dt.date, now: dt.datetime) -> None:
    found = collect(person)
    household = person.household
    # The history of every record first: deleted records keep their entries.
    for model, records in found.items():
        personal = _personal_fields(model)
        _scrub_history(model, [r.pk for r in records], personal)
    for model, records in found.items():
        if model is Person:
            continue
        rule = SCRUB.get(model._meta.label, {})
        rows = model._default_manager.filter(pk__in=[r.pk for r in records])
        if rule == DELETE:
            rows.delete()
            continue
        for name, replacement in rule.items():
            target = model._meta.get_field(name)
            if isinstance(target, models.JSONField):
                rows.update(**{name: replacement})
            else:
                rows.exclude(**{name: ""}).update(**{name: replacement})
    Person.objects.filter(pk=person.pk).update(
        name=ANONYMISED_NAME,
        birth_date=coarsen_birth_date(person.birth_date, today),
        id_number_encrypted="",
        # Unique and never an HMAC (those are hex): the old number no longer finds the record.
        id_number_hash=f"anonymised:{person.pk}",
        id_number_masked="",
        phone_encrypted="",
        phone_hash="",
        phone_masked="",
        address="",
        notes="",
        household=None,
        anonymised_at=now,
        version=person.version + 1,
        updated_at=now,
    )
    if household is not None and not household.members.exists():
        household.__class__.objects.filter(pk=household.pk).update(number="", address="")
        _scrub_history(type(household), [household.pk], {"number", "address"})


def _personal_fields(model: type[models.Model]) -> set[str] | None:
    """Fields whose values leave the history; None: every value (a deleted record)."""
    if model is Person:
        return set(PERSON_PERSONAL_FIELDS)
    rule = SCRUB.get(model._meta.label, {})
    if rule == DELETE:
        return None
    return set(rule)


def _scrub_history(model: type[models.Model], pks: list[Any], personal: set[str] | None) -> None:
    content_type = ContentType.objects.get_for_model(model)
    for start in range(0, len(pks), 500):
        chunk = [str(pk) for pk in pks[start : start + 500]]
        entries = list(LogEntry.objects.filter(content_type=content_type, object_pk__in=chunk))
        for entry in entries:
            changes = entry.changes or {}
            if isinstance(changes, dict):
                entry.changes = {
                    key: [REDACTED, REDACTED] if personal is None or key in personal else value
                    for key, value in changes.items()
                }
            entry.object_repr = f"#{entry.object_pk}"
            entry.changes_text = ""
            entry.serialized_data = None
        LogEntry.objects.bulk_update(
            entries, ["changes", "object_repr", "changes_text", "serialized_data"]
        )
