"""The community overview (五社联动 figures) for a user's area and a period, per township or
village.

Every figure is counted from rows in the database, never typed in, and only aggregates leave
this module: viewers see them too. The area is the user's registry scope plus, for a viewer,
the region of their viewer membership. Each figure is one aggregate query for the totals and
one grouped query for the table, so the page costs the same number of queries however many
activities, links or volunteers there are.

Definitions, for the area and the period:
- organisations linked (per kind): organisations with at least one resource link given in the
  period whose recipient (the link's region) is in the area;
- community organisations mobilised: community social organisations with such a link, or that
  took part in an activity held in the area in the period;
- professionals: active professionals serving the area (based in it or above it);
- volunteers: active volunteers of the area's villages who joined by the end of the period,
  and of them those registered on the national system;
- activities held and beneficiary person-times: activities closed ("held") dated in the period,
  and the sum of the person-times fixed when each was closed (cancelled ones count nothing);
- volunteer hours: approved hours of tasks in the area dated in the period;
- visits: visits to people of the area in the period (the justice-involved minors programme
  left out: its visits are counted only by its own workers);
- resource links: links in the area given in the period, and their value in yuan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from shegong.accounts import scope
from shegong.accounts.models import Membership, Programme, Role
from shegong.casework.models import Visit
from shegong.regions.models import PREFIX_LENGTH, Level, Region, under_prefix

from .libraries import serving
from .models import (
    Activity,
    ActivityStatus,
    Assignment,
    HoursStatus,
    Organisation,
    OrganisationKind,
    Professional,
    ResourceLink,
    Volunteer,
)

ZERO = Decimal(0)


def overview_area(user: Any) -> tuple[str, ...]:
    """The region prefixes whose figures ``user`` sees: their registry scope and, for a
    viewer, the regions of their viewer memberships (none for anyone else)."""
    found = scope.scope_for(user)
    prefixes = set(found.read_prefixes)
    if Role.VIEWER in found.roles:
        memberships = Membership.objects.filter(user=user, role=Role.VIEWER, is_active=True)
        prefixes |= {m.region.prefix for m in memberships.select_related("region")}
    return tuple(
        sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))
    )


def this_year(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def _in_area(path: str, area: tuple[str, ...]) -> Q:
    condition = Q(pk__in=[])
    for prefix in area:
        condition |= under_prefix(path, prefix)
    return condition


@dataclass
class Figures:
    enterprises_linked: int = 0
    charities_linked: int = 0
    professionals: int = 0
    community_mobilised: int = 0
    volunteers: int = 0
    volunteers_registered: int = 0
    activities_held: int = 0
    person_times: int = 0
    volunteer_hours: Decimal = ZERO
    visits: int = 0
    links: int = 0
    links_value: Decimal = ZERO


@dataclass
class Row:
    """One township or village (or the area's own station, ``own=True``) of the table."""

    region: Region
    own: bool = False
    activities_held: int = 0
    person_times: int = 0
    volunteers: int = 0
    volunteers_registered: int = 0
    volunteer_hours: Decimal = ZERO
    visits: int = 0
    links: int = 0
    links_value: Decimal = ZERO


@dataclass
class Overview:
    area: tuple[str, ...]
    start: dt.date
    end: dt.date
    figures: Figures
    rows: list[Row] = field(default_factory=list)


def figure_sources(area: tuple[str, ...], start: dt.date, end: dt.date) -> dict[str, Any]:
    """The rows each figure counts, as querysets (region path, queryset)."""
    return {
        "activities": (
            "region_id",
            Activity.objects.filter(
                _in_area("region__code", area),
                status=ActivityStatus.CLOSED,
                date__gte=start,
                date__lte=end,
            ),
        ),
        "links": (
            "region_id",
            ResourceLink.objects.filter(
                _in_area("region__code", area), given_on__gte=start, given_on__lte=end
            ),
        ),
        "volunteers": (
            "region_id",
            Volunteer.objects.filter(
                _in_area("region__code", area), is_active=True, joined_on__lte=end
            ),
        ),
        "hours": (
            "task__region_id",
            Assignment.objects.filter(
                _in_area("task__region__code", area),
                hours_status=HoursStatus.APPROVED,
                task__date__gte=start,
                task__date__lte=end,
            ),
        ),
        "visits": (
            "person__region_id",
            Visit.objects.filter(
                _in_area("person__region__code", area), visited_on__gte=start, visited_on__lte=end
            ).exclude(programme=Programme.JUVENILE),
        ),
    }


def _figures(area: tuple[str, ...], start: dt.date, end: dt.date, sources) -> Figures:
    activities = sources["activities"][1].aggregate(n=Count("pk"), times=Sum("person_times"))
    links = sources["links"][1].aggregate(
        n=Count("pk"),
        value=Sum("value"),
        enterprises=Count(
            "organisation",
            distinct=True,
            filter=Q(organisation__kind=OrganisationKind.SOCIAL_ENTERPRISE),
        ),
        charities=Count(
            "organisation", distinct=True, filter=Q(organisation__kind=OrganisationKind.CHARITY)
        ),
    )
    volunteers = sources["volunteers"][1].aggregate(
        n=Count("pk"), registered=Count("pk", filter=Q(registered=True))
    )
    hours = sources["hours"][1].aggregate(total=Sum("hours"))["total"]
    took_part = Activity.organisations.through.objects.filter(
        organisation_id=OuterRef("pk"),
        activity__in=sources["activities"][1].values("pk"),
    )
    gave = sources["links"][1].filter(organisation_id=OuterRef("pk"))
    mobilised = Organisation.objects.filter(
        Q(Exists(took_part)) | Q(Exists(gave)), kind=OrganisationKind.COMMUNITY
    ).count()
    serving_area = Q(pk__in=[])
    for prefix in area:
        serving_area |= serving(prefix)
    return Figures(
        enterprises_linked=links["enterprises"],
        charities_linked=links["charities"],
        professionals=Professional.objects.filter(serving_area, is_active=True).count(),
        community_mobilised=mobilised,
        volunteers=volunteers["n"],
        volunteers_registered=volunteers["registered"],
        activities_held=activities["n"],
        person_times=activities["times"] or 0,
        volunteer_hours=hours or ZERO,
        visits=sources["visits"][1].count(),
        links=links["n"],
        links_value=links["value"] or ZERO,
    )


# The table: the townships of a district, the villages of a township.
CHILD_LEVEL = {
    PREFIX_LENGTH[Level.DISTRICT]: Level.TOWNSHIP,
    PREFIX_LENGTH[Level.TOWNSHIP]: Level.VILLAGE,
}


def _rows(area: tuple[str, ...], sources) -> list[Row]:
    """A row per township (district area) or village (township area), and one for the area's
    own station when it has anything; a village area has no table."""
    parents = [p for p in area if len(p) in CHILD_LEVEL]
    if not parents:
        return []
    own_codes = [p.ljust(12, "0") for p in parents]
    children = Q(pk__in=[])
    for prefix in parents:
        children |= under_prefix("code", prefix) & Q(level=CHILD_LEVEL[len(prefix)])
    regions = Region.objects.filter(children | Q(code__in=own_codes)).order_by("code")
    rows: dict[str, Row] = {}
    for region in regions:
        own = region.code in own_codes
        # Records of the area's own station group under the codes the children do not use:
        # a district's "000" township part, a township's own 12-digit code.
        key = region.code[: len(region.prefix) + 3] if own else region.prefix
        rows[key] = Row(region=region, own=own)
    for length in sorted({len(p) + 3 for p in parents}):
        _fill(rows, length, sources)
    return [row for row in rows.values() if not row.own or _has_figures(row)]


def _grouped(path: str, queryset, length: int, **aggregates):
    return (
        queryset.annotate(row=Substr(path, 1, length))
        .order_by()
        .values("row")
        .annotate(**aggregates)
    )


def _fill(rows: dict[str, Row], length: int, sources) -> None:
    path, queryset = sources["activities"]
    for found in _grouped(path, queryset, length, n=Count("pk"), times=Sum("person_times")):
        if row := rows.get(found["row"]):
            row.activities_held, row.person_times = found["n"], found["times"] or 0
    path, queryset = sources["links"]
    for found in _grouped(path, queryset, length, n=Count("pk"), value=Sum("value")):
        if row := rows.get(found["row"]):
            row.links, row.links_value = found["n"], found["value"] or ZERO
    path, queryset = sources["volunteers"]
    registered = Count("pk", filter=Q(registered=True))
    for found in _grouped(path, queryset, length, n=Count("pk"), registered=registered):
        if row := rows.get(found["row"]):
            row.volunteers, row.volunteers_registered = found["n"], found["registered"]
    path, queryset = sources["hours"]
    for found in _grouped(path, queryset, length, total=Sum("hours")):
        if row := rows.get(found["row"]):
            row.volunteer_hours = found["total"] or ZERO
    path, queryset = sources["visits"]
    for found in _grouped(path, queryset, length, n=Count("pk")):
        if row := rows.get(found["row"]):
            row.visits = found["n"]


def _has_figures(row: Row) -> bool:
    return any((row.activities_held, row.volunteers, row.volunteer_hours, row.visits, row.links))


def community_overview(*, area: tuple[str, ...], start: dt.date, end: dt.date) -> Overview:
    """The figures of ``area`` (region prefixes the caller may see) for [start, end]."""
    sources = figure_sources(area, start, end)
    return Overview(
        area=area,
        start=start,
        end=end,
        figures=_figures(area, start, end, sources),
        rows=_rows(area, sources),
    )
