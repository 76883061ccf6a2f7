"""The community overview page: the figures of the user's area for a period, each leading to the
list behind it (staff only: viewers see figures, never lists of people), and a table per
township or village."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.regions.models import Level, Region

from . import overview as figures
from .forms_activities import PeriodForm
from .models import ActivityStatus, OrganisationKind


@dataclass
class Cell:
    key: str
    label: str
    value: Any
    url: str = ""
    note: str = ""


class _Lists:
    """The address of the list behind each figure, for a region prefix and the period; no
    address at all for a user who may not open lists (a viewer)."""

    def __init__(self, start: dt.date, end: dt.date, *, enabled: bool) -> None:
        self.period = {"from": start.isoformat(), "to": end.isoformat()}
        self.enabled = enabled

    def _url(self, name: str, **params: Any) -> str:
        if not self.enabled:
            return ""
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{reverse(name)}?{query}" if query else reverse(name)

    def organisations(self, kind: str, region: str, **flag: str) -> str:
        # The organisations that gave (or took part) in this area and period, wherever they
        # are based: what the figure counts.
        return self._url("community:organisations", kind=kind, area=region, **flag, **self.period)

    def professionals(self, region: str) -> str:
        return self._url("community:professionals", region=region)

    def volunteers(self, region: str, registered: str = "") -> str:
        return self._url(
            "community:volunteers",
            registered=registered,
            region=region,
            active="1",
            to=self.period["to"],
        )

    def activities(self, region: str) -> str:
        return self._url(
            "community:activities", status=ActivityStatus.CLOSED, region=region, **self.period
        )

    def links(self, region: str) -> str:
        return self._url("community:links", region=region, **self.period)


def _cards(found: figures.Figures, lists: _Lists, region: str) -> list[Cell]:
    registered = _("of whom %(n)s registered") % {"n": found.volunteers_registered}
    worth = _("worth %(value)s yuan") % {"value": found.links_value}
    kind = OrganisationKind
    return [
        Cell(
            "enterprises_linked",
            _("Social enterprises linked"),
            found.enterprises_linked,
            lists.organisations(kind.SOCIAL_ENTERPRISE, region, linked="1"),
        ),
        Cell(
            "charities_linked",
            _("Charity organisations linked"),
            found.charities_linked,
            lists.organisations(kind.CHARITY, region, linked="1"),
        ),
        Cell("professionals", _("Professionals"), found.professionals, lists.professionals(region)),
        Cell(
            "community_mobilised",
            _("Community organisations mobilised"),
            found.community_mobilised,
            lists.organisations(kind.COMMUNITY, region, mobilised="1"),
        ),
        Cell("volunteers", _("Volunteers"), found.volunteers, lists.volunteers(region), registered),
        Cell(
            "volunteers_registered",
            _("Registered volunteers"),
            found.volunteers_registered,
            lists.volunteers(region, "1"),
        ),
        Cell(
            "activities_held",
            _("Activities held"),
            found.activities_held,
            lists.activities(region),
        ),
        Cell(
            "person_times",
            _("Beneficiaries (person-times)"),
            found.person_times,
            lists.activities(region),
        ),
        Cell(
            "volunteer_hours",
            _("Volunteer hours (approved)"),
            found.volunteer_hours,
            lists.volunteers(region),
        ),
        Cell("visits", _("Visits"), found.visits),
        Cell("links", _("Resource links"), found.links, lists.links(region), worth),
    ]


def _row_cells(row: figures.Row, lists: _Lists) -> list[Cell]:
    """A row's figures; the area's own station has no list of its own (its region filter would
    take in every row below it)."""
    if row.own:
        lists = _Lists(dt.date.min, dt.date.min, enabled=False)
    region = row.region.prefix
    return [
        Cell("activities_held", "", row.activities_held, lists.activities(region)),
        Cell("person_times", "", row.person_times, lists.activities(region)),
        Cell(
            "volunteers",
            "",
            row.volunteers,
            lists.volunteers(region),
            str(row.volunteers_registered),
        ),
        Cell("volunteer_hours", "", row.volunteer_hours, lists.volunteers(region)),
        Cell("visits", "", row.visits),
        Cell("links", "", row.links, lists.links(region)),
    ]


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The figures of the user's area (or of one township or village in it, ``?region=``) for
    a period (``?from=&to=``, this year by default)."""
    if not scope.can_see_aggregates(request.user):
        raise Http404
    area = figures.overview_area(request.user)
    if not area:
        raise Http404
    chosen = request.GET.get("region", "").strip()
    if chosen:
        inside = any(chosen.startswith(p) for p in area)
        if not (chosen.isdigit() and len(chosen) in (6, 9, 12) and inside):
            raise Http404
        area = (chosen,)
    start, end = figures.this_year()
    data = request.GET.copy()
    for name, default in (("from", start), ("to", end)):
        if not data.get(name):
            data[name] = default.isoformat()
    form = PeriodForm(data)
    form.is_valid()  # a bad date is shown on its field; the default takes its place
    start = form.cleaned_data.get("from") or start
    end = form.cleaned_data.get("to") or end
    if start > end:
        end = dt.date(start.year, 12, 31)
    result = figures.community_overview(area=area, start=start, end=end)
    lists = _Lists(start, end, enabled=scope.can_read_registry(request.user))
    region = area[0] if len(area) == 1 else ""
    period = urlencode({"from": start.isoformat(), "to": end.isoformat()})
    rows = [
        {
            "row": row,
            "cells": _row_cells(row, lists),
            "drill": "" if row.own else f"?region={row.region.prefix}&{period}",
        }
        for row in result.rows
    ]
    context = {
        "overview": result,
        "form": form,
        "places": Region.objects.filter(code__in=[p.ljust(12, "0") for p in area]),
        "chosen": chosen,
        "cards": _cards(result.figures, lists, region),
        "rows": rows,
        "per_village": any(r.region.level == Level.VILLAGE for r in result.rows if not r.own),
        "period": period,
    }
    return render(request, "community/overview.html", context)
