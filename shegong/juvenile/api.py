"""/api/v1/juvenile: referrals of justice-involved minors and their approved reports.

Only the programme's workers and the referring agency's liaisons see a referral (the scope
gate's closed-programme rule); everyone else gets 404, as for a referral that does not exist.
Reading one referral writes the access log.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from ninja import Field, Query, Router, Schema

from shegong.audit.models import AccessAction
from shegong.audit.services import access_record
from shegong.paging import MAX_PAGE

from . import selectors
from .models import Referral

router = Router(tags=["juvenile"])

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ReferralOut(Schema):
    id: int
    case_number: str
    minor_name: str
    sex: str
    birth_date: dt.date
    region_code: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    agency_id: int
    agency_name: str = Field(..., alias="agency.name")
    procedural_status: str
    services: list[str]
    due_on: dt.date
    status: str
    worker_id: int | None
    referred_at: dt.datetime
    version: int


class ReferralPage(Schema):
    items: list[ReferralOut]
    count: int
    page: int
    page_size: int


class ReferralEventOut(Schema):
    from_status: str
    to_status: str
    note: str
    by: str = Field(..., alias="by.display_name")
    at: dt.datetime


class ReportVersionOut(Schema):
    number: int
    status: str
    decided_at: dt.datetime | None


class ReferralDetail(ReferralOut):
    id_number_masked: str
    guardian_name: str
    guardian_relation: str
    guardian_phone_masked: str
    school_or_work: str
    case_summary: str
    reject_reason: str
    worker_name: str | None
    history: list[ReferralEventOut]
    report_versions: list[ReportVersionOut]
    report_url: str | None  # the approved report (.docx), when there is one

    @staticmethod
    def resolve_worker_name(referral: Referral) -> str | None:
        return referral.worker.display_name if referral.worker else None

    @staticmethod
    def resolve_history(referral: Referral) -> list:
        return list(referral.events.select_related("by"))

    @staticmethod
    def resolve_report_versions(referral: Referral) -> list:
        return selectors.versions_of(referral)

    @staticmethod
    def resolve_report_url(referral: Referral) -> str | None:
        if selectors.approved_version(referral) is None:
            return None
        return reverse("api:juvenile_report_docx", args=[referral.pk])


class ReferralQuery(Schema):
    status: str = ""  # a status, or "open"
    agency: int | None = None
    q: str = ""  # part of the case number or the minor's name
    page: int = Field(1, ge=1, le=MAX_PAGE)


@router.get("/referrals", response=ReferralPage, summary="Referrals you may see")
def list_referrals(request: HttpRequest, query: Query[ReferralQuery]):
    filters = selectors.ReferralFilters(status=query.status, agency=query.agency, q=query.q)
    referrals = selectors.referral_list(user=request.auth, filters=filters)
    size = settings.SHEGONG_PAGE_SIZE
    start = (query.page - 1) * size
    return {
        "items": list(referrals[start : start + size]),
        "count": referrals.count(),
        "page": query.page,
        "page_size": size,
    }


@router.get(
    "/referrals/{int:referral_id}",
    response=ReferralDetail,
    summary="One referral with its history and report versions (404 when not yours)",
)
def get_referral(request: HttpRequest, referral_id: int):
    return selectors.get_referral_for_user(request.auth, referral_id, request=request)


@router.get(
    "/referrals/{int:referral_id}/report.docx",
    response={200: None},
    url_name="juvenile_report_docx",
    summary="The approved social investigation report as a Word document (404 when none)",
)
def get_report(request: HttpRequest, referral_id: int):
    referral = selectors.get_referral_for_user(request.auth, referral_id, request=request)
    version = selectors.approved_version(referral)
    if version is None:
        raise Http404
    content = selectors.report_docx(referral, version)
    access_record(
        user=request.auth,
        action=AccessAction.EXPORT,
        obj=referral,
        detail=f"report v{version.number}",
        request=request,
    )
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"社会调查报告-{referral.case_number}.docx".replace("/", "-")
    )
    return response
