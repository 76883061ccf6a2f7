""" "My work" as .xlsx (``?export=xlsx``): every item the page lists, one row each, under the
heading of its section (overdue, due soon, approvals, later tasks, the programmes' overdue
orders, checks and visits, the user's open cases). Only what the page shows: names, never an
ID number or a phone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shegong import exports

from .selectors import MyWork


@dataclass(frozen=True)
class WorkRow:
    section: str
    what: str
    name: str
    detail: str = ""
    due: dt.date | None = None
    village: str = ""


def work_rows(
    work: MyWork,
    *,
    days: int,
    overdue_orders: list[Any],
    overdue_checks: list[Any],
    elderly_visits: list[Any] | None,
) -> list[WorkRow]:
    rows: list[WorkRow] = []
    due_soon = ngettext("Due in the next %(days)s day", "Due in the next %(days)s days", days) % {
        "days": days
    }
    for section, items in (
        (_("Overdue"), work.overdue),
        (due_soon, work.upcoming),
        (_("Waiting for your approval"), work.approvals),
        (_("Your later tasks"), work.later_tasks),
    ):
        rows += [
            WorkRow(section, item.label(), item.person_name, item.title, item.due) for item in items
        ]
    section = _("Overdue service orders (elderly care)")
    rows += [
        WorkRow(section, o.get_kind_display(), o.person.name, "", o.due_on, o.person.region.name)
        for o in overdue_orders
    ]
    section = _("Overdue guardianship order checks")
    rows += [
        WorkRow(
            section,
            c.order.get_kind_display(),
            c.order.referral.minor_name,
            c.order.referral.case_number,
            c.due_on,
        )  # fmt: skip
        for c in overdue_checks
    ]
    section = _("Elderly visits due")
    rows += [
        WorkRow(section, _("Visit"), p.person.name, "", p.next_visit_due, p.person.region.name)
        for p in elderly_visits or []
    ]
    section = _("Your open cases")
    rows += [
        WorkRow(
            section,
            case.get_programme_display(),
            case.person.name,
            case.get_stage_display(),
            None,
            case.person.region.name,
        )  # fmt: skip
        for case in work.cases
    ]
    return rows


def work_columns() -> list[exports.Column]:
    return [
        exports.Column(_("section"), lambda r: r.section, width=24),
        exports.Column(_("what"), lambda r: r.what, width=16),
        exports.Column(_("name"), lambda r: r.name, width=12),
        exports.Column(_("village"), lambda r: r.village),
        exports.Column(_("details"), lambda r: r.detail, width=28),
        exports.Column(_("due"), lambda r: r.due, width=12),
    ]
