"""/api/v1/reports: the report archive of the caller's area (figures only: viewers too)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema

from . import selectors
from .models import MonthlyReport, ReportStatus

router = Router(tags=["reports"])


class ReportQuery(Schema):
    region: str = ""
    month: dt.date | None = None


class ReportOut(Schema):
    id: int
    region: str
    region_name: str
    month: dt.date
    status: str
    progress: int
    latest: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None
    figures: dict[str, Any]
    xlsx_url: str | None
    docx_url: str | None


@router.get("", response=list[ReportOut])
def report_list(request: HttpRequest, query: Query[ReportQuery]):
    """Monthly reports within the caller's area, newest month first; ``region`` (a prefix)
    and ``month`` (any day of it) narrow the list. Files download from the given addresses."""
    if not selectors.report_area(request.auth):
        raise Http404
    filters = selectors.ReportFilters(region=query.region.strip(), month=query.month)
    found = selectors.report_list(fetched_by=request.auth, filters=filters)[:500]
    return [
        {
            "id": report.pk,
            "region": report.region_id,
            "region_name": report.region.name,
            "month": report.month,
            "status": report.status,
            "progress": report.progress,
            "latest": report.is_latest,
            "created_at": report.created_at,
            "finished_at": report.finished_at,
            "figures": report.figures,
            "xlsx_url": _url(report, "xlsx"),
            "docx_url": _url(report, "docx"),
        }
        for report in found
    ]


def _url(report: MonthlyReport, kind: str) -> str | None:
    if report.status != ReportStatus.DONE:
        return None
    return reverse("reports:download", args=[report.pk, kind])
