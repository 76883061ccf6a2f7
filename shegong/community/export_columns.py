"""The columns of the community lists exported as .xlsx (``?export=xlsx``, see shegong.exports):
the library's organisations and professionals, resource links, volunteer tasks, training courses
and a volunteer's own tasks. Phones are written masked unless an unmasked export is asked for by
someone who may reveal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from shegong import exports
from shegong.people.crypto import mask_phone

from .models import Assignment, Organisation, ResourceLink

# The library's own filters, named in an exported workbook's title block.
LIBRARY_FILTER_LABELS: dict[str, Any] = {
    "linked": gettext_lazy("Linked"),
    "mobilised": gettext_lazy("Mobilised"),
    "area": gettext_lazy("area"),
    "profession": gettext_lazy("profession"),
    "organisation": gettext_lazy("organisation"),
    "professional": gettext_lazy("professional"),
}


def _phone(label: str, get: Callable[[Any], str]) -> exports.Column:
    return exports.Column(
        label, lambda row: mask_phone(get(row)), full=get, width=15, field="phone"
    )


def _township(region) -> str:
    return getattr(region.parent, "name", "") if region is not None else ""


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _incubation_stage(organisation: Organisation) -> str:
    try:
        return organisation.incubation.get_stage_display()
    except ObjectDoesNotExist:
        return ""


def organisation_columns() -> list[exports.Column]:
    return [
        exports.Column(pgettext("organisation", "name"), lambda o: o.name, width=28),
        exports.Column(_("kind"), lambda o: o.get_kind_display()),
        exports.Column(_("region"), lambda o: o.region.name),
        exports.Column(_("status"), lambda o: o.get_status_display(), width=8),
        exports.Column(_("links"), lambda o: o.links_count, width=8),
        exports.Column(_("unified social credit code"), lambda o: o.credit_code, width=20),
        exports.Column(_("contact person"), lambda o: o.contact_name, width=12),
        _phone(_("contact phone"), lambda o: o.contact_phone),
        exports.Column(_("services offered"), lambda o: o.services, width=30),
        exports.Column(_("service area"), lambda o: o.service_area, width=20),
        exports.Column(_("in the library since"), lambda o: o.joined_on, width=12),
        exports.Column(_("incubation"), _incubation_stage, width=12),
    ]


def professional_columns() -> list[exports.Column]:
    def organisation(professional) -> str:
        return professional.organisation.name if professional.organisation else ""

    return [
        exports.Column(_("name"), lambda p: p.name, width=12),
        exports.Column(_("profession"), lambda p: p.get_profession_display()),
        exports.Column(_("qualification"), lambda p: p.qualification, width=20),
        exports.Column(_("organisation"), organisation, width=28),
        exports.Column(_("region"), lambda p: p.region.name),
        exports.Column(_("skills"), lambda p: p.skills, width=24),
        exports.Column(_("availability"), lambda p: p.availability, width=20),
        _phone(_("phone"), lambda p: p.phone),
        exports.Column(_("active"), lambda p: _yes_no(p.is_active), width=8),
    ]


def _provider(link: ResourceLink) -> str:
    names = [entry.name for entry in (link.organisation, link.professional) if entry is not None]
    return " · ".join(names)


def _recipient(link: ResourceLink) -> str:
    if link.person is not None:
        return link.person.name
    if link.case is not None:
        return link.case.person.name
    if link.service_order is not None:
        return link.service_order.person.name
    return link.activity.title if link.activity is not None else ""


def _recipient_kind(link: ResourceLink) -> str:
    if link.case is not None:
        return _("case")
    if link.service_order is not None:
        return link.service_order.get_kind_display()
    if link.activity is not None:
        return _("activity")
    return ""


def link_columns() -> list[exports.Column]:
    return [
        exports.Column(_("date"), lambda k: k.given_on, width=12),
        exports.Column(_("provider"), _provider, width=28),
        exports.Column(_("recipient"), _recipient, width=16),
        exports.Column(_("given for"), _recipient_kind, width=12),
        exports.Column(_("township"), lambda k: _township(k.region)),
        exports.Column(_("village"), lambda k: k.region.name),
        exports.Column(_("kind"), lambda k: k.get_kind_display(), width=8),
        exports.Column(_("what was given"), lambda k: k.description, width=28),
        exports.Column(_("quantity"), lambda k: k.quantity, width=8),
        exports.Column(_("unit"), lambda k: k.unit, width=6),
        exports.Column(_("value (yuan)"), lambda k: k.value, width=12),
    ]


def task_columns() -> list[exports.Column]:
    def served(task) -> str:
        return task.person.name if task.person else ""

    return [
        exports.Column(_("date"), lambda t: t.date, width=12),
        exports.Column(_("title"), lambda t: t.title, width=28),
        exports.Column(_("kind"), lambda t: t.get_kind_display()),
        exports.Column(_("township"), lambda t: _township(t.region)),
        exports.Column(_("region"), lambda t: t.region.name),
        exports.Column(_("place"), lambda t: t.place, width=20),
        exports.Column(_("person served"), served, width=12),
        exports.Column(_("volunteers needed"), lambda t: t.slots, width=8),
        exports.Column(_("places taken"), lambda t: t.taken, width=8),
        exports.Column(_("hours waiting for approval"), lambda t: t.waiting, width=8),
        exports.Column(_("status"), lambda t: t.get_status_display(), width=10),
    ]


def course_columns() -> list[exports.Column]:
    return [
        exports.Column(_("title"), lambda c: c.title, width=28),
        exports.Column(_("organised by"), lambda c: c.region.name),
        exports.Column(_("audience"), lambda c: c.get_audience_display()),
        exports.Column(_("trainer"), lambda c: c.trainer, width=16),
        exports.Column(_("sessions"), lambda c: c.session_count, width=8),
        exports.Column(_("hours"), lambda c: c.total_hours, width=8),
    ]


def my_task_columns() -> list[exports.Column]:
    """A volunteer's own tasks: of the person served, the name and village only."""

    def served(assignment: Assignment) -> str:
        return assignment.task.person.name if assignment.task.person else ""

    def served_village(assignment: Assignment) -> str:
        return assignment.task.person.region.name if assignment.task.person else ""

    return [
        exports.Column(_("date"), lambda a: a.task.date, width=12),
        exports.Column(_("title"), lambda a: a.task.title, width=28),
        exports.Column(_("kind"), lambda a: a.task.get_kind_display()),
        exports.Column(_("region"), lambda a: a.task.region.name),
        exports.Column(_("place"), lambda a: a.task.place, width=20),
        exports.Column(_("person served"), served, width=12),
        exports.Column(_("village"), served_village),
        exports.Column(_("status"), lambda a: a.get_status_display(), width=10),
        exports.Column(_("hours"), lambda a: a.hours, width=8),
        exports.Column(_("hours status"), lambda a: a.get_hours_status_display(), width=10),
        exports.Column(_("note"), lambda a: a.hours_note, width=24),
    ]
