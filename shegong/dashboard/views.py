"""The home dashboard: every figure of the user's area (or of a township or village in it) for a
period, grouped by programme, with charts, a row per township or village that opens the same
dashboard one level down, and (for staff, never for viewers) a link from each figure — card or
table cell — to the list behind it, filtered so that the list counts the figure. The numbers all
come from :mod:`shegong.dashboard.figures`."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.accounts import scope
from shegong.casework.models import Stage
from shegong.community.forms_activities import PeriodForm
from shegong.community.models import ActivityStatus
from shegong.regions.models import Region

from . import figures, selectors


@dataclass
class Card:
    key: str
    label: str
    value: Any
    url: str = ""
    note: str = ""


@dataclass
class Group:
    key: str
    label: str
    cards: list[Card] = field(default_factory=list)


@functools.lru_cache(maxsize=64)
def _path(name: str, script_prefix: str) -> str:
    """The list's address (no arguments), reversed once: a dashboard links ~150 cells."""
    return reverse(name)


class _Lists:
    """The address of the list behind a figure, filtered so that the list's count is the
    figure: the area as ``region``, and for a figure of the period its dates (``from``/``to``)
    with the status or stage the figure counts. None at all for a user who may not open lists
    (a viewer sees figures only). Pure URL building: no queries."""

    def __init__(self, area: str, start: dt.date, end: dt.date, *, enabled: bool) -> None:
        self.area = area
        self.start, self.end = start, end
        # A district-wide list needs no region filter (the list is scoped to the user anyway).
        self.region = area if len(area) > 6 else ""
        self.period = {"from": start.isoformat(), "to": end.isoformat()}
        self.enabled = enabled

    def at(self, region: str) -> _Lists:
        """The same lists for a row of the breakdown table (a township or village prefix)."""
        return _Lists(region, self.start, self.end, enabled=self.enabled)

    def url(self, name: str, **params: Any) -> str:
        if not self.enabled:
            return ""
        query = urlencode({k: v for k, v in params.items() if v})
        path = _path(name, get_script_prefix())
        return f"{path}?{query}" if query else path

    def coverage(self, *, gaps: bool = False) -> str:
        township = self.region[:9].ljust(12, "0") if self.region else ""
        return self.url("regions:coverage", township=township, gaps="1" if gaps else "")

    def people(self, category: str) -> str:
        # The figures count active people only.
        return self.url("people:list", category=category, region=self.region, status="active")

    def children(self, colour: str = "") -> str:
        return self.url("children:list", colour=colour, region=self.region)

    def elderly(self, level: str = "", *, special: bool = False) -> str:
        return self.url(
            "elderly:list", level=level, region=self.region, special="1" if special else ""
        )

    def visit_rates(self) -> str:
        return self.url("elderly:visits", region=self.region, month=self.end.strftime("%Y-%m"))

    def visits(self, *, this_month: bool = False) -> str:
        start = self.end.replace(day=1) if this_month else self.start
        return self.url(
            "casework:visits",
            region=self.region,
            **{"from": start.isoformat()},
            to=self.end.isoformat(),
        )

    def alarms(self, status: str = "", *, in_period: bool = False) -> str:
        period = self.period if in_period else {}
        return self.url("devices:board", status=status, region=self.region, **period)

    def orders(self) -> str:
        return self.url("elderly:orders", region=self.region, **self.period)

    def cases(self, stage: str) -> str:
        """Open cases at ``stage`` (as of now), or with ``opened`` / ``closed`` the cases
        opened / closed in the period."""
        if stage == "opened":
            return self.url("casework:cases", stage="all", region=self.region, **self.period)
        if stage == Stage.CLOSED:
            return self.url(
                "casework:cases", stage=stage, dates="closed", region=self.region, **self.period
            )
        return self.url("casework:cases", stage=stage, region=self.region)

    def activities(self) -> str:
        return self.url(
            "community:activities", status=ActivityStatus.CLOSED, region=self.region, **self.period
        )

    def volunteers(self, registered: str = "") -> str:
        return self.url(
            "community:volunteers",
            registered=registered,
            region=self.region,
            active="1",
            to=self.period["to"],
        )

    def links(self) -> str:
        return self.url("community:links", region=self.region, **self.period)

    def column(self, key: str) -> str:
        """The list behind a column of the breakdown table, for this row's region."""
        if key in COVERAGE:
            # The coverage page narrows to a township, not a village.
            return self.coverage(gaps=key == "staffing_gaps") if len(self.area) == 9 else ""
        if key.startswith("colour_"):
            return self.children(key.removeprefix("colour_"))
        found = {
            "children_special": lambda: self.people("children_in_difficulty"),
            "elderly_special": lambda: self.elderly(special=True),
            "visits": self.visits,
            "alarms_open": lambda: self.alarms("unacknowledged"),
            "service_orders": self.orders,
            "cases_opened": lambda: self.cases("opened"),
            "activities_held": self.activities,
            "person_times": self.activities,
            "volunteers": self.volunteers,
        }.get(key)
        return found() if found else ""


# Colour cards: (value, label, the colour of its bars in the chart).
COLOURS = (
    ("red", gettext_lazy("Red cards"), "#dc3545"),
    ("orange", gettext_lazy("Orange cards"), "#fd7e14"),
    ("blue", gettext_lazy("Blue cards"), "#0d6efd"),
)

GROUPS = (
    ("coverage", gettext_lazy("Coverage")),
    ("minors", gettext_lazy("Minors")),
    ("elderly", gettext_lazy("Elderly")),
    ("alarms", gettext_lazy("Alarms")),
    ("casework", gettext_lazy("Casework and visits")),
    ("community", gettext_lazy("Community")),
)

# The columns of the per-township/village table (additive figures: the rows add up).
COLUMNS = (
    ("stations", gettext_lazy("stations")),
    ("staff", gettext_lazy("staff")),
    ("staffing_gaps", gettext_lazy("staffing gaps")),
    ("colour_red", gettext_lazy("red cards")),
    ("colour_orange", gettext_lazy("orange cards")),
    ("colour_blue", gettext_lazy("blue cards")),
    ("children_special", gettext_lazy("children in difficulty")),
    ("elderly_special", gettext_lazy("elderly in difficulty")),
    ("visits", gettext_lazy("visits")),
    ("alarms_open", gettext_lazy("open alarms")),
    ("service_orders", gettext_lazy("service orders")),
    ("cases_opened", gettext_lazy("cases opened")),
    ("activities_held", gettext_lazy("activities")),
    ("person_times", gettext_lazy("person-times")),
    ("volunteers", gettext_lazy("volunteers")),
)


# Columns counted from the coverage page (a township's stations and staff), not from records.
COVERAGE = frozenset({"stations", "staff", "staffing_gaps"})


def _minutes(seconds: int | None) -> str:
    return "—" if seconds is None else _("%(n)s min") % {"n": round(seconds / 60, 1)}


def _percent(rate: int | None) -> str:
    return "—" if rate is None else f"{rate}%"


def _groups(found: dict[str, Any], lists: _Lists) -> list[Group]:
    """The figure cards, grouped by programme; each links to the list behind it (if any)."""
    stages = dict(Stage.choices)
    open_stages = [stage for stage in Stage.values if stage != Stage.CLOSED]
    cards = {
        "coverage": [
            Card("stations", _("Stations"), found["stations"], lists.coverage()),
            Card("townships", _("Townships"), found["townships"]),
            Card("villages", _("Villages"), found["villages"]),
            Card("staff", _("Station staff"), found["staff"], lists.coverage()),
            Card(
                "staffing_gaps", _("Staff positions missing"), found["staffing_gaps"],
                lists.coverage(gaps=True),
            ),
        ],
        "minors": [
            *(
                Card(f"colour_{c}", str(label), found[f"colour_{c}"], lists.children(c))
                for c, label, _colour in COLOURS
            ),
            Card(
                "children_special", _("Children in difficulty"), found["children_special"],
                lists.people("children_in_difficulty"), _("including orphans"),
            ),
            Card(
                "children_left_behind", _("Left-behind children"), found["children_left_behind"],
                lists.people("left_behind_children"),
            ),
        ],
        "elderly": [
            Card(
                "elderly_special", _("Elderly in special difficulty"), found["elderly_special"],
                lists.elderly(special=True),
            ),
            Card(
                "visit_rate", _("Visit rate this month"), _percent(found["visit_rate"]),
                lists.visit_rates(),
                _("%(visited)s of %(due)s due; target %(target)s%%") % {
                    "visited": found["elderly_visited"], "due": found["elderly_visit_due"],
                    "target": found["visit_target"],
                },
            ),
            Card("service_orders", _("Service orders"), found["service_orders"], lists.orders()),
        ],
        "alarms": [
            Card(
                "alarms_open", _("Alarms not acknowledged"), found["alarms_open"],
                lists.alarms("unacknowledged"),
            ),
            Card(
                "alarms_unresolved", _("Alarms not resolved"), found["alarms_unresolved"],
                lists.alarms("unresolved"),
            ),
            Card(
                "alarms_in_period", _("Alarms raised"), found["alarms_in_period"],
                lists.alarms(in_period=True),
            ),
            Card(
                "ack_median_seconds", _("Median time to acknowledge"),
                _minutes(found["ack_median_seconds"]), "",
                _("90%% within %(time)s") % {"time": _minutes(found["ack_p90_seconds"])},
            ),
        ],
        "casework": [
            Card("visits", _("Visits"), found["visits"], lists.visits()),
            Card(
                "visits_this_month", _("Visits this month"), found["visits_this_month"],
                lists.visits(this_month=True),
            ),
            Card("cases_opened", _("Cases opened"), found["cases_opened"], lists.cases("opened")),
            *(
                Card(
                    f"cases_{stage}", _("Open cases: %(stage)s") % {"stage": stages[stage]},
                    found[f"cases_{stage}"], lists.cases(stage),
                )
                for stage in open_stages
            ),
            Card("cases_closed", _("Cases closed"), found["cases_closed"], lists.cases("closed")),
        ],
        "community": [
            Card(
                "activities_held", _("Activities held"), found["activities_held"],
                lists.activities(),
            ),
            Card(
                "person_times", _("Beneficiaries (person-times)"), found["person_times"],
                lists.activities(),
            ),
            Card(
                "volunteers", _("Volunteers"), found["volunteers"], lists.volunteers(),
                _("of whom %(n)s registered") % {"n": found["volunteers_registered"]},
            ),
            Card(
                "resource_links", _("Resource links"), found["resource_links"], lists.links(),
                _("worth %(value)s yuan") % {"value": found["resource_links_value"]},
            ),
        ],
    }  # fmt: skip
    # A township counts itself as one township, a village itself as one village: not shown.
    hidden = {"townships"} if len(lists.area) > 6 else set()
    hidden |= {"villages"} if len(lists.area) > 9 else set()
    cards["coverage"] = [card for card in cards["coverage"] if card.key not in hidden]
    return [Group(key, str(label), cards[key]) for key, label in GROUPS]


def _period(request: HttpRequest) -> tuple[PeriodForm, dt.date, dt.date]:
    """?from=&to=, this month so far by default; a bad date is shown on its field."""
    today = timezone.localdate()
    start, end = today.replace(day=1), today
    data = request.GET.copy()
    for name, default in (("from", start), ("to", end)):
        if not data.get(name):
            data[name] = default.isoformat()
    form = PeriodForm(data)
    if form.is_valid():
        start, end = form.cleaned_data["from"], form.cleaned_data["to"]
    return form, start, end


def _trail(home: str, area: str) -> list[Region]:
    """The regions from the user's own area down to the one shown (district → township →
    village), for the breadcrumb."""
    prefixes = [p for p in (area[:6], area[:9], area[:12]) if len(home) <= len(p) <= len(area)]
    prefixes = list(dict.fromkeys(prefixes))
    found = Region.objects.filter(code__in=[p.ljust(12, "0") for p in prefixes]).order_by("code")
    return [region for region in found if region.prefix in prefixes]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not scope.can_see_aggregates(request.user):
        raise Http404
    chosen = request.GET.get("region", "").strip()
    home = selectors.area_for(request.user, None)
    area = selectors.area_for(request.user, chosen) if chosen else home
    form, start, end = _period(request)
    lists = _Lists(area, start, end, enabled=scope.can_read_registry(request.user))
    found = figures.overview(area=area, start=start, end=end)
    period = urlencode({"from": start.isoformat(), "to": end.isoformat()})
    rows = []
    for row in figures.breakdown(area=area, start=start, end=end):
        prefix = row["code"][: len(area) + 3]
        # The own level's row ("…000") lists the records of the area's own station.
        row_lists = lists.at(prefix)
        rows.append(
            {
                "row": row,
                "cells": [
                    {
                        "value": row.get(key, ""),
                        "url": "" if row["own"] and key in COVERAGE else row_lists.column(key),
                    }
                    for key, _label in COLUMNS
                ],
                "drill": "" if row["own"] else f"?region={prefix}&{period}",
            }
        )
    trail = _trail(home, area)
    context = {
        "area": area,
        "place": trail[-1] if trail else None,
        "trail": trail[:-1],
        "form": form,
        "start": start,
        "end": end,
        "period": period,
        "chosen": chosen,
        "groups": _groups(found, lists),
        "columns": [str(label) for _key, label in COLUMNS],
        "rows": rows,
        "per_village": len(area) >= 9,
        "charts": _charts(
            figures.series(area=area, start=start, end=end),
            per_village=len(area) >= 9,
            lists=lists,
            period=period,
        ),
    }
    return render(request, "dashboard/dashboard.html", context)


def _chart(
    id: str, title: Any, kind: str, categories: list, series: list[dict], links: Sequence[str] = ()
) -> dict:
    """``links``: per category, where a click on its bar or slice leads ("" for nowhere)."""
    return {
        "id": id,
        "title": str(title),
        "type": kind,
        "categories": categories,
        "series": series,
        "links": list(links) if any(links) else [],
        "empty": _("No data."),
    }


def _month_lists(lists: _Lists, months: list[str]) -> list[_Lists]:
    """The lists of each month ("YYYY-MM") of the charts, cut to the period."""
    found = []
    for month in months:
        first = dt.date.fromisoformat(f"{month}-01")
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        found.append(
            _Lists(lists.area, max(first, lists.start), min(last, lists.end), enabled=lists.enabled)
        )
    return found


SEVERITY_COLOURS = {"critical": "#dc3545", "high": "#fd7e14", "medium": "#ffc107", "low": "#6c757d"}


def _charts(found: dict[str, Any], *, per_village: bool, lists: _Lists, period: str) -> list[dict]:
    """The chart specs that static/js/dashboard.js draws: figures.series() reshaped (never
    recounted) into categories and named series. A chart without data is still drawn, empty.
    A bar of a township or village opens its dashboard; for staff, a month's bar opens the
    list of that month and an ability level's slice the elderly of that level."""
    months = found["months"]
    cards = found["colour_cards"]
    per_month = _month_lists(lists, months)
    regions = [region["code"][: len(lists.area) + 3] for region in cards["regions"]]
    return [
        _chart(
            "colours",
            _("Colour cards per village") if per_village else _("Colour cards per township"),
            "bar",
            [region["name"] for region in cards["regions"]],
            [
                {"name": str(label), "stack": "colour", "color": colour, "data": cards[key]}
                for key, label, colour in COLOURS
            ],
            [f"?region={prefix}&{period}" if len(lists.area) < 12 else "" for prefix in regions],
        ),
        _chart(
            "visits",
            _("Visits per month"),
            "bar",
            months,
            [{"name": _("Visits"), "data": found["visits_per_month"]}],
            [month.visits() for month in per_month],
        ),
        _chart(
            "alarms",
            _("Alarms per month by severity"),
            "bar",
            months,
            [
                {
                    "name": severity["label"],
                    "stack": "severity",
                    "color": SEVERITY_COLOURS.get(severity["key"]),
                    "data": found["alarms_per_month"][severity["key"]],
                }
                for severity in found["severities"]
            ],
            [month.alarms(in_period=True) for month in per_month],
        ),
        _chart(
            "ack",
            _("Alarms by time to acknowledge"),
            "bar",
            [bucket["label"] for bucket in found["ack_buckets"]],
            [{"name": _("Alarms"), "data": [bucket["count"] for bucket in found["ack_buckets"]]}],
        ),
        _chart(
            "levels",
            _("Elderly ability levels"),
            "pie",
            [level["label"] for level in found["ability_levels"]],
            [{"name": _("Elderly"), "data": [level["count"] for level in found["ability_levels"]]}],
            [lists.elderly(level["level"] or "none") for level in found["ability_levels"]],
        ),
        _chart(
            "activities",
            _("Activities per month"),
            "bar",
            months,
            [{"name": _("Activities held"), "data": found["activities_per_month"]}],
            [month.activities() for month in per_month],
        ),
    ]
