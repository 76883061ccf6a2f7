"""Who sees which monthly reports, and who may ask for one.

Reports hold figures only, so everyone who sees the dashboard (staff and viewers) sees the
reports of their dashboard area: a township's own reports and its villages', a district's all.
Asking for a report costs a worker's time: only staff of the registry, within their registry
area. Outside the area a report answers 404, as a missing one does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404

from shegong.accounts import scope
from shegong.community.overview import overview_area
from shegong.regions.models import Region, under_prefix

from .models import MonthlyReport, ReportStatus


def report_area(user: Any) -> tuple[str, ...]:
    """The region prefixes whose reports ``user`` sees (none for anyone without figures)."""
    if not scope.can_see_aggregates(user):
        return ()
    return overview_area(user)


def _inside(field: str, prefixes: tuple[str, ...]) -> Q:
    condition = Q(pk__in=[])
    for prefix in prefixes:
        condition |= under_prefix(field, prefix)
    return condition


def can_request(user: Any, area: str) -> bool:
    """Staff of the registry may ask for the report of any region in their registry area."""
    return any(area.startswith(prefix) for prefix in scope.scope_for(user).read_prefixes)


def regions_in(prefixes: tuple[str, ...]) -> list[Region]:
    """Every region (district, townships, villages) under ``prefixes``, in code order."""
    if not prefixes:
        return []
    return list(Region.objects.filter(_inside("code", prefixes)).order_by("code"))


def requestable_regions(user: Any) -> list[Region]:
    return regions_in(scope.scope_for(user).read_prefixes)


@dataclass(frozen=True)
class ReportFilters:
    region: str = ""  # a region prefix: its reports and those of the regions under it
    month: dt.date | None = None


def with_latest(queryset: QuerySet[MonthlyReport]) -> QuerySet[MonthlyReport]:
    """``is_latest``: the newest finished report of its region and month."""
    newer = MonthlyReport.objects.filter(
        region_id=OuterRef("region_id"),
        month=OuterRef("month"),
        status=ReportStatus.DONE,
        pk__gt=OuterRef("pk"),
    )
    return queryset.annotate(
        is_latest=ExpressionWrapper(
            Q(status=ReportStatus.DONE) & ~Exists(newer), output_field=BooleanField()
        )
    )


def report_list(*, fetched_by: Any, filters: ReportFilters | None = None) -> QuerySet:
    """The archive of ``fetched_by``: newest month first, then by region, newest first."""
    filters = filters or ReportFilters()
    queryset = MonthlyReport.objects.filter(_inside("region_id", report_area(fetched_by)))
    if filters.region:
        queryset = queryset.filter(under_prefix("region_id", filters.region))
    if filters.month:
        queryset = queryset.filter(month=filters.month.replace(day=1))
    return with_latest(queryset.select_related("region", "requested_by"))


def get_report_for_user(user: Any, pk: int) -> MonthlyReport:
    """The report, if it lies in the user's area; 404 otherwise, as for a missing one."""
    found = report_list(fetched_by=user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
