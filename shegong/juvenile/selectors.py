"""Reads of the justice-involved minors programme, always through the scope gate (the closed
programme rule: the programme's workers and the referring agency's liaisons, nobody else)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shegong.accounts import scope
from shegong.audit.models import AccessAction
from shegong.audit.services import access_record

from . import report
from .models import (
    Agency,
    ComplianceCheck,
    ProceduralStatus,
    Referral,
    ReferralStatus,
    ReportStatus,
    ReportVersion,
    ServiceContract,
    Sex,
)

PROGRAMME = "juvenile"


def can_use(user: Any) -> bool:
    """Programme workers and agency liaisons; everybody else gets 404 on every juvenile page."""
    return scope.works_in_programme(user, PROGRAMME) or bool(scope.partner_agencies(user))


@dataclass
class ReferralFilters:
    status: str = ""  # a status, or "open"
    agency: int | None = None
    q: str = ""  # case number or minor's name


def referral_list(*, user: Any, filters: ReferralFilters | None = None) -> QuerySet[Referral]:
    filters = filters or ReferralFilters()
    queryset = scope.visible(Referral.objects.all(), user)
    if filters.status == "open":
        queryset = queryset.exclude(
            status__in=[ReferralStatus.REJECTED, ReferralStatus.DONE, ReferralStatus.WITHDRAWN]
        )
    elif filters.status in ReferralStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.agency:
        queryset = queryset.filter(agency_id=filters.agency)
    if filters.q:
        queryset = queryset.filter(
            Q(case_number__contains=filters.q) | Q(minor_name__contains=filters.q)
        )
    return queryset.select_related("agency", "region", "worker").order_by("-referred_at", "-id")


def get_referral_for_user(user: Any, pk: int, *, request: Any = None, log: bool = True) -> Referral:
    """The referral if the user may see it (else 404); the read goes into the access log."""
    referral = scope.get_visible_or_404(
        Referral.objects.select_related("agency", "region", "worker", "contract", "referred_by"),
        user,
        pk=pk,
    )
    if log:
        access_record(user=user, action=AccessAction.READ, obj=referral, request=request)
    return referral


def versions_of(referral: Referral) -> list[ReportVersion]:
    return list(referral.report_versions.select_related("author", "decided_by").order_by("-number"))


def approved_version(referral: Referral) -> ReportVersion | None:
    return (
        referral.report_versions.filter(status=ReportStatus.APPROVED)
        .select_related("author", "decided_by")
        .order_by("-number")
        .first()
    )


def report_docx(referral: Referral, version: ReportVersion) -> bytes:
    """The Word document of an approved version."""
    investigators = {version.author.display_name}
    investigators |= {
        i.recorded_by.display_name for i in referral.interviews.select_related("recorded_by")
    }
    facts = report.ReportFacts(
        case_number=referral.case_number,
        agency=referral.agency.name,
        minor_name=referral.minor_name,
        sex="男" if referral.sex == Sex.MALE else "女",
        birth_date=report.chinese_date(referral.birth_date),
        school_or_work=referral.school_or_work,
        procedural_status=_zh(ProceduralStatus, referral.procedural_status),
        investigators=sorted(investigators),
        interviews=referral.interviews.count(),
        supervisor=version.decided_by.display_name if version.decided_by else "",
        approved_on=report.chinese_date(timezone.localtime(version.decided_at).date())
        if version.decided_at
        else "",
        version=version.number,
    )
    return report.build_docx(facts, version.sections)


def _zh(choices, value: str) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(choices(value).label)


def overdue_checks(*, user: Any, today: dt.date | None = None) -> QuerySet[ComplianceCheck]:
    """Compliance checks past due, not yet done, on referrals the user works on (my work)."""
    today = today or timezone.localdate()
    queryset = scope.visible(ComplianceCheck.objects.all(), user, write=True)
    return (
        queryset.filter(checked_on__isnull=True, due_on__lt=today, order__referral__worker=user)
        .exclude(order__referral__status__in=[ReferralStatus.DONE, ReferralStatus.WITHDRAWN])
        .select_related("order", "order__referral")
        .order_by("due_on", "id")
    )


def contract_delivery(contract: ServiceContract, user: Any) -> list[dict[str, Any]]:
    """What was delivered against each deliverable of a contract (visible referrals only)."""
    referrals = scope.visible(contract.referrals.all(), user)
    counts = {
        "referrals": referrals.count(),
        "investigations": ReportVersion.objects.filter(
            referral__in=referrals, status=ReportStatus.APPROVED
        )
        .values("referral")
        .distinct()
        .count(),
        "guidance_sessions": sum(r.n for r in referrals.annotate(n=Count("guidance_sessions"))),
        "mentoring": sum(r.n for r in referrals.annotate(n=Count("mentoring"))),
        "closed": referrals.filter(status=ReferralStatus.DONE).count(),
    }
    return [
        {"key": key, "target": target, "delivered": counts.get(key, 0)}
        for key, target in (contract.deliverables or {}).items()
    ]


def agencies_for(user: Any) -> QuerySet[Agency]:
    if scope.works_in_programme(user, PROGRAMME):
        return Agency.objects.all()
    return Agency.objects.filter(pk__in=scope.partner_agencies(user))
