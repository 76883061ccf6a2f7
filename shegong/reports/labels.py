"""What the report shows of each programme: its figures (key, label, how the value reads) and
the additive figures of its per-township (per-village) table. Labels are lazy gettext with
English msgids, most of them the dashboard's own, so the files are in the requester's
language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from shegong.casework.models import Stage
from shegong.dashboard.views import COLOURS, GROUPS
from shegong.elderly.models import OrderStatus

# How a figure reads: a count, a percentage, minutes from seconds, an amount of yuan.
COUNT, PERCENT, MINUTES, YUAN = "count", "percent", "minutes", "yuan"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str | Promise
    kind: str = COUNT


@dataclass(frozen=True)
class Programme:
    key: str
    label: str | Promise
    figures: tuple[Figure, ...]
    # Additive figures (figures.ADDITIVE) shown per township or village, with a total row.
    columns: tuple[str, ...]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


_GROUP_LABELS = dict(GROUPS)
_OPEN_STAGES = [(value, label) for value, label in Stage.choices if value != Stage.CLOSED]


def _interpolated(template: Promise, **params: Any) -> Promise:
    """``template % params``, translated when shown, not when the module is imported."""
    return lazy(lambda: str(template) % {k: str(v) for k, v in params.items()}, str)()


def _open_cases(stage_label: Promise) -> Promise:
    return _interpolated(gettext_lazy("Open cases: %(stage)s"), stage=stage_label)


def _orders(status_label: Promise) -> Promise:
    return _interpolated(gettext_lazy("Service orders: %(status)s"), status=status_label)


PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "coverage",
        _GROUP_LABELS["coverage"],
        (
            Figure("stations", gettext_lazy("Stations")),
            Figure("townships", gettext_lazy("Townships")),
            Figure("villages", gettext_lazy("Villages")),
            Figure("staff", gettext_lazy("Station staff")),
            Figure("staffing_gaps", gettext_lazy("Staff positions missing")),
        ),
        ("stations", "villages", "staff", "staffing_gaps"),
    ),
    Programme(
        "minors",
        _GROUP_LABELS["minors"],
        (
            *(Figure(f"colour_{value}", label) for value, label, _colour in COLOURS),
            Figure("children_special", gettext_lazy("Children in difficulty")),
            Figure("children_left_behind", gettext_lazy("Left-behind children")),
        ),
        (
            "colour_red",
            "colour_orange",
            "colour_blue",
            "children_special",
            "children_left_behind",
        ),
    ),
    Programme(
        "elderly",
        _GROUP_LABELS["elderly"],
        (
            Figure("elderly_special", gettext_lazy("Elderly in special difficulty")),
            Figure("elderly_visit_due", gettext_lazy("Elderly due a monthly visit")),
            Figure("elderly_visited", gettext_lazy("Elderly visited in the month")),
            Figure("visit_rate", gettext_lazy("Monthly visit rate"), PERCENT),
            Figure("visit_target", gettext_lazy("Visit rate target"), PERCENT),
            Figure("service_orders", gettext_lazy("Service orders")),
            *(Figure(f"orders_{value}", _orders(label)) for value, label in OrderStatus.choices),
        ),
        (
            "elderly_special",
            "elderly_visit_due",
            "elderly_visited",
            "service_orders",
            *(f"orders_{value}" for value in OrderStatus.values),
        ),
    ),
    Programme(
        "alarms",
        _GROUP_LABELS["alarms"],
        (
            Figure("alarms_in_period", gettext_lazy("Alarms raised")),
            Figure("alarms_acknowledged", gettext_lazy("Alarms raised and acknowledged")),
            Figure("alarms_open", gettext_lazy("Alarms not acknowledged")),
            Figure("alarms_unresolved", gettext_lazy("Alarms not resolved")),
            Figure("ack_median_seconds", gettext_lazy("Median time to acknowledge"), MINUTES),
            Figure("ack_p90_seconds", gettext_lazy("90th percentile time to acknowledge"), MINUTES),
        ),
        ("alarms_in_period", "alarms_acknowledged", "alarms_open", "alarms_unresolved"),
    ),
    Programme(
        "casework",
        _GROUP_LABELS["casework"],
        (
            Figure("visits", gettext_lazy("Visits")),
            Figure("cases_opened", gettext_lazy("Cases opened")),
            *(Figure(f"cases_{value}", _open_cases(label)) for value, label in _OPEN_STAGES),
            Figure("cases_closed", gettext_lazy("Cases closed")),
        ),
        (
            "visits",
            "cases_opened",
            *(f"cases_{value}" for value, _label in _OPEN_STAGES),
            "cases_closed",
        ),
    ),
    Programme(
        "community",
        _GROUP_LABELS["community"],
        (
            Figure("activities_held", gettext_lazy("Activities held")),
            Figure("person_times", gettext_lazy("Beneficiaries (person-times)")),
            Figure("volunteers", gettext_lazy("Volunteers")),
            Figure("volunteers_registered", gettext_lazy("Registered volunteers")),
            Figure("resource_links", gettext_lazy("Resource links")),
            Figure("resource_links_value", gettext_lazy("Value of resource links (yuan)"), YUAN),
        ),
        (
            "activities_held",
            "person_times",
            "volunteers",
            "volunteers_registered",
            "resource_links",
            "resource_links_value",
        ),
    ),
)

# The per-township (per-village) columns of each programme in the narrative: few enough for a
# portrait page.
BRIEF = {
    "coverage": ("stations", "staff", "staffing_gaps"),
    "minors": (
        "colour_red",
        "colour_orange",
        "colour_blue",
        "children_special",
        "children_left_behind",
    ),
    "elderly": ("elderly_special", "elderly_visit_due", "elderly_visited", "service_orders"),
    "alarms": ("alarms_in_period", "alarms_acknowledged", "alarms_open", "alarms_unresolved"),
    "casework": ("visits", "cases_opened", "cases_closed"),
    "community": ("activities_held", "person_times", "volunteers", "resource_links"),
}

# The unit column of the figure tables.
UNIT = {
    COUNT: "",
    PERCENT: "%",
    MINUTES: pgettext_lazy("unit", "min"),
    YUAN: pgettext_lazy("unit", "yuan"),
}


def shown(programme: Programme, area: str) -> tuple[Figure, ...]:
    """A township counts itself as one township, a village itself as one village: not shown
    (the dashboard's rule)."""
    hidden = {"townships"} if len(area) > 6 else set()
    hidden |= {"villages"} if len(area) > 9 else set()
    return tuple(f for f in programme.figures if f.key not in hidden)


def columns(programme: Programme, area: str) -> tuple[str, ...]:
    """The breakdown columns; villages per village would only count 1s."""
    if len(area) > 6:
        return tuple(key for key in programme.columns if key != "villages")
    return programme.columns


def column_label(key: str) -> str:
    for programme in PROGRAMMES:
        for found in programme.figures:
            if found.key == key:
                return str(found.label)
    return key


def number(figure: Figure, value: Any) -> Any:
    """The value as the workbook stores it: a number, or None when there is none."""
    if value is None:
        return None
    if figure.kind == MINUTES:
        return round(value / 60, 1)
    if isinstance(value, str) and figure.kind == YUAN:
        return Decimal(value)
    return value


def text(figure: Figure, value: Any) -> str:
    """The value as a sentence or table cell reads it: "—" when there is none."""
    found = number(figure, value)
    if found is None:
        return "—"
    if figure.kind == PERCENT:
        return f"{found}%"
    if figure.kind == MINUTES:
        return _("%(n)s min") % {"n": found}
    return str(found)


def month_label(month: dt.date) -> str:
    """「2025年5月」 in Chinese, "May 2025" in English: Django's own month format."""
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def report_title(region_name: str, month: dt.date) -> str:
    return _("%(region)s %(month)s monthly statistical report") % {
        "region": region_name,
        "month": month_label(month),
    }
