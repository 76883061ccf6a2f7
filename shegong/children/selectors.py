"""Reads of the minors programme, always through the scope gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from shegong.accounts import scope
from shegong.accounts.models import Programme
from shegong.casework.models import Case, Stage
from shegong.regions.models import Region, under_prefix

from .models import ChildProfile, Colour, RiskAssessment

OVERDUE_CHOICES = ("visit", "assessment", "any")
DISPLAY_RANK = {Colour.RED: 0, Colour.ORANGE: 1, Colour.BLUE: 2}


@dataclass
class ChildFilters:
    q: str = ""
    region: str = ""
    colour: str = ""  # a colour, or "none" for files not graded yet
    overdue: str = ""  # "visit", "assessment" or "any"
    unassigned: bool = False  # no responsible child director


def child_list(*, fetched_by: Any, filters: ChildFilters) -> QuerySet[ChildProfile]:
    today = timezone.localdate()
    queryset = scope.visible(ChildProfile.objects.all(), fetched_by)
    if filters.q:
        queryset = queryset.filter(person__name__contains=filters.q)
    if filters.region:
        queryset = queryset.filter(under_prefix("person__region__code", filters.region))
    if filters.colour == "none":
        queryset = queryset.filter(colour="")
    elif filters.colour in Colour.values:
        queryset = queryset.filter(colour=filters.colour)
    if filters.overdue == "visit":
        queryset = queryset.filter(next_visit_due__lt=today)
    elif filters.overdue == "assessment":
        queryset = queryset.filter(next_assessment_due__lt=today)
    elif filters.overdue == "any":
        queryset = queryset.filter(Q(next_visit_due__lt=today) | Q(next_assessment_due__lt=today))
    if filters.unassigned:
        queryset = queryset.filter(director__isnull=True)
    return queryset.select_related(
        "person", "person__region", "person__region__parent", "director", "supervisor"
    )


def child_page(
    *, fetched_by: Any, filters: ChildFilters, page: int, page_size: int
) -> tuple[list[ChildProfile], int]:
    queryset = child_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    start = (max(page, 1) - 1) * page_size
    return list(in_working_order(queryset)[start : start + page_size]), count


def in_working_order(queryset: QuerySet[ChildProfile]) -> QuerySet[ChildProfile]:
    """Reddest first, then the most overdue visit: the order a director works through."""
    ranked = queryset.annotate(
        colour_rank=CaseWhen(
            *(When(colour=c, then=Value(r)) for c, r in DISPLAY_RANK.items()),
            default=Value(3),
            output_field=IntegerField(),
        )
    )
    return ranked.order_by("colour_rank", "next_visit_due", "person__name", "id")


def get_child_for_user(user: Any, person_id: int, *, write: bool = False) -> ChildProfile:
    """The child's file if the user may see it, else 404 (volunteers and viewers never do)."""
    queryset = ChildProfile.objects.select_related(
        "person", "person__region", "person__region__parent", "director", "supervisor"
    )
    return scope.get_visible_or_404(queryset, user, write=write, person_id=person_id)


def get_assessment_for_user(user: Any, person_id: int, pk: int) -> RiskAssessment:
    queryset = RiskAssessment.objects.select_related(
        "child__person", "instrument", "assessed_by", "overridden_by"
    )
    return scope.get_visible_or_404(queryset, user, pk=pk, child__person_id=person_id)


def history_of(profile: ChildProfile) -> list[RiskAssessment]:
    return list(
        profile.assessments.select_related("instrument", "assessed_by", "overridden_by").order_by(
            "-assessed_at", "-id"
        )
    )


def open_case_of(profile: ChildProfile) -> Case | None:
    return (
        Case.objects.filter(person_id=profile.person_id, programme=Programme.MINORS)
        .exclude(stage=Stage.CLOSED)
        .first()
    )


# ---- overview -----------------------------------------------------------------------------------


@dataclass
class AreaRow:
    code: str
    name: str
    red: int = 0
    orange: int = 0
    blue: int = 0
    ungraded: int = 0
    overdue_visits: int = 0
    overdue_assessments: int = 0
    unassigned: int = 0
    villages: list[AreaRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.red + self.orange + self.blue + self.ungraded


@dataclass
class Overview:
    totals: AreaRow
    townships: list[AreaRow]
    changes: dict[str, int]
    recent_changes: list[RiskAssessment]


def _counts(today: dt.date) -> dict[str, Any]:
    return {
        "red": Count("id", filter=Q(colour=Colour.RED)),
        "orange": Count("id", filter=Q(colour=Colour.ORANGE)),
        "blue": Count("id", filter=Q(colour=Colour.BLUE)),
        "ungraded": Count("id", filter=Q(colour="")),
        "overdue_visits": Count("id", filter=Q(next_visit_due__lt=today)),
        "overdue_assessments": Count("id", filter=Q(next_assessment_due__lt=today)),
        "unassigned": Count("id", filter=Q(director__isnull=True)),
    }


def overview(*, fetched_by: Any, days: int = 30) -> Overview:
    """Counts by colour per township and village, overdue work, recent grade changes.

    Everything is counted in the database, one grouped query per level.
    """
    today = timezone.localdate()
    profiles = scope.visible(ChildProfile.objects.all(), fetched_by)
    counts = _counts(today)
    by_village = list(
        profiles.values(code=F("person__region_id")).annotate(**counts).order_by("code")
    )
    by_township = list(
        profiles.annotate(township=Substr("person__region_id", 1, 9))
        .values("township")
        .annotate(**counts)
        .order_by("township")
    )
    totals = AreaRow("", "", **profiles.aggregate(**counts))
    codes = {row["code"] for row in by_village} | {
        row["township"].ljust(12, "0") for row in by_township
    }
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    townships = {}
    for row in by_township:
        code = row.pop("township").ljust(12, "0")
        townships[code[:9]] = AreaRow(code, names.get(code, code), **row)
    for row in by_village:
        code = row.pop("code")
        townships[code[:9]].villages.append(AreaRow(code, names.get(code, code), **row))

    since = timezone.now() - dt.timedelta(days=days)
    previous = RiskAssessment.objects.filter(
        child=OuterRef("child"), assessed_at__lt=OuterRef("assessed_at")
    ).order_by("-assessed_at", "-id")
    recent = (
        scope.visible(RiskAssessment.objects.filter(assessed_at__gte=since), fetched_by)
        .annotate(previous_colour=Subquery(previous.values("colour")[:1]))
        .filter(Q(previous_colour__isnull=True) | ~Q(colour=F("previous_colour")))
    )
    changes = recent.aggregate(
        new=Count("id", filter=Q(previous_colour__isnull=True)),
        up=Count(
            "id",
            filter=Q(previous_colour__isnull=False)
            & (Q(colour=Colour.RED) | Q(colour=Colour.ORANGE, previous_colour=Colour.BLUE)),
        ),
        down=Count(
            "id",
            filter=Q(colour=Colour.BLUE, previous_colour__isnull=False)
            | Q(colour=Colour.ORANGE, previous_colour=Colour.RED),
        ),
    )
    latest = list(
        recent.select_related("child__person", "child__person__region", "assessed_by").order_by(
            "-assessed_at", "-id"
        )[:20]
    )
    return Overview(totals, list(townships.values()), changes, latest)
