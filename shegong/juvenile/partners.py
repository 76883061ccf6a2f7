"""The partner records of the programme — agencies, the joint opinion, service contracts — and the
programme's overview figures.

Partner records are not personal data, but they are the programme's business: its workers read
all of them; a liaison reads the agencies, and the joint opinions and contracts their own agency is
party to. A district administrator working in the programme keeps them. Everybody else gets 404.
The overview counts only what the scope gate lets the user see, so a liaison sees their own
agency's figures.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Membership, Role
from shegong.regions.models import Level, Region

from .models import (
    Agency,
    AgencyKind,
    Compliance,
    ComplianceCheck,
    GuardianshipOrder,
    GuidanceSession,
    JointOpinion,
    OrderKind,
    Referral,
    ReferralStatus,
    ReportStatus,
    ReportVersion,
    ServiceContract,
    ServiceRequested,
)

PROGRAMME = "juvenile"
# What a contract promises, in the keys selectors.contract_delivery counts.
DELIVERABLES = ("referrals", "investigations", "guidance_sessions", "mentoring")
# Referrals that never came to be worked on: not counted for timeliness.
NEVER_WORKED = (ReferralStatus.REJECTED, ReferralStatus.WITHDRAWN)


# ---- who --------------------------------------------------------------------------------------


def can_read(user: Any) -> bool:
    return scope.works_in_programme(user, PROGRAMME) or bool(scope.partner_agencies(user))


def can_manage(user: Any) -> bool:
    """A district administrator whose membership names the programme keeps the partner records."""
    return any(
        PROGRAMME in (m.programmes or ())
        for m in Membership.objects.filter(
            user=user, is_active=True, user__is_active=True, role=Role.DISTRICT_ADMIN
        )
    )


def _require_manager(user: Any) -> None:
    if not can_manage(user):
        raise Http404


def opinions_for(user: Any) -> QuerySet[JointOpinion]:
    if scope.works_in_programme(user, PROGRAMME):
        return JointOpinion.objects.all()
    agencies = scope.partner_agencies(user)
    if not agencies:
        return JointOpinion.objects.none()
    return JointOpinion.objects.filter(parties__in=agencies).distinct()


def contracts_for(user: Any) -> QuerySet[ServiceContract]:
    if scope.works_in_programme(user, PROGRAMME):
        return ServiceContract.objects.all()
    agencies = scope.partner_agencies(user)
    if not agencies:
        return ServiceContract.objects.none()
    return ServiceContract.objects.filter(Q(purchaser__in=agencies) | Q(provider__in=agencies))


def regions_for_agencies(user: Any) -> QuerySet[Region]:
    """Where a manager may place an agency: a district or township they administer."""
    prefixes = scope.scope_for(user).admin_prefixes
    if not prefixes:
        return Region.objects.none()
    condition = Q()
    for prefix in prefixes:
        condition |= Q(code__startswith=prefix)
    return Region.objects.filter(condition, level__in=[Level.DISTRICT, Level.TOWNSHIP])


# ---- writes -----------------------------------------------------------------------------------


def _required(values: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: [_("This field is required.")]
        for name, value in values.items()
        if value is None or (isinstance(value, str) and not value.strip())
    }


def agency_create(
    *, by: Any, name: str, kind: str, region: Region | None, contact: str = ""
) -> Agency:
    _require_manager(by)
    errors = _required({"name": name, "kind": kind, "region": region})
    if kind and kind not in AgencyKind.values:
        errors["kind"] = [_("Choose the kind of agency.")]
    if region is not None and not regions_for_agencies(by).filter(pk=region.pk).exists():
        errors["region"] = [_("Choose a district or township you administer.")]
    if name.strip() and Agency.objects.filter(name=name.strip()).exists():
        errors["name"] = [_("An agency of this name exists already.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        return Agency.objects.create(
            name=name.strip(), kind=kind, region=region, contact=contact.strip()
        )


def opinion_create(
    *,
    by: Any,
    title: str,
    parties: list[Agency],
    signed_on: dt.date | None,
    scope_text: str,
    responsibilities: dict[int, str],
    document=None,
) -> JointOpinion:
    """Record the joint opinion; ``responsibilities`` maps a party's id to what it undertakes."""
    _require_manager(by)
    errors = _required({"title": title, "signed_on": signed_on, "scope": scope_text})
    if len(parties) < 2:
        errors["parties"] = [_("A joint opinion has at least two parties.")]
    if signed_on and signed_on > timezone.localdate():
        errors["signed_on"] = [_("The date signed cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        opinion = JointOpinion.objects.create(
            title=title.strip(),
            signed_on=signed_on,
            scope=scope_text.strip(),
            responsibilities=[
                {"agency": party.pk, "text": (responsibilities.get(party.pk) or "").strip()}
                for party in parties
            ],
        )
        opinion.parties.set(parties)
        if document:
            opinion.document.save(document.name, document, save=True)
    return opinion


def contract_create(
    *, by: Any, data: dict[str, Any], deliverables: dict[str, int]
) -> ServiceContract:
    """A service purchase contract; ``deliverables`` holds a target per :data:`DELIVERABLES` key."""
    _require_manager(by)
    errors = _required(
        {
            name: data.get(name)
            for name in (
                "number",
                "title",
                "purchaser",
                "provider",
                "starts_on",
                "ends_on",
                "scope",
                "amount",
            )
        }
    )
    number = (data.get("number") or "").strip()
    if number and ServiceContract.objects.filter(number=number).exists():
        errors["number"] = [_("A contract with this number exists already.")]
    if data.get("purchaser") and data.get("purchaser") == data.get("provider"):
        errors["provider"] = [_("The provider is another agency than the purchaser.")]
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The contract ends after it starts.")]
    amount = data.get("amount")
    if amount is not None and amount < Decimal(0):
        errors["amount"] = [_("The amount cannot be negative.")]
    targets = {key: deliverables.get(key) or 0 for key in DELIVERABLES}
    for key, value in targets.items():
        if value < 0:
            errors[key] = [_("A target cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        return ServiceContract.objects.create(
            number=number,
            title=data["title"].strip(),
            purchaser=data["purchaser"],
            provider=data["provider"],
            starts_on=starts_on,
            ends_on=ends_on,
            scope=data["scope"].strip(),
            amount=amount,
            deliverables={key: value for key, value in targets.items() if value},
        )


# ---- the overview -----------------------------------------------------------------------------


def _share(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def overview(*, user: Any, year: int, today: dt.date | None = None) -> dict[str, Any]:
    """The programme's figures over what ``user`` may see, each an aggregate in the database."""
    today = today or timezone.localdate()
    referrals = scope.visible(Referral.objects.all(), user)

    cells = referrals.values("agency_id", "agency__name", "status").annotate(n=Count("id"))
    statuses = list(ReferralStatus)
    table: dict[int, dict[str, Any]] = {}
    for cell in cells.order_by("agency__name"):
        row = table.setdefault(
            cell["agency_id"],
            {"agency": cell["agency__name"], "counts": dict.fromkeys(statuses, 0)},
        )
        row["counts"][ReferralStatus(cell["status"])] = cell["n"]
    rows = [
        {"agency": row["agency"], "cells": [row["counts"][s] for s in statuses]}
        for row in table.values()
    ]
    for row in rows:
        row["total"] = sum(row["cells"])
    totals = [sum(row["cells"][i] for row in rows) for i in range(len(statuses))]

    # The services are a JSON list: matching its text with the quotes keeps this one query on
    # SQLite and PostgreSQL alike.
    approved = ReportVersion.objects.filter(referral=OuterRef("pk"), status=ReportStatus.APPROVED)
    investigations = (
        referrals.filter(services__icontains=f'"{ServiceRequested.INVESTIGATION.value}"')
        .exclude(status__in=NEVER_WORKED)
        .annotate(
            approved=Exists(approved),
            approved_in_time=Exists(approved.filter(decided_at__date__lte=OuterRef("due_on"))),
        )
        .aggregate(
            requested=Count("id"),
            on_time=Count("id", filter=Q(approved_in_time=True)),
            late=Count("id", filter=Q(approved=True, approved_in_time=False)),
            overdue=Count("id", filter=Q(approved=False, due_on__lt=today)),
            pending=Count("id", filter=Q(approved=False, due_on__gte=today)),
        )
    )
    investigations["share"] = _share(investigations["on_time"], investigations["requested"])

    sessions = (
        scope.visible(GuidanceSession.objects.all(), user)
        .filter(held_on__year=year)
        .aggregate(
            held=Count("id"),
            group=Count("id", filter=Q(kind="group")),
            attended=Count("id", filter=Q(attended=True)),
            families=Count("referral", distinct=True),
        )
    )

    orders = list(
        scope.visible(GuardianshipOrder.objects.all(), user)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("kind")
    )
    open_referral = ~Q(order__referral__status__in=[*NEVER_WORKED, ReferralStatus.DONE])
    checks = scope.visible(ComplianceCheck.objects.all(), user).aggregate(
        done=Count("id", filter=Q(checked_on__isnull=False)),
        compliant=Count("id", filter=Q(result=Compliance.COMPLIANT)),
        partly=Count("id", filter=Q(result=Compliance.PARTLY)),
        not_compliant=Count("id", filter=Q(result=Compliance.NOT_COMPLIANT)),
        overdue=Count("id", filter=Q(checked_on__isnull=True, due_on__lt=today) & open_referral),
    )
    checks["due"] = checks["done"] + checks["overdue"]
    checks["share"] = _share(checks["compliant"], checks["done"])
    return {
        "statuses": statuses,
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
        "investigations": investigations,
        "sessions": sessions,
        "orders": [(OrderKind(o["kind"]).label, o["n"]) for o in orders],
        "orders_total": sum(o["n"] for o in orders),
        "checks": checks,
    }


def liaison_candidates(user: Any) -> QuerySet:
    """Users with an active agency-liaison membership in the manager's area."""
    from shegong.accounts.models import User

    prefixes = scope.scope_for(user).admin_prefixes
    condition = Q()
    for prefix in prefixes:
        condition |= Q(memberships__region__code__startswith=prefix)
    if not prefixes:
        return User.objects.none()
    return (
        User.objects.filter(
            condition,
            is_active=True,
            memberships__is_active=True,
            memberships__role=Role.AGENCY_LIAISON,
        )
        .distinct()
        .order_by("username")
    )


def liaison_bind(*, by: Any, agency_id: int, user_id: int, remove: bool = False) -> Agency:
    """Bind a liaison to their agency (or take them off it): from then on they see, and only
    see, the referrals of that agency."""
    _require_manager(by)
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise Http404
    if remove:
        agency.liaisons.remove(user_id)
        return agency
    user = liaison_candidates(by).filter(pk=user_id).first()
    if user is None:
        raise ValidationError(
            {"liaison": [_("Choose a user with the partner-agency liaison role in your area.")]}
        )
    agency.liaisons.add(user)
    scope.forget_scope(user)
    return agency
