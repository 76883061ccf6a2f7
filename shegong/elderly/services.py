"""Writes of the elderly-care programme: elderly files, contacts, ability assessments, high
risk (after an alarm or a discharge: the visit schedule of ``visits.py`` follows), and service
orders (one function per transition: each locks the order through the scope gate,
refuses a stale ``version`` or an illegal transition, and writes the event row in the same
transaction; the provider is told after the commit)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Role
from shegong.audit.models import AccessAction
from shegong.audit.services import access_record
from shegong.casework.services import notify
from shegong.people import crypto
from shegong.people.models import Person
from shegong.people.services import PHONE_RE, normalise_phone

from . import scoring, visits
from .models import (
    AbilityAssessment,
    ElderlyProfile,
    EmergencyContact,
    HighRiskReason,
    LivingSituation,
    OrderStatus,
    RequesterType,
    ServiceKind,
    ServiceOrder,
    ServiceOrderEvent,
)

# GB/T 42195-2022: reassess every six months, and whenever the condition changes.
REASSESS_EVERY_MONTHS = 6
MAX_CONTACTS = 3
# Who may sign an assessment as the second assessor: registry workers of the village or above.
ASSESSOR_ROLES = (
    Role.VILLAGE_DIRECTOR,
    Role.VILLAGE_ASSISTANT,
    Role.TOWNSHIP_WORKER,
    Role.TOWNSHIP_SUPERVISOR,
    Role.CENTER_WORKER,
    Role.DISTRICT_ADMIN,
)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day (31 Aug + 6 → 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def profile_ensure(*, by: Any, person: Person) -> ElderlyProfile:
    """The old person's file, opened now if needed (only for a person aged 60 or over)."""
    scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
    existing = ElderlyProfile.objects.filter(person=person).first()
    if existing:
        return existing
    if not person.is_elderly:
        raise ValidationError({"person": [_("An elderly file is for a person aged 60 or over.")]})
    profile = ElderlyProfile(person=person)
    # Aged 80 or over is a visit tier of its own: the first visit is due at once.
    visits.reschedule(profile, old_tier=visits.Tier.NONE, today=timezone.localdate())
    profile.save()
    return profile


def profile_record_read(*, by: Any, profile: ElderlyProfile, request: Any = None) -> None:
    """Every read of an elderly file is in the access log (health data is sensitive)."""
    access_record(
        user=by, action=AccessAction.READ, obj=profile, person=profile.person, request=request
    )


class StaleProfile(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(
            _(
                "Someone else changed this file while you were editing it. Reload to see their "
                "changes, then apply yours again."
            )
        )
        self.current_version = current_version


PROFILE_FIELDS = (
    "living_situations",
    "cognitive_impairment",
    "chronic_conditions",
    "care_arrangement",
)


def profile_update(
    *,
    by: Any,
    person_id: int,
    version: int,
    changes: dict,
    contacts: list[dict] | None = None,
) -> ElderlyProfile:
    """Change an elderly file and (when given) its emergency contacts; a stale ``version`` is
    refused. A change of cognitive state makes a reassessment due today (the standard asks for
    one whenever the condition changes)."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    with transaction.atomic(), set_actor(by):
        profile = scope.get_visible_or_404(
            ElderlyProfile.objects.select_for_update(), by, write=True, person_id=person_id
        )
        if profile.version != version:
            raise StaleProfile(profile.version)
        errors: dict[str, list[str]] = {}
        if set(changes.get("living_situations") or []) - set(LivingSituation.values):
            errors["living_situations"] = [_("Unknown living situation.")]
        rows = _clean_contacts(profile, contacts, errors) if contacts is not None else None
        if errors:
            raise ValidationError(errors)
        condition_changed = (
            "cognitive_impairment" in changes
            and changes["cognitive_impairment"] != profile.cognitive_impairment
        )
        today = timezone.localdate()
        old_tier = visits.visit_tier(profile, today=today)
        for field, value in changes.items():
            setattr(profile, field, value)
        if condition_changed and profile.level:
            profile.next_assessment_due = today
        visits.reschedule(profile, old_tier=old_tier, today=today)
        profile.version += 1
        profile.save()
        if rows is not None:
            _replace_contacts(profile, rows)
    return profile


def _clean_contacts(
    profile: ElderlyProfile, contacts: list[dict], errors: dict[str, list[str]]
) -> list[dict]:
    """Validated contact rows. A blank phone on an existing contact keeps the stored one: the
    form never shows the full number."""
    existing = {c.pk: c for c in profile.contacts.all()}
    rows = []
    for n, data in enumerate(contacts[:MAX_CONTACTS]):
        name = (data.get("name") or "").strip()
        relation = (data.get("relation") or "").strip()
        phone = normalise_phone(data.get("phone") or "")
        old = existing.get(data.get("id"))
        if not name:
            continue
        if phone and not PHONE_RE.match(phone):
            errors[f"contact_{n}_phone"] = [
                _("Enter an 11-digit mobile number or a landline with area code (0311-12345678).")
            ]
        rows.append({"name": name, "relation": relation, "phone": phone, "old": old})
    return rows


def _replace_contacts(profile: ElderlyProfile, rows: list[dict]) -> None:
    profile.contacts.all().delete()
    for order, row in enumerate(rows):
        contact = EmergencyContact(
            profile=profile, name=row["name"], relation=row["relation"], order=order
        )
        old = row["old"]
        if not row["phone"] and old is not None:
            contact.phone_encrypted = old.phone_encrypted
            contact.phone_hash = old.phone_hash
            contact.phone_masked = old.phone_masked
        else:
            contact.phone_encrypted = crypto.encrypt(row["phone"])
            contact.phone_hash = crypto.blind_index(row["phone"])
            contact.phone_masked = crypto.mask_phone(row["phone"])
        contact.save()


def assessor_candidates(*, code: str):
    """Active users who may sign as an assessor for an old person living in village ``code``."""
    from shegong.accounts.models import User

    regions = [code, code[:9].ljust(12, "0"), code[:6].ljust(12, "0")] if code else []
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role__in=ASSESSOR_ROLES,
            memberships__region__code__in=regions,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def _check_second_assessor(*, by: Any, second: Any, code: str) -> None:
    if second.pk == by.pk:
        raise ValidationError({"second_assessor": [_("The second assessor must be someone else.")]})
    if not assessor_candidates(code=code).filter(pk=second.pk).exists():
        raise ValidationError(
            {"second_assessor": [_("Choose an assessor who works for this person's village.")]}
        )


@transaction.atomic
def assessment_record(
    *,
    by: Any,
    person: Person,
    items: dict[str, Any],
    coma: bool = False,
    dementia_or_mental_disorder: bool = False,
    risk_events_30d: int = 0,
    second_assessor: Any = None,
) -> AbilityAssessment:
    """Score and file an assessment; the file takes its level and the next due date.

    Signed by ``by`` and, when given, the second assessor at once (both at the old person's
    side); otherwise the assessment waits for the second signature (:func:`assessment_countersign`).
    """
    # Scope first: an outsider learns nothing, not even which items are missing.
    scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
    if not person.is_elderly:
        raise ValidationError(
            {"person": [_("An ability assessment is for a person aged 60 or over.")]}
        )
    result = scoring.score(
        items,
        coma=coma,
        dementia_or_mental_disorder=dementia_or_mental_disorder,
        risk_events_30d=risk_events_30d,
    )
    if second_assessor is not None:
        _check_second_assessor(by=by, second=second_assessor, code=person.region_id)
    now = timezone.now()
    with set_actor(by):
        profile = profile_ensure(by=by, person=person)
        profile = ElderlyProfile.objects.select_for_update().get(pk=profile.pk)
        profile.person = person
        today = timezone.localdate(now)
        old_tier = visits.visit_tier(profile, today=today)
        assessment = AbilityAssessment.objects.create(
            profile=profile,
            items={key: int(items[key]) for key in items},
            coma=coma,
            dementia_or_mental_disorder=dementia_or_mental_disorder,
            risk_events_30d=risk_events_30d,
            total=result.total,
            part_scores=result.part_scores,
            preliminary_level=result.preliminary_level,
            level=result.level,
            adjustments=result.adjustments,
            assessed_by=by,
            second_assessor=second_assessor,
            second_signed_at=now if second_assessor is not None else None,
            next_due=add_months(timezone.localdate(now), REASSESS_EVERY_MONTHS),
        )
        if profile.level != result.level:
            profile.level = result.level
            profile.level_since = now
        profile.next_assessment_due = assessment.next_due
        visits.reschedule(profile, old_tier=old_tier, today=today)
        profile.version += 1
        profile.save()
    return assessment


@transaction.atomic
def assessment_countersign(*, by: Any, person_id: int, assessment_id: int) -> AbilityAssessment:
    """The second assessor signs an assessment recorded without them."""
    assessment = scope.get_visible_or_404(
        AbilityAssessment.objects.select_for_update().select_related("profile__person"),
        by,
        write=True,
        pk=assessment_id,
        profile__person_id=person_id,
    )
    if assessment.is_signed:
        raise ValidationError(_("Both assessors have already signed."))
    _check_second_assessor(
        by=assessment.assessed_by, second=by, code=assessment.profile.person.region_id
    )
    assessment.second_assessor = by
    assessment.second_signed_at = timezone.now()
    assessment.save(update_fields=["second_assessor", "second_signed_at"])
    return assessment


# ---- high risk: weekly visits ------------------------------------------------------------


def _raise_risk(profile: ElderlyProfile, *, day: dt.date, reason: str, visit_by: dt.date) -> None:
    """High risk from ``day`` for the configured number of days (an existing longer one stays),
    and the next visit by ``visit_by`` at the latest. The caller saves the file."""
    until = day + dt.timedelta(days=visits.high_risk_days())
    profile.high_risk_until = max(profile.high_risk_until or until, until)
    profile.high_risk_since = max(profile.high_risk_since or day, day)
    profile.high_risk_reason = reason
    profile.next_visit_due = min(profile.next_visit_due or visit_by, visit_by)
    profile.version += 1


@transaction.atomic
def visit_needed_after_alarm(*, person_id: int, at: dt.datetime) -> None:
    """An alarm of the person's device at ``at``: if they have an elderly file, they are at high
    risk (weekly visits) for the configured days, and are visited within 24 hours.
    Called by the smart-device app, not by a user: there is no scope to check."""
    profile = ElderlyProfile.objects.select_for_update().filter(person_id=person_id).first()
    if profile is None:
        return
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    _raise_risk(
        profile,
        day=timezone.localdate(at),
        reason=HighRiskReason.ALARM,
        visit_by=timezone.localdate(at + visits.AFTER_ALARM),
    )
    profile.save()


def profile_record_discharge(
    *, by: Any, person_id: int, version: int, discharged_on: dt.date | None
) -> ElderlyProfile:
    """The old person came home from hospital on ``discharged_on``: high risk (weekly visits)
    and a visit within 7 days. A stale ``version`` is refused like an edit of the file."""
    with transaction.atomic(), set_actor(by):
        profile = scope.get_visible_or_404(
            ElderlyProfile.objects.select_for_update(), by, write=True, person_id=person_id
        )
        if profile.version != version:
            raise StaleProfile(profile.version)
        today = timezone.localdate()
        days = visits.high_risk_days()
        if discharged_on is None:
            raise ValidationError({"discharged_on": [_("Enter the day of the discharge.")]})
        if discharged_on > today:
            raise ValidationError(
                {"discharged_on": [_("A discharge cannot be recorded before it happens.")]}
            )
        if discharged_on + dt.timedelta(days=days) < today:
            raise ValidationError(
                {
                    "discharged_on": [
                        _("A discharge more than %(days)s days ago no longer makes a high risk.")
                        % {"days": days}
                    ]
                }
            )
        _raise_risk(
            profile,
            day=discharged_on,
            reason=HighRiskReason.DISCHARGED,
            visit_by=discharged_on + dt.timedelta(days=visits.AFTER_DISCHARGE_DAYS),
        )
        profile.save()
    return profile


# ---- service orders ----------------------------------------------------------------------

# Which status each transition starts from.
CANCELLABLE = (OrderStatus.REQUESTED, OrderStatus.ASSIGNED, OrderStatus.IN_SERVICE)


class StaleOrder(Exception):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this order while you were looking at it. Reload the page "
                "to see their change, then do yours again."
            )
        )


def provider_candidates(*, code: str):
    """Station workers who may provide a service to an old person of village ``code``."""
    return assessor_candidates(code=code)


def _event(order: ServiceOrder, by: Any, old: str, new: str, note: str = "") -> None:
    ServiceOrderEvent.objects.create(order=order, from_status=old, to_status=new, note=note, by=by)


def _illegal(order: ServiceOrder, to: str) -> ValidationError:
    return ValidationError(
        _("An order that is “%(status)s” cannot become “%(to)s”.")
        % {"status": order.get_status_display(), "to": OrderStatus(to).label}
    )


def _move(
    *, by: Any, order_id: int, version: int, allowed: tuple[str, ...], to: str
) -> ServiceOrder:
    """Lock the order, check scope, version and the transition; the caller finishes the change
    and calls :func:`_save` inside the same transaction."""
    order = scope.get_visible_or_404(
        ServiceOrder.objects.select_for_update().select_related("person"),
        by,
        write=True,
        pk=order_id,
    )
    if order.version != version:
        raise StaleOrder()
    if order.status not in allowed:
        raise _illegal(order, to)
    return order


def _save(order: ServiceOrder, by: Any, to: str, note: str = "") -> ServiceOrder:
    old = order.status
    order.status = to
    order.version += 1
    with set_actor(by):
        order.save()
    _event(order, by, old, to, note)
    return order


@transaction.atomic
def order_request(
    *,
    by: Any,
    person: Person,
    kind: str,
    requester_type: str,
    due_on: dt.date,
    details: str = "",
    requester_name: str = "",
) -> ServiceOrder:
    """Record a request for a service, by a worker, the family or the old person."""
    scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
    errors: dict[str, list[str]] = {}
    if not person.is_elderly:
        errors["person"] = [_("A service order is for a person aged 60 or over.")]
    if kind not in ServiceKind.values:
        errors["kind"] = [_("Choose a service.")]
    if requester_type not in RequesterType.values:
        errors["requester_type"] = [_("Choose who asked for the service.")]
    if due_on is None:
        errors["due_on"] = [_("Enter the due date.")]
    if errors:
        raise ValidationError(errors)
    with set_actor(by):
        order = ServiceOrder.objects.create(
            person=person,
            kind=kind,
            details=details.strip(),
            requested_by=by,
            requester_type=requester_type,
            requester_name=requester_name.strip(),
            due_on=due_on,
        )
    _event(order, by, "", OrderStatus.REQUESTED, details.strip())
    return order


@transaction.atomic
def order_assign(
    *,
    by: Any,
    order_id: int,
    version: int,
    provider_user: Any = None,
    provider_name: str = "",
    note: str = "",
) -> ServiceOrder:
    """Give the order to a station worker or to a named organisation or professional."""
    order = _move(
        by=by,
        order_id=order_id,
        version=version,
        allowed=(OrderStatus.REQUESTED,),
        to=OrderStatus.ASSIGNED,
    )
    provider_name = provider_name.strip()
    if (provider_user is None) == (not provider_name):
        raise ValidationError(
            {
                "provider": [
                    _("Choose a station worker or enter an organisation or professional (one).")
                ]
            }
        )
    candidates = provider_candidates(code=order.person.region_id)
    if provider_user is not None and not candidates.filter(pk=provider_user.pk).exists():
        raise ValidationError(
            {"provider": [_("Choose a worker who works for this person's village.")]}
        )
    order.provider_user = provider_user
    order.provider_name = provider_name
    _save(order, by, OrderStatus.ASSIGNED, note.strip() or order.provider_display)
    if provider_user is not None and provider_user.pk != getattr(by, "pk", None):
        notify(
            provider_user,
            key=f"order-assigned:{order.pk}:{order.version}",
            title=_("Service order for you: %(kind)s for %(name)s, due %(due)s")
            % {
                "kind": order.get_kind_display(),
                "name": order.person.name,
                "due": f"{order.due_on:%Y-%m-%d}",
            },
            url=order.get_absolute_url(),
        )
    return order


@transaction.atomic
def order_start(*, by: Any, order_id: int, version: int, note: str = "") -> ServiceOrder:
    order = _move(
        by=by,
        order_id=order_id,
        version=version,
        allowed=(OrderStatus.ASSIGNED,),
        to=OrderStatus.IN_SERVICE,
    )
    return _save(order, by, OrderStatus.IN_SERVICE, note.strip())


@transaction.atomic
def order_complete(*, by: Any, order_id: int, version: int, note: str = "") -> ServiceOrder:
    order = _move(
        by=by,
        order_id=order_id,
        version=version,
        allowed=(OrderStatus.IN_SERVICE,),
        to=OrderStatus.DONE,
    )
    return _save(order, by, OrderStatus.DONE, note.strip())


@transaction.atomic
def order_rate(
    *, by: Any, order_id: int, version: int, rating: int, comment: str = ""
) -> ServiceOrder:
    """The old person or the family rates a finished service (1–5), recorded by a worker."""
    order = _move(
        by=by,
        order_id=order_id,
        version=version,
        allowed=(OrderStatus.DONE,),
        to=OrderStatus.RATED,
    )
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise ValidationError({"rating": [_("The rating is a whole number from 1 to 5.")]})
    order.rating = value
    order.rating_comment = comment.strip()
    return _save(order, by, OrderStatus.RATED, order.rating_comment)


@transaction.atomic
def order_cancel(*, by: Any, order_id: int, version: int, reason: str) -> ServiceOrder:
    order = _move(
        by=by,
        order_id=order_id,
        version=version,
        allowed=CANCELLABLE,
        to=OrderStatus.CANCELLED,
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for cancelling.")]})
    order.cancel_reason = reason
    return _save(order, by, OrderStatus.CANCELLED, reason)
