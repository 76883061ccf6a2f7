"""Visits to old people (探访关爱): how often each must be visited (the visit tier), when the
next visit is due, and the monthly visit rate per area.

The tier rule exists twice, once in Python for one file (:func:`visit_tier`) and once as SQL
conditions for counting an area (:func:`tier_q`); a test holds them to the same answers. The
visits themselves are casework visits with the elderly programme.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.accounts import scope
from shegong.accounts.models import Membership, Programme, Role
from shegong.casework.models import Visit
from shegong.casework.services import move_next_visit_due
from shegong.regions.models import PREFIX_LENGTH, Level, Region, under_prefix

from .models import ElderlyProfile, LivingSituation
from .selectors import DISABLED_LEVELS, OLDEST_OLD_AGE, special_difficulty_reasons

ELDERLY_AGE = 60
DEFAULT_VISIT_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 90}
DEFAULT_HIGH_RISK_DAYS = 30
# A high-risk person is visited within this long of an alarm.
AFTER_ALARM = dt.timedelta(hours=24)
# A discharged person is visited within this many days of leaving hospital.
AFTER_DISCHARGE_DAYS = 7
# The target of the monthly visit rate, and where the bar turns from red to amber.
TARGET_RATE = 100
AMBER_FROM = 80
# Who sees "elderly visits due" on their "my work" page: the people who make the visits.
VISITING_ROLES = frozenset({Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT, Role.TOWNSHIP_WORKER})
DUE_SOON_DAYS = 7
MY_WORK_LIMIT = 50


class Tier(models.TextChoices):
    """How often an old person must be visited at least (not stored: derived from the file)."""

    # high risk: just alarmed or just discharged from hospital
    WEEKLY = "weekly", gettext_lazy("Weekly")
    # 失能, 重残, or living alone with cognitive impairment
    MONTHLY = "monthly", gettext_lazy("Monthly")
    # any other elderly in special difficulty
    QUARTERLY = "quarterly", gettext_lazy("Quarterly")
    NONE = "none", gettext_lazy("No regular visit")


# ---- the rule ---------------------------------------------------------------------------------


def visit_days() -> dict[str, int]:
    """The longest gap between two visits per tier, from ``SHEGONG_ELDERLY_VISIT_DAYS``."""
    return {**DEFAULT_VISIT_DAYS, **getattr(settings, "SHEGONG_ELDERLY_VISIT_DAYS", {})}


def interval(tier: str) -> dt.timedelta:
    return dt.timedelta(days=visit_days()[tier])


def high_risk_days() -> int:
    return getattr(settings, "SHEGONG_ELDERLY_HIGH_RISK_DAYS", DEFAULT_HIGH_RISK_DAYS)


def years_before(day: dt.date, years: int) -> dt.date:
    """The latest birth date of someone ``years`` old on ``day`` (as ``Person.age_on`` counts)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def is_high_risk(profile: ElderlyProfile, today: dt.date) -> bool:
    return profile.high_risk_until is not None and profile.high_risk_until >= today


def _monthly_reasons(profile: ElderlyProfile) -> list[str]:
    situations = set(profile.living_situations)
    reasons = []
    if LivingSituation.INCAPACITATED in situations or profile.level in DISABLED_LEVELS:
        reasons.append(str(LivingSituation.INCAPACITATED.label))
    if LivingSituation.SEVERELY_DISABLED in situations:
        reasons.append(str(LivingSituation.SEVERELY_DISABLED.label))
    if LivingSituation.ALONE in situations and profile.cognitive_impairment:
        reasons.append(_("Living alone with cognitive impairment"))
    return reasons


def tier_and_reasons(profile: ElderlyProfile, *, today: dt.date) -> tuple[str, list[str]]:
    """The visit tier of a file and why, in words."""
    if is_high_risk(profile, today):
        reason = profile.get_high_risk_reason_display() or _("High risk")
        until = _("until %(day)s") % {"day": f"{profile.high_risk_until:%Y-%m-%d}"}
        return Tier.WEEKLY, [f"{reason} ({until})"]
    special = special_difficulty_reasons(profile, today=today)
    if not special:
        return Tier.NONE, []
    monthly = _monthly_reasons(profile)
    if monthly:
        return Tier.MONTHLY, monthly
    return Tier.QUARTERLY, special


def visit_tier(profile: ElderlyProfile, *, today: dt.date | None = None) -> str:
    """``weekly`` while at high risk; ``monthly`` for 失能 (unable to care for themselves, or
    assessed moderately disabled or worse), 重残 (severely disabled), or living alone with
    cognitive impairment; ``quarterly`` for other elderly in special difficulty; else ``none``.
    The same rule in SQL is :func:`tier_q`."""
    return tier_and_reasons(profile, today=today or timezone.localdate())[0]


def _situation_q(value: str) -> Q:
    # living_situations is a JSON list of strings; its text holds each value in double quotes.
    # (A text match works on SQLite and PostgreSQL alike; JSON containment does not.)
    return Q(living_situations__icontains=f'"{value}"')


def tier_q(tier: str, *, today: dt.date) -> Q:
    """The rule of :func:`visit_tier` as a condition on ``ElderlyProfile`` rows."""
    high_risk = Q(high_risk_until__gte=today)
    not_high_risk = Q(high_risk_until__isnull=True) | Q(high_risk_until__lt=today)
    elderly = Q(person__birth_date__lte=years_before(today, ELDERLY_AGE))
    disabled = Q(level__in=DISABLED_LEVELS)
    monthly = (
        _situation_q(LivingSituation.INCAPACITATED)
        | disabled
        | _situation_q(LivingSituation.SEVERELY_DISABLED)
        | (_situation_q(LivingSituation.ALONE) & Q(cognitive_impairment=True))
    )
    special = Q(person__birth_date__lte=years_before(today, OLDEST_OLD_AGE)) | disabled
    special |= Q(cognitive_impairment=True)
    for situation in LivingSituation.values:
        special |= _situation_q(situation)
    if tier == Tier.WEEKLY:
        return high_risk
    if tier == Tier.MONTHLY:
        return not_high_risk & elderly & monthly
    if tier == Tier.QUARTERLY:
        return not_high_risk & elderly & special & ~monthly
    if tier == Tier.NONE:
        return not_high_risk & ~(elderly & special)
    raise ValueError(tier)


def visit_rule() -> str:
    """The tier rule in words, with the configured intervals."""
    days = visit_days()
    return _(
        "High risk (for %(high_risk)s days after an alarm or a discharge from hospital): at "
        "least every %(weekly)s days, and within 24 hours of an alarm. Unable to care for "
        "themselves (including an assessed level of moderately disabled or worse), severely "
        "disabled, or living alone with diagnosed cognitive impairment: at least every "
        "%(monthly)s days. Other elderly in special difficulty: at least every %(quarterly)s days."
    ) % {
        "high_risk": high_risk_days(),
        "weekly": days[Tier.WEEKLY],
        "monthly": days[Tier.MONTHLY],
        "quarterly": days[Tier.QUARTERLY],
    }


# ---- scheduling (called inside the writes that lock the file) ----------------------------------


def last_visit_on(person_id: int) -> dt.date | None:
    return (
        Visit.objects.filter(person_id=person_id, programme=Programme.ELDERLY)
        .order_by("-visited_on")
        .values_list("visited_on", flat=True)
        .first()
    )


def reschedule(profile: ElderlyProfile, *, old_tier: str, today: dt.date) -> None:
    """After a change of the file: when its tier changed, the next visit is due one interval of
    the new tier after the last visit (today when there was none); no tier, no due date.
    A stricter tier never moves an earlier due date later. The caller saves the file."""
    new_tier = visit_tier(profile, today=today)
    if new_tier == old_tier:
        return
    if new_tier == Tier.NONE:
        profile.next_visit_due = None
        return
    last = last_visit_on(profile.person_id)
    due = last + interval(new_tier) if last else today
    stricter = old_tier == Tier.NONE or interval(new_tier) < interval(old_tier)
    if stricter and profile.next_visit_due is not None:
        due = min(due, profile.next_visit_due)
    profile.next_visit_due = due


def visit_moves_due(visit: Visit) -> None:
    """After an elderly visit the next one is due one interval of the tier later, or on the
    visit's own "next visit" when that is earlier (casework visit hook).

    A visit dated before what made the person high risk (an alarm, a discharge) does not
    answer it, and a visit older than the due date it would set keeps the later one.
    """
    if visit.programme != Programme.ELDERLY:
        return
    profile = ElderlyProfile.objects.select_for_update().filter(person=visit.person_id).first()
    if profile is None:
        return
    profile.person = visit.person
    today = timezone.localdate()
    tier = visit_tier(profile, today=today)
    if tier == Tier.NONE:
        return
    if (
        tier == Tier.WEEKLY
        and profile.high_risk_since is not None
        and visit.visited_on < profile.high_risk_since
    ):
        return
    move_next_visit_due(profile, visit, interval(tier))


def visits_refresh(*, today: dt.date | None = None) -> int:
    """Daily: tiers also change with time (a birthday, the end of a high risk). A file that
    entered a tier without a due date is due today; one that left every tier has none."""
    today = today or timezone.localdate()
    profiles = ElderlyProfile.objects.all()
    entered = profiles.filter(~tier_q(Tier.NONE, today=today), next_visit_due__isnull=True)
    left = profiles.filter(tier_q(Tier.NONE, today=today), next_visit_due__isnull=False)
    version = models.F("version") + 1
    return entered.update(next_visit_due=today, version=version) + left.update(
        next_visit_due=None, version=version
    )


# ---- reads ------------------------------------------------------------------------------------


def last_visits(profile: ElderlyProfile, *, fetched_by: Any, limit: int = 5) -> list[Visit]:
    visits = Visit.objects.filter(person_id=profile.person_id, programme=Programme.ELDERLY)
    visits = scope.visible(visits, fetched_by).select_related("visited_by")
    return list(visits.order_by("-visited_on", "-id")[:limit])


def overdue_list(
    *, fetched_by: Any, prefix: str = "", today: dt.date | None = None
) -> QuerySet[ElderlyProfile]:
    """Files in scope whose next visit is overdue, the longest overdue first."""
    today = today or timezone.localdate()
    queryset = scope.visible(ElderlyProfile.objects.filter(next_visit_due__lt=today), fetched_by)
    if prefix:
        queryset = queryset.filter(under_prefix("person__region__code", prefix))
    return queryset.select_related("person", "person__region").order_by(
        "next_visit_due", "person__name", "id"
    )


def visits_due_for(*, user: Any, today: dt.date | None = None) -> list[ElderlyProfile] | None:
    """For "my work": files in the user's scope with a visit due within a week (or overdue),
    for the roles that make the visits; ``None`` for everyone else."""
    if not scope.scope_for(user).roles & VISITING_ROLES:
        return None
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    queryset = scope.visible(ElderlyProfile.objects.filter(next_visit_due__lte=soon), user)
    queryset = queryset.select_related("person", "person__region")
    return list(queryset.order_by("next_visit_due", "person__name", "id")[:MY_WORK_LIMIT])


def rate_area(user: Any) -> tuple[str, ...]:
    """The region prefixes whose visit rates the user may see: their registry scope, and for a
    viewer (aggregates only) the region of their viewer membership."""
    prefixes = set(scope.scope_for(user).read_prefixes)
    if Role.VIEWER in scope.scope_for(user).roles:
        memberships = Membership.objects.filter(user=user, role=Role.VIEWER, is_active=True)
        prefixes |= {m.region.prefix for m in memberships.select_related("region")}
    return tuple(
        sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))
    )


def rows_under(prefixes: tuple[str, ...]) -> list[Region]:
    """The regions a rate table shows for an area: a district's townships, a township's
    villages, a village itself."""
    rows: list[Region] = []
    for prefix in prefixes:
        if len(prefix) == PREFIX_LENGTH[Level.VILLAGE]:
            rows += Region.objects.filter(code=prefix)
        else:
            child = (
                Level.TOWNSHIP if len(prefix) == PREFIX_LENGTH[Level.DISTRICT] else Level.VILLAGE
            )
            rows += Region.objects.filter(under_prefix("code", prefix), level=child).order_by(
                "code"
            )
    return rows


@dataclass
class RateRow:
    region: Region | None  # None for the total
    monthly: int = 0  # requiring a monthly (or weekly) visit
    monthly_visited: int = 0  # of them, visited in the month
    quarterly: int = 0
    quarterly_visited: int = 0  # visited in the month's quarter

    @staticmethod
    def _rate(done: int, due: int) -> int | None:
        return round(100 * done / due) if due else None

    @property
    def rate(self) -> int | None:
        return self._rate(self.monthly_visited, self.monthly)

    @property
    def quarterly_rate(self) -> int | None:
        return self._rate(self.quarterly_visited, self.quarterly)

    @property
    def colour(self) -> str:
        """The bar's colour against the 100% target: green, amber from 80%, red below."""
        if self.rate is None or self.rate >= TARGET_RATE:
            return "success"
        return "warning" if self.rate >= AMBER_FROM else "danger"


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def quarter_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = dt.date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    return start, month_bounds(dt.date(start.year, start.month + 2, 1))[1]


def _visited(start: dt.date, end: dt.date) -> Q:
    visits = Visit.objects.filter(
        person_id=OuterRef("person_id"),
        programme=Programme.ELDERLY,
        visited_on__gte=start,
        visited_on__lte=end,
    )
    return Q(Exists(visits))


def visit_rates(
    *, rows: list[Region], month: dt.date, today: dt.date | None = None
) -> tuple[list[RateRow], RateRow]:
    """Per row region and in total: how many old people need a monthly visit and how many had
    one in ``month``; the same for the quarterly tier and the month's quarter.

    Counted in SQL, one grouped query per row level. Tiers are taken at the end of the month
    (today for the current month): the tier of a file is not kept over time.
    """
    today = today or timezone.localdate()
    first, last = month_bounds(month)
    as_of = min(today, last)
    q_start, q_end = quarter_bounds(month)
    monthly = tier_q(Tier.WEEKLY, today=as_of) | tier_q(Tier.MONTHLY, today=as_of)
    quarterly = tier_q(Tier.QUARTERLY, today=as_of)
    counts: dict[str, dict[str, int]] = {}
    for length in sorted({len(r.prefix) for r in rows}):
        prefixes = [r.prefix for r in rows if len(r.prefix) == length]
        area = Q()
        for prefix in prefixes:
            area |= under_prefix("person__region__code", prefix)
        grouped = (
            ElderlyProfile.objects.filter(area)
            .annotate(area=Substr("person__region_id", 1, length))
            .values("area")
            .annotate(
                monthly=Count("pk", filter=monthly),
                monthly_visited=Count("pk", filter=monthly & _visited(first, last)),
                quarterly=Count("pk", filter=quarterly),
                quarterly_visited=Count("pk", filter=quarterly & _visited(q_start, q_end)),
            )
            .order_by()
        )
        for row in grouped:
            counts[row.pop("area")] = row
    table = [RateRow(region, **counts.get(region.prefix, {})) for region in rows]
    total = RateRow(None)
    for row in table:
        total.monthly += row.monthly
        total.monthly_visited += row.monthly_visited
        total.quarterly += row.quarterly
        total.quarterly_visited += row.quarterly_visited
    return table, total


def monthly_due(
    *, area: str, length: int, month: dt.date, today: dt.date | None = None
) -> dict[str, list[int]]:
    """Region prefix of ``length`` digits → ids of the old people there due a monthly or weekly
    visit in ``month`` (as of its last day, or today in the current month), under ``area``: the
    denominator of the dashboard's visit rate. It does not depend on the visits, so the
    dashboard keeps it while visits come in."""
    today = today or timezone.localdate()
    last = month_bounds(month)[1]
    as_of = min(today, last)
    due = tier_q(Tier.WEEKLY, today=as_of) | tier_q(Tier.MONTHLY, today=as_of)
    found: dict[str, list[int]] = {}
    for person, row in (
        ElderlyProfile.objects.filter(under_prefix("person__region__code", area))
        .filter(due)
        .annotate(area=Substr("person__region_id", 1, length))
        .order_by()
        .values_list("person_id", "area")
    ):
        found.setdefault(row, []).append(person)
    return found


def count_visited(due: dict[str, list[int]], visited: set[int]) -> dict[str, tuple[int, int]]:
    """Region prefix → (due, visited) from :func:`monthly_due` and the ids of the people
    visited."""
    return {row: (len(people), len(visited.intersection(people))) for row, people in due.items()}
