"""The dashboard figures of one area (a region-code prefix) and a period, counted in SQL.

Every figure is an aggregate over rows of the programme apps; only numbers leave this module,
so viewers see them too. Each function costs a fixed number of queries, however many people,
visits or alarms there are: one aggregate per source for :func:`overview`, one grouped query
per source for :func:`breakdown`.

Definitions (area = region-code prefix, period = [start, end], dates in Asia/Shanghai):
- coverage: stations, townships and villages of the area; staff = active memberships (of active
  users) in the station roles; staffing_gaps = positions missing against the required staff of
  each region (the coverage page's rule), summed;
- colour cards: children's files by their current colour;
- children_special: active people under 18 registered as children in difficulty or orphans
  (困境儿童); children_left_behind: registered as left behind (留守儿童);
- elderly_special: elderly files of people aged 60 or over meeting the special-difficulty rule
  of ``shegong.elderly.selectors.special_difficulty_reasons``;
- visits: visits in the period, visits_this_month: from the first of the month of ``end`` to
  ``end`` (the justice-involved minors programme left out, as on the community overview),
  summed from the visit tallies kept by triggers (``models.VisitMonth`` for the whole months
  of the period, ``models.VisitDay`` for the days at either end);
- visit_rate: the elderly monthly visit rate for the month of ``end``, from
  ``shegong.elderly.visits.visit_rates`` (elderly_visit_due / elderly_visited are its parts);
- alarms_open: alarms not yet acknowledged, alarms_unresolved: open or acknowledged (both as of
  now); alarms_in_period: raised in the period; ack_median_seconds / ack_p90_seconds: time from
  raising to acknowledging, over the alarms raised in the period that were acknowledged;
- service_orders: orders created in the period, and of them per current status (orders_<status>);
- cases: open cases by current stage (cases_<stage>), cases_closed: closed in the period,
  cases_opened: opened in the period (juvenile cases left out);
- activities, person-times, volunteers, resource links: the community overview's definitions
  (``shegong.community.overview``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shegong.accounts.models import Membership, Programme
from shegong.casework.models import Case as SocialCase
from shegong.casework.models import Stage
from shegong.children.models import ChildProfile, Colour
from shegong.community.overview import figure_sources as community_sources
from shegong.devices.models import ALARM_ACTIVE, Alarm, AlarmStatus, Severity
from shegong.elderly import visits as elderly_visits
from shegong.elderly.models import (
    ElderlyProfile,
    OrderStatus,
    ServiceOrder,
)
from shegong.elderly.models import (
    Level as AbilityLevel,
)
from shegong.elderly.selectors import special_difficulty_q
from shegong.people.models import Category, PersonCategory, PersonStatus
from shegong.regions.models import PREFIX_LENGTH, Level, Region, Station, under_prefix
from shegong.regions.selectors import REQUIRED_STAFF

from .models import TableGeneration, VisitDay, VisitedMonth, VisitMonth

ZERO = Decimal(0)
ADULT_AGE = 18
CHILD_IN_DIFFICULTY = (Category.CHILD_IN_DIFFICULTY, Category.ORPHAN)
# The roles that staff a station (the coverage page's required staff).
STATION_ROLES = tuple(sorted({role for need in REQUIRED_STAFF.values() for role in need}))
OPEN_STAGES = [stage for stage in Stage if stage != Stage.CLOSED]

# Keys of :func:`overview` that are sums over the child regions: the rows of :func:`breakdown`
# add up exactly to them. Rates, medians and percentiles are not additive.
ADDITIVE: tuple[str, ...] = (
    "stations",
    "townships",
    "villages",
    "staff",
    "staffing_gaps",
    "colour_red",
    "colour_orange",
    "colour_blue",
    "children_special",
    "children_left_behind",
    "elderly_special",
    "visits",
    "visits_this_month",
    "elderly_visit_due",
    "elderly_visited",
    "alarms_open",
    "alarms_unresolved",
    "alarms_in_period",
    "alarms_acknowledged",
    "service_orders",
    *(f"orders_{status}" for status in OrderStatus.values),
    "cases_opened",
    *(f"cases_{stage}" for stage in Stage.values),
    "activities_held",
    "person_times",
    "volunteers",
    "volunteers_registered",
    "resource_links",
    "resource_links_value",
)

# A district's rows are its townships, a township's its villages; a village has none.
CHILD_LEVEL = {
    PREFIX_LENGTH[Level.DISTRICT]: Level.TOWNSHIP,
    PREFIX_LENGTH[Level.TOWNSHIP]: Level.VILLAGE,
}
LEVEL_OF_LENGTH = {length: level for level, length in PREFIX_LENGTH.items()}

# Acknowledgement-time buckets of the alarms chart: (key, upper bound).
ACK_BUCKETS = (
    ("under_5m", dt.timedelta(minutes=5)),
    ("under_15m", dt.timedelta(minutes=15)),
    ("under_1h", dt.timedelta(hours=1)),
)


# The tables each source counts (their generations key its cached figures; see models.py).
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "stations": ("regions_station",),
    "regions": ("regions_region", "accounts_membership", "accounts_user"),
    "staff": ("accounts_membership", "accounts_user"),
    "colours": ("children_childprofile", "people_person"),
    "children": ("people_person", "people_personcategory"),
    "elderly": ("elderly_elderlyprofile", "people_person"),
    # The visit tallies (models.VisitDay, VisitMonth) follow every visit and person move by
    # trigger: whole months from one, the days at either end of the period from the other.
    "visits": ("casework_visit", "people_person"),
    "visit_months": ("casework_visit", "people_person"),
    "alarms": ("devices_alarm", "people_person"),
    "alarms_raised": ("devices_alarm", "people_person"),
    "orders": ("elderly_serviceorder", "people_person"),
    "cases": ("casework_case", "people_person"),
    "activities": ("community_activity",),
    "volunteers": ("community_volunteer",),
    "links": ("community_resourcelink",),
}
VISIT_RATE_TABLES = (
    "elderly_elderlyprofile",
    "casework_visit",
    "people_person",
    "people_personcategory",
)
# Tallies kept by triggers from a counted table (and the people table, for the region).
TALLIES = {
    "dashboard_visit_day": "casework_visit",
    "dashboard_visit_month": "casework_visit",
    "dashboard_visited_month": "casework_visit",
}
COUNTED_TABLES = sorted({table for tables in SOURCE_TABLES.values() for table in tables})
# A day: the keys hold the date anyway (ages and "this month" move with it).
CACHE_SECONDS = 24 * 3600
# Raised whenever a cached unit's shape changes: a new release never reads an older one's.
FORMAT = 2
# The visits of the whole months of a period, added to "visits" (never shown on its own).
MONTHS_PART = "visits_in_whole_months"


class Figures:
    """The cached units of figures of one kind (overview, breakdown, series) for an area and a
    period. A unit is keyed by the generations of the tables it counts, read in one query
    here: it is recomputed exactly when one of them changed, and served from the cache (one
    round trip for all units) otherwise. A unit over a table without a generation is never
    cached."""

    def __init__(
        self,
        kind: str,
        area: str,
        start: dt.date,
        end: dt.date,
        generations: dict[str, int] | None = None,
    ) -> None:
        # Units computed from other units' figures pass the generations read once already.
        if generations is None:
            generations = dict(TableGeneration.objects.values_list("table", "value"))
        self.generations = generations
        if len(self.generations) < len(COUNTED_TABLES):
            # Rows lost (a test database flushed, a partial restore): the triggers raise
            # only existing rows, so put them back, at a random value so that no key cached
            # before comes back; until then nothing is cached.
            TableGeneration.objects.bulk_create(
                [
                    TableGeneration(table=table, value=secrets.randbits(48))
                    for table in COUNTED_TABLES
                ],
                ignore_conflicts=True,
            )
        # The overview is numbers only; the breakdown and the series carry translated labels.
        language = "" if kind == "overview" else get_language() or ""
        self.prefix = (
            f"dashboard:{FORMAT}:{kind}:{area}:{start.isoformat()}:{end.isoformat()}:"
            f"{timezone.localdate().isoformat()}:{language}"
        )

    def key(self, name: str, tables: tuple[str, ...]) -> str | None:
        found = [self.generations.get(table) for table in tables]
        if None in found:
            return None
        return f"{self.prefix}:{name}:{'.'.join(str(value) for value in found)}"

    def fetch(self, units: dict[str, tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
        """``units``: name → (tables, compute). ``compute(done)`` gets the units resolved so
        far (in order), so a unit may build on an earlier one."""
        keys = {name: self.key(name, tables) for name, (tables, _compute) in units.items()}
        cached = cache.get_many([key for key in keys.values() if key])
        done: dict[str, Any] = {}
        fresh: dict[str, Any] = {}
        for name, (_tables, compute) in units.items():
            key = keys[name]
            if key in cached:
                done[name] = cached[key]
                continue
            done[name] = compute(done)
            if key:
                fresh[key] = done[name]
        if fresh:
            cache.set_many(fresh, CACHE_SECONDS)
        return done


@dataclass(frozen=True)
class Source:
    """Rows one group of figures counts: ``path`` is the 12-digit region code of a row."""

    path: str
    queryset: QuerySet
    aggregates: dict[str, Any]


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone."""
    zone = timezone.get_current_timezone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return low, high


def _staff_of(role: str) -> Coalesce:
    staff = (
        Membership.objects.filter(
            region_id=OuterRef("code"), role=role, is_active=True, user__is_active=True
        )
        .order_by()
        .values("region_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(staff, output_field=IntegerField()), Value(0))


def _gaps() -> Case:
    """Positions missing in a region against the required staff of its level."""
    whens = []
    for level, need in REQUIRED_STAFF.items():
        missing = [Greatest(Value(n) - _staff_of(role), Value(0)) for role, n in need.items()]
        total = missing[0]
        for more in missing[1:]:
            total = total + more
        whens.append(When(level=level, then=total))
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _sources(start: dt.date, end: dt.date) -> dict[str, Callable[[], Source]]:
    """Each group of figures' :class:`Source`, built when called: a page served from the cache
    builds none (building every figure's queryset costs more than reading them all cached)."""
    today = timezone.localdate()
    low, high = _window(start, end)
    month_first = end.replace(day=1)

    def community(name: str) -> tuple[str, QuerySet]:
        return community_sources(("",), start, end)[name]

    raised = Q(raised_at__gte=low, raised_at__lt=high)
    created = Q(created_at__gte=low, created_at__lt=high)
    return {
        "stations": lambda: Source("region_id", Station.objects.all(), {"stations": Count("pk")}),
        "regions": lambda: Source(
            "code",
            Region.objects.all(),
            {
                "townships": Count("pk", filter=Q(level=Level.TOWNSHIP)),
                "villages": Count("pk", filter=Q(level=Level.VILLAGE)),
                "staffing_gaps": Coalesce(Sum(_gaps()), Value(0)),
            },
        ),
        "staff": lambda: Source(
            "region_id",
            Membership.objects.filter(is_active=True, user__is_active=True, role__in=STATION_ROLES),
            {"staff": Count("pk")},
        ),
        "colours": lambda: Source(
            "person__region_id",
            ChildProfile.objects.exclude(colour=""),
            {f"colour_{c}": Count("pk", filter=Q(colour=c)) for c in Colour.values},
        ),
        # From the category rows (few) to their people: every child counted once per figure.
        "children": lambda: Source(
            "person__region_id",
            PersonCategory.objects.filter(
                # A sub-query, as for the alarms: the few rows by the category index.
                pk__in=PersonCategory.objects.filter(
                    category__in=[*CHILD_IN_DIFFICULTY, Category.LEFT_BEHIND_CHILD]
                ).values("pk"),
                person__status=PersonStatus.ACTIVE,
                person__birth_date__gt=elderly_visits.years_before(today, ADULT_AGE),
            ),
            {
                "children_special": Count(
                    "person", distinct=True, filter=Q(category__in=CHILD_IN_DIFFICULTY)
                ),
                "children_left_behind": Count(
                    "person", distinct=True, filter=Q(category=Category.LEFT_BEHIND_CHILD)
                ),
            },
        ),
        "elderly": lambda: Source(
            "person__region_id",
            ElderlyProfile.objects.all(),
            {"elderly_special": Count("pk", filter=special_difficulty_q(today))},
        ),
        # visits = the days at either end here + the whole months ("visit_months").
        "visits": lambda: Source(
            "region_id",
            VisitDay.objects.filter(day__range=_day_span(start, end)),
            {
                "visits": Coalesce(Sum("visit_count", filter=_edge_days(start, end)), 0),
                "visits_this_month": Coalesce(
                    Sum("visit_count", filter=Q(day__gte=month_first)), 0
                ),
            },
        ),
        "visit_months": lambda: Source(
            "region_id",
            VisitMonth.objects.filter(month__range=_whole_months(start, end)),
            {MONTHS_PART: Coalesce(Sum("visit_count"), 0)},
        ),
        # Only the alarms some figure counts, in two sets each found by its own index (not
        # through every person of the area): not resolved yet, and raised in the period.
        "alarms": lambda: Source(
            "region_code",
            # As a sub-query: SQLite then reads the few by the status index (a plain filter
            # looks like half the table to it, and it goes through every person instead).
            Alarm.objects.filter(pk__in=Alarm.objects.filter(status__in=ALARM_ACTIVE).values("pk")),
            {
                "alarms_open": Count("pk", filter=Q(status=AlarmStatus.OPEN)),
                "alarms_unresolved": Count("pk"),
            },
        ),
        "alarms_raised": lambda: Source(
            "region_code",
            Alarm.objects.filter(raised),
            {
                "alarms_in_period": Count("pk"),
                "alarms_acknowledged": Count("pk", filter=Q(acknowledged_at__isnull=False)),
            },
        ),
        "orders": lambda: Source(
            "region_code",
            ServiceOrder.objects.filter(created),
            {
                "service_orders": Count("pk"),
                **{f"orders_{s}": Count("pk", filter=Q(status=s)) for s in OrderStatus.values},
            },
        ),
        "cases": lambda: Source(
            "person__region_id",
            SocialCase.objects.exclude(programme=Programme.JUVENILE).filter(
                ~Q(stage=Stage.CLOSED)
                | Q(closed_at__gte=low, closed_at__lt=high)
                | Q(opened_at__gte=low, opened_at__lt=high)
            ),
            {
                "cases_opened": Count("pk", filter=Q(opened_at__gte=low, opened_at__lt=high)),
                **{f"cases_{s}": Count("pk", filter=Q(stage=s)) for s in OPEN_STAGES},
                "cases_closed": Count(
                    "pk", filter=Q(stage=Stage.CLOSED, closed_at__gte=low, closed_at__lt=high)
                ),
            },
        ),
        "activities": lambda: Source(
            *community("activities"),
            {"activities_held": Count("pk"), "person_times": Coalesce(Sum("person_times"), 0)},
        ),
        "volunteers": lambda: Source(
            *community("volunteers"),
            {
                "volunteers": Count("pk"),
                "volunteers_registered": Count("pk", filter=Q(registered=True)),
            },
        ),
        "links": lambda: Source(
            *community("links"),
            {
                "resource_links": Count("pk"),
                "resource_links_value": Coalesce(Sum("value"), Value(ZERO)),
            },
        ),
    }


def _month_after(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _whole_months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The first days of the first and the last month lying wholly inside [start, end]
    (first after last: none)."""
    first = start if start.day == 1 else _month_after(start)
    after = (end + dt.timedelta(days=1)).replace(day=1)
    return first, (after - dt.timedelta(days=1)).replace(day=1)


def _edge_days(start: dt.date, end: dt.date) -> Q:
    """The days of [start, end] outside its whole months (all of them if it has none)."""
    first, last = _whole_months(start, end)
    if first > last:
        return Q(day__gte=start, day__lte=end)
    after_last = _month_after(last)
    return Q(day__gte=start, day__lt=first) | Q(day__gte=after_last, day__lte=end)


def _day_span(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """One range of days holding the days at either end of [start, end] and the days of the
    month of ``end`` up to it — one range, so that it reads the day tally's index (OR-ed
    ranges make SQLite scan every day of the area instead)."""
    month_first = end.replace(day=1)
    first, last = _whole_months(start, end)
    if first > last:
        return min(start, month_first), end
    if start == first:  # no days before the whole months: the end's days only
        after_last = _month_after(last)
        return min(after_last, month_first), end
    return start, end


def _add_whole_months(figures: dict[str, Any]) -> None:
    """Fold the whole months' visits into ``visits`` (see the sources "visits", "visit_months")."""
    figures["visits"] = figures.get("visits", 0) + figures.pop(MONTHS_PART, 0)


def _raw(queryset: QuerySet, *fields: str) -> list[tuple]:
    """``values_list(*fields)`` rows read straight off the cursor, every date-time as naive
    UTC. Tens of thousands of alarms: Django's converters (on SQLite a regex and a time zone
    per value, on PostgreSQL psycopg's loader in Python, which Django's subclass keeps from
    the C one) cost several times the query. Date-times are read as text and parsed in C."""
    model = queryset.model
    times = {f for f in fields if isinstance(model._meta.get_field(f), DateTimeField)}
    queryset = queryset.order_by().annotate(
        **{f"{field}_text": Cast(field, CharField()) for field in times}
    )
    query = queryset.values_list(*(f"{f}_text" if f in times else f for f in fields)).query
    with connection.cursor() as cursor:
        cursor.execute(*query.sql_with_params())
        rows = cursor.fetchall()
    if not times:
        return rows
    at = [n for n, field in enumerate(fields) if field in times]
    found = []
    for row in rows:
        values = list(row)
        for n in at:
            values[n] = _utc(values[n])
        found.append(tuple(values))
    return found


def _utc(text: str | None) -> dt.datetime | None:
    """A date-time as the database writes it as text ("2026-01-19 09:35:20.905615", with
    "+00" on PostgreSQL), as naive UTC."""
    if text is None:
        return None
    if text.endswith("+00"):  # UTC, as Django's connections have it: parsed naive (faster)
        return dt.datetime.fromisoformat(text[:-3])
    value = dt.datetime.fromisoformat(text)
    offset = value.utcoffset()
    return value if offset is None else (value - offset).replace(tzinfo=None)


def _utc_bounds(months: list[dt.date]) -> list[dt.datetime]:
    """The instant each month begins in the current time zone, as naive UTC."""
    zone = timezone.get_current_timezone()
    return [
        dt.datetime.combine(month, dt.time.min, tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
        for month in months
    ]


def _alarm_times(
    area: str, start: dt.date, end: dt.date, generations: dict[str, int]
) -> dict[str, Any]:
    """From one read of the severity and two timestamps of the area's alarms raised in the
    period: the acknowledgement times' median and 90th percentile (the overview), alarms per
    severity and month and by time to acknowledge (the charts). One cached unit, shared by
    the overview and the charts; the differences and months are worked out here (in SQL on
    SQLite each would be a Python function call per row)."""
    low, high = _window(start, end)
    months = _months(start, end)

    def compute(done: dict[str, Any]) -> dict[str, Any]:
        raised = Alarm.objects.filter(
            under_prefix("region_code", area), raised_at__gte=low, raised_at__lt=high
        )
        rows = _raw(raised, "severity", "raised_at", "acknowledged_at")
        waits = sorted(acknowledged - at for _s, at, acknowledged in rows if acknowledged)
        return {**_alarm_charts(rows, months), "percentiles": _percentiles(waits)}

    units = {"times": (SOURCE_TABLES["alarms"], compute)}
    return Figures("alarm_times", area, start, end, generations).fetch(units)["times"]


def _percentiles(waits: list[dt.timedelta]) -> dict[str, int | None]:
    """Median and 90th percentile (nearest rank) of ``waits`` (sorted), in seconds."""
    count = len(waits)
    if not count:
        return {"ack_median_seconds": None, "ack_p90_seconds": None}
    middle = (count - 1) // 2
    median_values = waits[middle : middle + (2 if count % 2 == 0 else 1)]
    p90_rank = max(-(-9 * count // 10) - 1, 0)  # ceil(0.9 n) - 1, zero-based
    median = round(sum(w.total_seconds() for w in median_values) / len(median_values))
    return {"ack_median_seconds": median, "ack_p90_seconds": round(waits[p90_rank].total_seconds())}


def overview(*, area: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Every dashboard figure of the region prefix ``area`` (6, 9 or 12 digits) over
    [start, end], as a flat dict: the keys of :data:`ADDITIVE`, plus ``visit_rate`` (percent
    of the elderly due a monthly visit who had one in the month of ``end``, None if nobody was
    due), ``visit_target``, ``ack_median_seconds``, ``ack_p90_seconds`` and ``cases_by_stage``.
    """
    cached = Figures("overview", area, start, end)
    units: dict[str, tuple[tuple[str, ...], Any]] = {}
    sources = _sources(start, end)
    for name, build in sources.items():
        if CHILD_LEVEL.get(len(area)):
            # A district's or township's totals are its breakdown's rows added up (exact:
            # every figure here is a count or a sum); counted once for both.
            def total(done: dict[str, Any], name: str = name) -> dict[str, Any]:
                rows = _rows(area, start, end, cached.generations, sources, [name])[name]
                return _summed(rows, sources[name]().aggregates)
        else:

            def total(done: dict[str, Any], build=build) -> dict[str, Any]:
                return _totals(build(), area)

        units[name] = (SOURCE_TABLES[name], total)

    def visit_rate(done: dict[str, Any]) -> dict[str, Any]:
        found = _visit_rates(area, end, cached.generations).values()
        due, visited = sum(due for due, _ in found), sum(visited for _, visited in found)
        return {
            "elderly_visit_due": due,
            "elderly_visited": visited,
            "visit_rate": elderly_visits.RateRow(None, due, visited).rate,
        }

    units["visit_rate"] = (VISIT_RATE_TABLES, visit_rate)
    units["ack"] = (
        SOURCE_TABLES["alarms"],
        lambda done: _alarm_times(area, start, end, cached.generations)["percentiles"],
    )
    figures: dict[str, Any] = {}
    for found in cached.fetch(units).values():
        figures.update(found)
    _add_whole_months(figures)
    figures["visit_target"] = elderly_visits.TARGET_RATE
    figures["cases_by_stage"] = {stage: figures[f"cases_{stage}"] for stage in Stage.values}
    return figures


def _visit_rates(
    area: str, month: dt.date, generations: dict[str, int]
) -> dict[str, tuple[int, int]]:
    """(due, visited) of the elderly monthly visit rate per child region of ``area`` (the
    area's own level under "000"; a village: itself) in ``month``, shared by the overview and
    the breakdown as one cached unit. After a visit it is recounted from who is due (its own
    unit, kept while visits come in) and who had an elderly-care visit (one range of the
    VisitedMonth tally)."""
    length = len(area) + 3 if CHILD_LEVEL.get(len(area)) else len(area)
    first, last = elderly_visits.month_bounds(month)

    def due(done: dict[str, Any]) -> dict[str, list[int]]:
        return elderly_visits.monthly_due(area=area, length=length, month=month)

    def rates(done: dict[str, Any]) -> dict[str, tuple[int, int]]:
        # Read from the cache only here: a page whose rates are cached never loads the list.
        found = Figures("visit_due", area, first, last, generations).fetch(
            {"due": (("elderly_elderlyprofile", "people_person"), due)}
        )
        # Tens of thousands of ids: read straight off the cursor, not row by row through
        # the queryset's iterator (half the time of this unit on SQLite).
        found_visited = VisitedMonth.objects.filter(under_prefix("region_id", area), month=first)
        visited = {person for (person,) in _raw(found_visited, "person_id")}
        return elderly_visits.count_visited(found["due"], visited)

    units = {"rates": (VISIT_RATE_TABLES, rates)}
    return Figures("visit_rate", area, first, last, generations).fetch(units)["rates"]


def _rows(
    area: str,
    start: dt.date,
    end: dt.date,
    generations: dict[str, int],
    sources: dict[str, Callable[[], Source]],
    names: list[str],
) -> dict[str, list[dict[str, Any]]]:
    """The figures of the sources ``names`` per child region of ``area`` ("row": the child's
    prefix), one cached unit each, shared by the overview (which adds them up) and the
    breakdown."""
    length = len(area) + 3
    units = {
        name: (
            SOURCE_TABLES[name],
            lambda done, build=sources[name]: list(_grouped(build(), area, length)),
        )
        for name in names
    }
    return Figures("rows", area, start, end, generations).fetch(units)


# Figures that are sums of money: Decimal, also when there is nothing to add up.
DECIMAL_FIGURES = frozenset({"resource_links_value"})


def _summed(rows: list[dict[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    """One source's rows (:func:`_rows`) added up: its figures ``keys`` for the whole area."""
    totals = {key: ZERO if key in DECIMAL_FIGURES else 0 for key in keys}
    for row in rows:
        for key in totals:
            totals[key] += row[key]
    return totals


def _totals(source: Source, area: str) -> dict[str, Any]:
    return source.queryset.filter(under_prefix(source.path, area)).aggregate(**source.aggregates)


def _grouped(source: Source, area: str, length: int):
    return (
        source.queryset.filter(under_prefix(source.path, area))
        .annotate(row=Substr(source.path, 1, length))
        .order_by()
        .values("row")
        .annotate(**source.aggregates)
    )


def breakdown(*, area: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """One row per child region of ``area`` (``code``, ``name``, ``level``, ``own=False`` and
    every :data:`ADDITIVE` figure), and a row ``own=True`` for the records of the area's own
    level (a district's own centre, a township's own station) when it has any. For each
    additive key the rows add up exactly to :func:`overview` of the area. A village → []."""
    level = CHILD_LEVEL.get(len(area))
    if level is None:
        return []
    own_code = area.ljust(12, "0")
    length = len(area) + 3
    own_key = area.ljust(length, "0")
    cached = Figures("breakdown", area, start, end)
    units: dict[str, tuple[tuple[str, ...], Any]] = {
        "region_list": (
            ("regions_region",),
            lambda done: list(
                Region.objects.filter(Q(under_prefix("code", area), level=level) | Q(code=own_code))
                .order_by("code")
                .values("code", "name", "level")
            ),
        )
    }

    def rates(done: dict[str, Any]) -> dict[str, tuple[int, int]]:
        # Grouped by region prefix: the area's own level groups under "000", as here.
        return _visit_rates(area, end, cached.generations)

    units["visit_rates"] = (VISIT_RATE_TABLES, rates)
    done = cached.fetch(units)
    done.update(_rows(area, start, end, cached.generations, _sources(start, end), [*SOURCE_TABLES]))
    found_regions = done["region_list"]
    children = [r for r in found_regions if r["code"] != own_code]
    own_region = next(
        (r for r in found_regions if r["code"] == own_code),
        {"code": own_code, "name": "", "level": LEVEL_OF_LENGTH[len(area)]},
    )
    rows: dict[str, dict[str, Any]] = {}

    def row(key: str, region: dict[str, Any] | None, own: bool) -> dict[str, Any]:
        blank: dict[str, Any] = dict.fromkeys(ADDITIVE, 0)
        blank["resource_links_value"] = ZERO
        return {
            "code": region["code"] if region else key.ljust(12, "0"),
            "name": region["name"] if region else key,
            "level": region["level"] if region else LEVEL_OF_LENGTH.get(length, ""),
            "own": own,
            **blank,
        }

    for region in children:
        rows[region["code"][:length]] = row(region["code"][:length], region, False)
    rows[own_key] = row(own_key, own_region, True)
    rows[own_key]["name"] = _("%(name)s (own level)") % {"name": own_region["name"] or area}
    for name in SOURCE_TABLES:
        for found in done[name]:
            found = dict(found)
            key = found.pop("row")
            if key not in rows:
                rows[key] = row(key, None, False)
            rows[key].update(found)
    for key, found in rows.items():
        _add_whole_months(found)
        due, visited = done["visit_rates"].get(key, (0, 0))
        found["elderly_visit_due"] = due
        found["elderly_visited"] = visited
    own = rows[own_key]
    if not any(own[key] for key in ADDITIVE):
        del rows[own_key]
    return list(rows.values())


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = _month_after(month)
    return months


def _month_of(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def _per_month(queryset: QuerySet, field: str, months: list[dt.date]) -> list[int]:
    counts = dict.fromkeys(months, 0)
    grouped = (
        queryset.annotate(month=TruncMonth(field))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
    )
    for found in grouped:
        counts[_month_of(found["month"])] = found["n"]
    return [counts[month] for month in months]


SERIES_SOURCES = ("colours", "visits", "alarms", "elderly", "activities")
SERIES_TABLES = tuple(
    sorted({"regions_region"}.union(*(SOURCE_TABLES[name] for name in SERIES_SOURCES)))
)


def series(*, area: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Chart data of the area and period (a fixed number of grouped queries), one cached unit
    per chart so that a new visit recounts the visits per month only:

    - ``months``: the months of the period, "YYYY-MM";
    - ``colour_cards``: ``regions`` (code, name: the child regions, or the village itself) and
      per colour a list of counts in the same order (stacked bars);
    - ``visits_per_month``, ``activities_per_month``: counts per month;
    - ``alarms_per_month``: per severity a list of counts per month (alarms raised);
    - ``ack_buckets``: alarms raised in the period by time to acknowledge (key, label, count);
    - ``ability_levels``: elderly files per assessed ability level (level "" = not assessed).
    """
    months = _months(start, end)
    sources = _sources(start, end)
    cached = Figures("series", area, start, end)
    level = CHILD_LEVEL.get(len(area))
    length = len(area) + 3 if level else 12

    def regions(done: dict[str, Any]) -> list[dict[str, str]]:
        found = (
            Region.objects.filter(under_prefix("code", area), level=level)
            if level
            else Region.objects.filter(code=area.ljust(12, "0"))
        )
        return list(found.order_by("code").values("code", "name"))

    def colours(done: dict[str, Any]) -> dict[str, dict[str, int]]:
        grouped = _grouped(sources["colours"](), area, length)
        return {found.pop("row"): found for found in grouped}

    def visits(done: dict[str, Any]) -> list[int]:
        # Whole months from the month tally; the days at either end summed per day in SQL
        # and per month here (truncating each row to its month in SQL costs a function
        # call per row on SQLite).
        whole = (
            VisitMonth.objects.filter(
                under_prefix("region_id", area), month__range=_whole_months(start, end)
            )
            .order_by()
            .values_list("month")
            .annotate(n=Sum("visit_count"))
        )
        per_day = (
            VisitDay.objects.filter(
                under_prefix("region_id", area), day__range=_day_span(start, end)
            )
            .order_by()
            .values_list("day")
            .annotate(n=Sum("visit_count"))
        )
        first, last = _whole_months(start, end)
        counts = dict.fromkeys(months, 0)
        for month, n in whole:
            counts[month] += n
        for day, n in per_day:
            if start <= day <= end and not first <= day.replace(day=1) <= last:
                counts[_month_of(day)] += n
        return [counts[month] for month in months]

    def alarms(done: dict[str, Any]) -> dict[str, Any]:
        found = _alarm_times(area, start, end, cached.generations)
        return {"per_severity": found["per_severity"], "ack": found["ack"]}

    def ability(done: dict[str, Any]) -> dict[str, int]:
        return dict(
            ElderlyProfile.objects.filter(under_prefix("person__region_id", area))
            .order_by()
            .values_list("level")
            .annotate(n=Count("pk"))
        )

    def activities(done: dict[str, Any]) -> list[int]:
        found = sources["activities"]().queryset.filter(under_prefix("region_id", area))
        return _per_month(found, "date", months)

    units: dict[str, tuple[tuple[str, ...], Any]] = {
        "regions": (("regions_region",), regions),
        "colours": (SOURCE_TABLES["colours"], colours),
        "visits": (SOURCE_TABLES["visits"], visits),
        "alarms": (SOURCE_TABLES["alarms"], alarms),
        "ability": (SOURCE_TABLES["elderly"], ability),
        "activities": (SOURCE_TABLES["activities"], activities),
    }
    done = cached.fetch(units)

    by_region = done["colours"]
    colour_cards: dict[str, Any] = {"regions": done["regions"]}
    for colour in Colour.values:
        colour_cards[colour] = [
            by_region.get(r["code"][:length], {}).get(f"colour_{colour}", 0)
            for r in done["regions"]
        ]
    labels = {
        "under_5m": _("Under 5 minutes"),
        "under_15m": _("5 to 15 minutes"),
        "under_1h": _("15 to 60 minutes"),
        "over_1h": _("Over an hour"),
        "unacknowledged": _("Not acknowledged"),
    }
    counts = done["alarms"]["ack"]
    per_severity = done["alarms"]["per_severity"]
    levels = done["ability"]
    return {
        "months": [month.strftime("%Y-%m") for month in months],
        "colour_cards": colour_cards,
        "visits_per_month": done["visits"],
        "alarms_per_month": per_severity,
        "severities": [{"key": value, "label": str(label)} for value, label in Severity.choices],
        "ack_buckets": [{"key": key, "label": labels[key], "count": counts[key]} for key in labels],
        "ability_levels": [
            {"level": value, "label": str(label), "count": levels.get(value, 0)}
            for value, label in [*AbilityLevel.choices, ("", _("Not assessed"))]
        ],
        "activities_per_month": done["activities"],
    }


def _alarm_charts(rows: list[tuple], months: list[dt.date]) -> dict[str, Any]:
    """Alarms per severity and month, and by time to acknowledge (disjoint buckets), from the
    (severity, raised, acknowledged) of each alarm raised in the period, in naive UTC."""
    per_severity = {severity: [0] * len(months) for severity in Severity.values}
    counts = dict.fromkeys([key for key, _limit in ACK_BUCKETS], 0)
    counts["over_1h"] = counts["unacknowledged"] = 0
    bounds = _utc_bounds(months)
    for severity, raised_at, acknowledged_at in rows:
        per_severity[severity][max(bisect.bisect_right(bounds, raised_at) - 1, 0)] += 1
        if acknowledged_at is None:
            counts["unacknowledged"] += 1
            continue
        wait = acknowledged_at - raised_at
        key = next((key for key, limit in ACK_BUCKETS if wait < limit), "over_1h")
        counts[key] += 1
    return {
        "per_severity": per_severity,
        "ack": counts,
    }
