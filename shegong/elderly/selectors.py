"""Reads of the elderly-care programme, always through the scope gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.accounts import scope
from shegong.casework.selectors import period_q, region_q
from shegong.regions.models import under_prefix

from .models import (
    ORDER_CLOSED,
    AbilityAssessment,
    ElderlyProfile,
    Level,
    LivingSituation,
    OrderStatus,
    ServiceKind,
    ServiceOrder,
)

# Assessed levels that count as 失能 for the special-difficulty rule.
DISABLED_LEVELS = (Level.MODERATE, Level.SEVERE, Level.COMPLETE)
OLDEST_OLD_AGE = 80


@dataclass
class ElderlyFilters:
    q: str = ""
    region: str = ""
    level: str = ""  # a level, or "none" for files not assessed yet
    overdue: bool = False  # reassessment overdue
    special: bool = False  # in special difficulty (the dashboard's figure)


def elderly_list(*, fetched_by: Any, filters: ElderlyFilters) -> QuerySet[ElderlyProfile]:
    queryset = scope.visible(ElderlyProfile.objects.all(), fetched_by)
    if filters.q:
        queryset = queryset.filter(person__name__contains=filters.q)
    if filters.region:
        queryset = queryset.filter(under_prefix("person__region__code", filters.region))
    if filters.level == "none":
        queryset = queryset.filter(level="")
    elif filters.level in Level.values:
        queryset = queryset.filter(level=filters.level)
    if filters.overdue:
        queryset = queryset.filter(next_assessment_due__lt=timezone.localdate())
    if filters.special:
        queryset = queryset.filter(special_difficulty_q(timezone.localdate()))
    return queryset.select_related("person", "person__region")


def elderly_page(
    *, fetched_by: Any, filters: ElderlyFilters, page: int, page_size: int
) -> tuple[list[ElderlyProfile], int]:
    queryset = elderly_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    start = (max(page, 1) - 1) * page_size
    ordered = queryset.order_by("person__region_id", "person__name", "id")
    return list(ordered[start : start + page_size]), count


def get_elderly_for_user(user: Any, person_id: int, *, write: bool = False) -> ElderlyProfile:
    """The old person's file if the user may see it, else 404 (volunteers and viewers never do)."""
    queryset = ElderlyProfile.objects.select_related("person", "person__region")
    return scope.get_visible_or_404(queryset, user, write=write, person_id=person_id)


def get_assessment_for_user(user: Any, person_id: int, pk: int) -> AbilityAssessment:
    queryset = AbilityAssessment.objects.select_related(
        "profile__person", "profile__person__region", "assessed_by", "second_assessor"
    )
    return scope.get_visible_or_404(queryset, user, pk=pk, profile__person_id=person_id)


def history_of(profile: ElderlyProfile) -> list[AbilityAssessment]:
    return list(profile.assessments.select_related("assessed_by", "second_assessor"))


SPECIAL_DIFFICULTY_RULE = gettext_lazy(
    "Aged 60 or over and any of: living alone, empty nest, left behind, unable to care for "
    "themselves (including an assessed level of moderately disabled or worse), severely "
    "disabled, a family-planning special family, aged 80 or over, or diagnosed dementia or "
    "other cognitive impairment."
)


def special_difficulty_q(today: dt.date) -> Q:
    """The rule of :func:`special_difficulty_reasons` as a condition on ``ElderlyProfile``
    rows (the elderly list's filter and the dashboard's figure count the same files)."""
    from .visits import years_before

    special = Q(person__birth_date__lte=years_before(today, OLDEST_OLD_AGE))
    special |= Q(level__in=DISABLED_LEVELS) | Q(cognitive_impairment=True)
    for situation in LivingSituation.values:
        # living_situations is a JSON list of strings: its text holds each value in quotes.
        special |= Q(living_situations__icontains=f'"{situation}"')
    return Q(person__birth_date__lte=years_before(today, 60)) & special


def special_difficulty_reasons(
    profile: ElderlyProfile, *, today: dt.date | None = None
) -> list[str]:
    """Why the person counts as "elderly in special difficulty" (特殊困难老年人); empty if not.

    The rule (:data:`SPECIAL_DIFFICULTY_RULE`) is shown next to the flag on the file.
    """
    today = today or timezone.localdate()
    person = profile.person
    if person.age_on(today) < 60:
        return []
    situations = set(profile.living_situations)
    if person.age_on(today) >= OLDEST_OLD_AGE:
        situations.add(LivingSituation.OLDEST_OLD)
    if profile.level in DISABLED_LEVELS:
        situations.add(LivingSituation.INCAPACITATED)
    reasons = [str(choice.label) for choice in LivingSituation if choice.value in situations]
    if profile.cognitive_impairment:
        reasons.append(_("Diagnosed dementia or other cognitive impairment"))
    return reasons


# ---- service orders -------------------------------------------------------------------------


@dataclass
class OrderFilters:
    status: str = ""  # a status, or "open" for every unfinished one, or "overdue"
    kind: str = ""
    region: str = ""
    created_from: dt.date | None = None  # created on or after (local date)
    created_to: dt.date | None = None  # created on or before (local date)


def orders_list(
    *, fetched_by: Any, filters: OrderFilters, today: dt.date | None = None
) -> QuerySet[ServiceOrder]:
    today = today or timezone.localdate()
    queryset = scope.visible(ServiceOrder.objects.all(), fetched_by)
    if filters.status == "open":
        queryset = queryset.exclude(status__in=ORDER_CLOSED)
    elif filters.status == "overdue":
        queryset = queryset.exclude(status__in=ORDER_CLOSED).filter(due_on__lt=today)
    elif filters.status in OrderStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.kind in ServiceKind.values:
        queryset = queryset.filter(kind=filters.kind)
    queryset = queryset.filter(
        region_q("person__region__code", filters.region),
        period_q("created_at", filters.created_from, filters.created_to),
    )
    return queryset.select_related("person", "person__region", "provider_user").order_by(
        "due_on", "id"
    )


def orders_page(
    *, fetched_by: Any, filters: OrderFilters, page: int, page_size: int
) -> tuple[list[ServiceOrder], int]:
    queryset = orders_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    start = (max(page, 1) - 1) * page_size
    return list(queryset[start : start + page_size]), count


def get_order_for_user(user: Any, pk: int, *, write: bool = False) -> ServiceOrder:
    queryset = ServiceOrder.objects.select_related(
        "person", "person__region", "provider_user", "requested_by"
    )
    return scope.get_visible_or_404(queryset, user, write=write, pk=pk)


def overdue_orders_for(*, user: Any, today: dt.date | None = None) -> list[ServiceOrder]:
    """Orders assigned to ``user`` as provider whose due date has passed and that are not done,
    rated or cancelled: the "my work" page of casework shows them."""
    today = today or timezone.localdate()
    queryset = scope.visible(ServiceOrder.objects.filter(provider_user=user), user)
    queryset = queryset.exclude(status__in=ORDER_CLOSED).filter(due_on__lt=today)
    return list(queryset.select_related("person", "person__region").order_by("due_on", "id"))
