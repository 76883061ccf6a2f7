"""Reads of the resource libraries: organisations (with incubation) and professionals.

Who reads the library, and why not :func:`scope.visible`: organisations and professionals are
not registry people, and the library is the district's. A district-level organisation (its
region is the district's own code) serves every village, so a village director must find it;
``scope.visible`` with the director's village prefix would hide it. So every staff user who may
read the registry reads the whole library of their district: the organisations and
professionals whose region code starts with the first six digits of any of their scope
prefixes (:func:`library_districts`). Viewers see counts only (:func:`library_counts`); anyone
else (volunteers, partner agencies, institution operators, bank officers) nothing: 404.

Writes stay with the scope gate: a user changes an organisation or a professional only where
``scope.can_write_region`` covers its own region (:func:`get_organisation_for_user` with
``write=True``), so a township worker edits their township's organisations, not the district's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from shegong.accounts import scope
from shegong.accounts.models import Membership, Role
from shegong.regions.models import PREFIX_LENGTH, Level, under_prefix

from .models import (
    Activity,
    ActivityStatus,
    Organisation,
    OrganisationKind,
    Profession,
    Professional,
    ResourceLink,
)

DISTRICT_DIGITS = PREFIX_LENGTH[Level.DISTRICT]


def library_districts(user: Any) -> tuple[str, ...]:
    """The districts (6-digit prefixes) whose library ``user`` reads; empty for non-staff."""
    return tuple(sorted({p[:DISTRICT_DIGITS] for p in scope.scope_for(user).read_prefixes}))


def aggregate_districts(user: Any) -> tuple[str, ...]:
    """The districts whose library figures ``user`` sees: their library, and for a viewer the
    districts of their viewer memberships."""
    districts = set(library_districts(user))
    if Role.VIEWER in scope.scope_for(user).roles:
        codes = Membership.objects.filter(user=user, role=Role.VIEWER, is_active=True).values_list(
            "region_id", flat=True
        )
        districts |= {code[:DISTRICT_DIGITS] for code in codes}
    return tuple(sorted(districts))


def _in_districts(districts: tuple[str, ...]) -> Q | None:
    condition = None
    for district in districts:
        q = under_prefix("region__code", district)
        condition = q if condition is None else condition | q
    return condition


def organisation_library(user: Any) -> QuerySet[Organisation]:
    """Every organisation of the user's district library (none for non-staff)."""
    condition = _in_districts(library_districts(user))
    if condition is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(condition)


def professional_library(user: Any) -> QuerySet[Professional]:
    condition = _in_districts(library_districts(user))
    if condition is None:
        return Professional.objects.none()
    return Professional.objects.filter(condition)


def get_organisation_for_user(user: Any, pk: int, *, write: bool = False) -> Organisation:
    """The organisation if it is in the user's library (and, to write, in their writing area);
    404 otherwise, the same answer as for a missing one."""
    organisation = (
        organisation_library(user).select_related("region", "region__parent").filter(pk=pk).first()
    )
    if organisation is None or (write and not may_edit(user, organisation)):
        raise Http404
    return organisation


def get_professional_for_user(user: Any, pk: int, *, write: bool = False) -> Professional:
    professional = (
        professional_library(user)
        .select_related("region", "region__parent", "organisation")
        .filter(pk=pk)
        .first()
    )
    if professional is None or (write and not may_edit(user, professional)):
        raise Http404
    return professional


def may_edit(user: Any, entry: Organisation | Professional) -> bool:
    return scope.can_write_region(user, entry.region_id)


def may_add(user: Any) -> bool:
    """Whether the user may add organisations or professionals somewhere."""
    return scope.can_read_registry(user) and bool(scope.scope_for(user).write_prefixes)


def serving(region: str) -> Q:
    """Organisations (or professionals) serving a township or village: those based there or
    below, and those based in the township or district above it (a district organisation serves
    every village)."""
    condition = under_prefix("region__code", region)
    for level in (Level.DISTRICT, Level.TOWNSHIP):
        digits = PREFIX_LENGTH[level]
        if len(region) > digits:
            condition |= Q(region__code=region[:digits].ljust(12, "0"))
    return condition


def region_filter(value: str) -> str:
    """A region filter as given: a district, township or village code prefix; '' otherwise."""
    value = value.strip()
    return value if value.isdigit() and len(value) in PREFIX_LENGTH.values() else ""


def _links_q(area: str = "", start: dt.date | None = None, end: dt.date | None = None) -> Q:
    """Resource links, optionally only those given to recipients in ``area`` (a region code
    prefix) between ``start`` and ``end``: the overview counts a period and an area."""
    condition = Q()
    if area:
        condition &= under_prefix("region__code", area)
    if start:
        condition &= Q(given_on__gte=start)
    if end:
        condition &= Q(given_on__lte=end)
    return condition


def linked_q(area: str = "", start: dt.date | None = None, end: dt.date | None = None) -> Q:
    """An organisation with at least one resource link (given in ``area`` and the period, when
    given): what "organisations linked" counts."""
    links = ResourceLink.objects.filter(_links_q(area, start, end), organisation=OuterRef("pk"))
    return Q(Exists(links))


def mobilised_q(area: str = "", start: dt.date | None = None, end: dt.date | None = None) -> Q:
    """A community social organisation mobilised: it took part in a held activity (an activity
    closed with its figures; a planned or cancelled one is not taking part) or gave something
    (a resource link) — in ``area`` and the period, when given."""
    held = Q(activity__status=ActivityStatus.CLOSED)
    if area:
        held &= under_prefix("activity__region__code", area)
    if start:
        held &= Q(activity__date__gte=start)
    if end:
        held &= Q(activity__date__lte=end)
    took_part = Activity.organisations.through.objects.filter(held, organisation_id=OuterRef("pk"))
    return Q(kind=OrganisationKind.COMMUNITY) & (Q(Exists(took_part)) | linked_q(area, start, end))


@dataclass
class OrganisationFilters:
    kind: str = ""
    status: str = ""
    q: str = ""
    region: str = ""  # a township or village code prefix: the organisations serving there
    linked: bool = False
    mobilised: bool = False
    # With linked/mobilised: only links and held activities in this area (a code prefix of the
    # recipients or organisers) and period, as the overview figure that led here counts them.
    area: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def _filter_organisations(
    queryset: QuerySet[Organisation], filters: OrganisationFilters
) -> QuerySet[Organisation]:
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.q:
        queryset = queryset.filter(name__contains=filters.q)
    if filters.region:
        queryset = queryset.filter(serving(filters.region))
    if filters.linked:
        queryset = queryset.filter(linked_q(filters.area, filters.start, filters.end))
    if filters.mobilised:
        queryset = queryset.filter(mobilised_q(filters.area, filters.start, filters.end))
    return queryset


def organisation_list(*, fetched_by: Any, filters: OrganisationFilters) -> QuerySet[Organisation]:
    """The user's library, filtered, with the number of links of each."""
    queryset = _filter_organisations(organisation_library(fetched_by), filters)
    return (
        queryset.select_related("region", "incubation")
        .annotate(links_count=Count("links"))
        .order_by("name", "pk")
    )


def organisation_page(
    *, fetched_by: Any, filters: OrganisationFilters, page: int, page_size: int
) -> tuple[list[Organisation], int]:
    queryset = organisation_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    start = (max(page, 1) - 1) * page_size
    return list(queryset[start : start + page_size]), count


def organisation_count(*, fetched_by: Any, filters: OrganisationFilters) -> int:
    """How many organisations match, in the districts whose figures the user sees (viewers
    too): a figure, never a list."""
    condition = _in_districts(aggregate_districts(fetched_by))
    if condition is None:
        return 0
    return _filter_organisations(Organisation.objects.filter(condition), filters).count()


@dataclass
class ProfessionalFilters:
    profession: str = ""
    q: str = ""
    region: str = ""
    organisation: int | None = None


def _filter_professionals(
    queryset: QuerySet[Professional], filters: ProfessionalFilters
) -> QuerySet[Professional]:
    if filters.profession:
        queryset = queryset.filter(profession=filters.profession)
    if filters.q:
        queryset = queryset.filter(Q(name__contains=filters.q) | Q(skills__contains=filters.q))
    if filters.region:
        queryset = queryset.filter(serving(filters.region))
    if filters.organisation is not None:
        queryset = queryset.filter(organisation_id=filters.organisation)
    return queryset


def professional_list(*, fetched_by: Any, filters: ProfessionalFilters) -> QuerySet[Professional]:
    queryset = _filter_professionals(professional_library(fetched_by), filters)
    return queryset.select_related("region", "organisation").order_by("name", "pk")


def professional_page(
    *, fetched_by: Any, filters: ProfessionalFilters, page: int, page_size: int
) -> tuple[list[Professional], int]:
    queryset = professional_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    start = (max(page, 1) - 1) * page_size
    return list(queryset[start : start + page_size]), count


def professional_count(*, fetched_by: Any, filters: ProfessionalFilters) -> int:
    condition = _in_districts(aggregate_districts(fetched_by))
    if condition is None:
        return 0
    return _filter_professionals(Professional.objects.filter(condition), filters).count()


@dataclass
class LibraryCounts:
    """The library's figures for a district: what viewers see instead of the lists."""

    organisations: int
    by_kind: list[tuple[str, str, int]]  # (kind, label, count), every kind
    linked: int
    community: int
    mobilised: int
    professionals: int
    by_profession: list[tuple[str, str, int]]


def library_counts(user: Any) -> LibraryCounts:
    condition = _in_districts(aggregate_districts(user))
    organisations = (
        Organisation.objects.filter(condition) if condition else Organisation.objects.none()
    )
    professionals = (
        Professional.objects.filter(condition) if condition else Professional.objects.none()
    )
    kinds = dict(organisations.values_list("kind").annotate(n=Count("pk")).order_by())
    professions = dict(professionals.values_list("profession").annotate(n=Count("pk")).order_by())
    return LibraryCounts(
        organisations=sum(kinds.values()),
        by_kind=[(k, label, kinds.get(k, 0)) for k, label in OrganisationKind.choices],
        linked=organisations.filter(linked_q()).count(),
        community=kinds.get(OrganisationKind.COMMUNITY, 0),
        mobilised=organisations.filter(mobilised_q()).count(),
        professionals=sum(professions.values()),
        by_profession=[(p, label, professions.get(p, 0)) for p, label in Profession.choices],
    )
