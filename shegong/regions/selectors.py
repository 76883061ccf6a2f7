"""Reads of the region tree and station coverage. Regions and stations are not personal data."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from shegong.accounts.models import Membership, Role

from .models import Level, Region, Station, under_prefix


def region_tree() -> list[dict[str, Any]]:
    """All regions as nested dicts, built from one query."""
    nodes: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for region in Region.objects.order_by("code"):
        node = {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "is_generated": region.is_generated,
            "children": [],
        }
        nodes[region.code] = node
        parent = nodes.get(region.parent_id) if region.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots


def villages(prefix: str = "") -> QuerySet[Region]:
    queryset = Region.objects.filter(level=Level.VILLAGE).select_related("parent")
    if prefix:
        queryset = queryset.filter(code__startswith=prefix)
    return queryset.order_by("code")


# Roles a station needs, with how many of each (township: a child supervisor and two social
# workers; village: a child director and a social-work assistant).
REQUIRED_STAFF = {
    Level.TOWNSHIP: {Role.TOWNSHIP_SUPERVISOR: 1, Role.TOWNSHIP_WORKER: 2},
    Level.VILLAGE: {Role.VILLAGE_DIRECTOR: 1, Role.VILLAGE_ASSISTANT: 1},
    Level.DISTRICT: {Role.CENTER_WORKER: 1},
}


@dataclass
class CoverageRow:
    region: Region
    station: Station | None
    staff: Counter
    gaps: list[tuple[str, int]] = field(default_factory=list)

    @property
    def staff_count(self) -> int:
        return sum(self.staff.values())

    @property
    def complete(self) -> bool:
        return self.station is not None and not self.gaps


@dataclass
class Coverage:
    rows: list[CoverageRow]

    @property
    def townships(self) -> list[CoverageRow]:
        return [r for r in self.rows if r.region.level == Level.TOWNSHIP]

    @property
    def villages(self) -> list[CoverageRow]:
        return [r for r in self.rows if r.region.level == Level.VILLAGE]

    def summary(self, level: str) -> dict[str, int]:
        rows = [r for r in self.rows if r.region.level == level]
        return {
            "total": len(rows),
            "with_station": sum(1 for r in rows if r.station),
            "fully_staffed": sum(1 for r in rows if r.complete),
            "gaps": sum(1 for r in rows if not r.complete),
        }


def coverage(prefix: str = "", *, township: str = "") -> Coverage:
    """Every region under ``prefix`` with its station and staffing gaps, in three queries."""
    regions = Region.objects.select_related("parent").order_by("code")
    if prefix:
        regions = regions.filter(code__startswith=prefix)
    if township:
        regions = regions.filter(code__startswith=township[:9])
    stations = {s.region_id: s for s in Station.objects.filter(region__in=regions)}
    staff: dict[str, Counter] = defaultdict(Counter)
    memberships = Membership.objects.filter(
        is_active=True, user__is_active=True, region__in=regions
    ).values_list("region_id", "role")
    for region_id, role in memberships:
        staff[region_id][role] += 1
    rows = []
    for region in regions:
        counts = staff[region.code]
        gaps = [
            (role, need - counts[role])
            for role, need in REQUIRED_STAFF[region.level].items()
            if counts[role] < need
        ]
        rows.append(CoverageRow(region, stations.get(region.code), counts, gaps))
    return Coverage(rows)


def station_staff(station: Station) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(region=station.region, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )


def regions_under(prefixes: tuple[str, ...]) -> list[Region]:
    """Townships and villages under any of ``prefixes`` (a user's scope), in code order."""
    if not prefixes:
        return []
    inside = Q()
    for prefix in prefixes:
        inside |= under_prefix("code", prefix)
    regions = Region.objects.filter(inside).exclude(level=Level.DISTRICT)
    return list(regions.select_related("parent").order_by("code"))


def page_number(params) -> int:
    """The ?page= of a request, 1 when missing or not a number."""
    try:
        return max(int(params.get("page", "1")), 1)
    except ValueError:
        return 1
