"""Reads from the people registry, always through the scope gate."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from shegong.accounts import scope
from shegong.regions.models import under_prefix

from . import crypto, idnumbers
from .models import (
    CHILD_GROUPS,
    Category,
    Household,
    Person,
    PersonCategory,
    PersonStatus,
    Relation,
)
from .services import normalise_phone

ID_LIKE = re.compile(r"^[0-9]{15}$|^[0-9]{17}[0-9Xx]$")
PHONE_LIKE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")


@dataclass
class PeopleFilters:
    q: str = ""
    region: str = ""
    category: str = ""
    status: str = ""


def _years_ago(years: int, today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def apply_filters(queryset: QuerySet[Person], filters: PeopleFilters) -> QuerySet[Person]:
    q = (filters.q or "").strip()
    if q:
        compact = idnumbers.normalise(q)
        if ID_LIKE.match(compact):
            number = compact if len(compact) == 18 else idnumbers.upgrade_15(compact)
            queryset = queryset.filter(id_number_hash=crypto.blind_index(number))
        elif PHONE_LIKE.match(normalise_phone(q)):
            queryset = queryset.filter(phone_hash=crypto.blind_index(normalise_phone(q)))
        else:
            queryset = queryset.filter(name__contains=q)
    if filters.region:
        queryset = queryset.filter(under_prefix("region__code", filters.region))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    else:
        # Merged records are history: found by their own status filter or by link only.
        queryset = queryset.exclude(status=PersonStatus.MERGED)
    category = filters.category
    today = dt.date.today()
    if category == "elderly":
        queryset = queryset.filter(birth_date__lte=_years_ago(60, today))
    elif category == "child":
        queryset = queryset.filter(birth_date__gt=_years_ago(18, today))
    elif category in CHILD_GROUPS:
        queryset = queryset.filter(
            Exists(
                PersonCategory.objects.filter(
                    person=OuterRef("pk"), category__in=CHILD_GROUPS[category]
                )
            ),
            birth_date__gt=_years_ago(18, today),
        )
    elif category in Category.values:
        queryset = queryset.filter(
            Exists(PersonCategory.objects.filter(person=OuterRef("pk"), category=category))
        )
    return queryset


def person_list(*, fetched_by: Any, filters: PeopleFilters) -> QuerySet[Person]:
    """People the user may see, filtered, ordered for display; categories prefetched."""
    queryset = scope.visible(Person.objects.all(), fetched_by)
    queryset = apply_filters(queryset, filters)
    return queryset.select_related("region", "region__parent").prefetch_related("categories")


def person_page(
    *, fetched_by: Any, filters: PeopleFilters, page: int, page_size: int
) -> tuple[list[Person], int]:
    queryset = person_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    page = max(page, 1)
    start = (page - 1) * page_size
    items = list(queryset.order_by("region_id", "name", "id")[start : start + page_size])
    return items, count


def get_person_for_user(user: Any, pk: int, *, write: bool = False) -> Person:
    """The person if the user may see (or change) them, else 404."""
    queryset = Person.objects.select_related("region", "region__parent", "household")
    return scope.get_visible_or_404(
        queryset.prefetch_related("categories"), user, write=write, pk=pk
    )


def get_household_for_user(user: Any, pk: int) -> Household:
    return scope.get_visible_or_404(Household.objects.select_related("region"), user, pk=pk)


@dataclass
class HouseholdView:
    """The 一老一小 view: everyone in the household, with the old and the young flagged."""

    household: Household | None
    members: list[Person]
    elderly: list[Person]
    children: list[Person]

    @property
    def is_old_and_young(self) -> bool:
        return bool(self.elderly and self.children)


def household_view(*, fetched_by: Any, person: Person) -> HouseholdView:
    if person.household_id is None:
        return HouseholdView(None, [], [], [])
    members = list(
        scope.visible(Person.objects.filter(household_id=person.household_id), fetched_by)
        .prefetch_related("categories")
        .order_by("birth_date")
    )
    return HouseholdView(
        household=person.household,
        members=members,
        elderly=[m for m in members if m.is_elderly],
        children=[m for m in members if m.is_minor],
    )


def relations_of(*, fetched_by: Any, person: Person) -> list[Relation]:
    """Relations in both directions; the other side shown only when in the user's scope."""
    visible_people = scope.visible(Person.objects.all(), fetched_by).values("pk")
    return list(
        Relation.objects.filter(Q(person=person) | Q(relative=person))
        .filter(Q(person__in=visible_people) & Q(relative__in=visible_people))
        .select_related("person", "relative", "person__region", "relative__region")
        .order_by("-is_primary_guardian", "kind", "id")
    )


def people_in_household(*, fetched_by: Any, household: Household) -> QuerySet[Person]:
    return scope.visible(Person.objects.filter(household=household), fetched_by).prefetch_related(
        Prefetch("categories")
    )
