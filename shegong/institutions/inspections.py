"""Supervision visits (监督检查) and the rectification items (整改事项) they leave behind.

Who does what:

- The registry (district, township and village staff writing in the institution's region) records
  an inspection and checks the items: a reported item is accepted (verified) or refused (open
  again, with the reason).
- The institution's operators read their inspections and report an item put right; anyone who
  may write the item adds a plain note. Bank officers never see inspections.

Each item carries a ``version``: every move checks the version the user's page showed and bumps
it, so two people acting on the same item at once cannot silently overwrite each other.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import User
from shegong.casework.services import notify

from .models import (
    Inspection,
    Institution,
    RectificationFollowUp,
    RectificationItem,
    RectificationStatus,
)
from .registry import writes_registry


class ItemData(TypedDict):
    description: str
    deadline: dt.date


def may_inspect(user: User, institution: Institution) -> bool:
    """Registry writers of the institution's region record inspections and check items; its
    operators, who may write the items through the gate, never do."""
    return writes_registry(user, institution)


def may_see_inspections(user: User, institution: Institution) -> bool:
    """Registry staff of the region and the institution's own operators (as registered with the
    gate in apps.py); a bank officer reaches the institution's public facts, never this."""
    return scope.scope_for(user).covers(institution.region_id) or (
        institution.operators.filter(pk=user.pk).exists()
    )


def _stale() -> ValidationError:
    return ValidationError(
        _(
            "Someone else changed this item while you were looking at it. Reload the page to see "
            "their change, then do yours again."
        ),
        code="stale",
    )


def _inspections_url(institution_id: int, item_id: int | None = None) -> str:
    url = reverse("institutions:inspections", args=[institution_id])
    return f"{url}#item-{item_id}" if item_id else url


def inspection_create(
    *,
    by: User,
    institution: Institution,
    inspected_on: dt.date,
    inspectors: str,
    findings: str,
    items: list[ItemData],
) -> Inspection:
    """Record an inspection and the items it asks the institution to put right.

    Refused, each on its field: a date in the future, no inspectors, no findings, an item without
    a description or whose deadline is before the inspection. Items go under ``"items"``, one
    message per row, numbered from 1 as the form shows them.
    """
    if not may_inspect(by, institution):
        raise PermissionDenied(
            _("Only the registry of the institution's area records inspections.")
        )
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if inspected_on > today:
        errors["inspected_on"] = [_("The inspection date cannot be in the future.")]
    if not inspectors.strip():
        errors["inspectors"] = [_("Name the inspectors.")]
    if not findings.strip():
        errors["findings"] = [_("Write down what the inspection found.")]
    for row, item in enumerate(items, start=1):
        if not item["description"].strip():
            errors.setdefault("items", []).append(
                _("Row %(row)s: say what is to be put right.") % {"row": row}
            )
        if item["deadline"] < inspected_on:
            errors.setdefault("items", []).append(
                _("Row %(row)s: the deadline %(deadline)s is before the inspection (%(date)s).")
                % {"row": row, "deadline": item["deadline"], "date": inspected_on}
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        inspection = Inspection.objects.create(
            institution=institution,
            inspected_on=inspected_on,
            inspectors=inspectors.strip(),
            findings=findings.strip(),
            recorded_by=by,
        )
        RectificationItem.objects.bulk_create(
            RectificationItem(
                inspection=inspection,
                description=item["description"].strip(),
                deadline=item["deadline"],
            )
            for item in items
        )
        if items:
            for operator in institution.operators.filter(is_active=True):
                notify(
                    operator,
                    key=f"inspection:{inspection.pk}:{operator.pk}",
                    title=_(
                        "Inspection of %(date)s: %(count)s items to put right at %(institution)s"
                    )
                    % {"date": inspected_on, "count": len(items), "institution": institution.name},
                    url=_inspections_url(institution.pk),
                )
    return inspection


def _lock(by: User, item: RectificationItem, version: int | None) -> RectificationItem:
    locked = scope.get_visible_or_404(
        RectificationItem.objects.select_for_update().select_related(
            "inspection__institution", "inspection__recorded_by"
        ),
        by,
        write=True,
        pk=item.pk,
    )
    if version is not None and locked.version != version:
        raise _stale()
    return locked


def _move(item: RectificationItem, by: User, status: str, note: str) -> None:
    item.status = status
    item.version += 1
    item.save(update_fields=["status", "reported_on", "verified_on", "version"])
    RectificationFollowUp.objects.create(item=item, note=note, status=status, by=by)


def item_report_done(
    *, by: User, item: RectificationItem, note: str, version: int
) -> RectificationItem:
    """The institution (or the registry on its behalf) says an open item is put right."""
    with transaction.atomic(), set_actor(by):
        item = _lock(by, item, version)
        if item.status == RectificationStatus.REPORTED:
            raise ValidationError(
                _("This item was already reported done; it is waiting for the inspectors' check.")
            )
        if item.status == RectificationStatus.VERIFIED:
            raise ValidationError(_("This item was verified already; there is nothing to report."))
        item.reported_on = timezone.localdate()
        _move(item, by, RectificationStatus.REPORTED, note.strip())
        institution = item.inspection.institution
        inspector = item.inspection.recorded_by
        notify(
            inspector if inspector != by else None,
            key=f"rectification-reported:{item.pk}:{item.version}",
            title=_("%(institution)s reports put right: %(item)s")
            % {"institution": institution.name, "item": item.description},
            url=_inspections_url(institution.pk, item.pk),
        )
    return item


def item_verify(
    *, by: User, item: RectificationItem, note: str, accepted: bool, version: int
) -> RectificationItem:
    """The registry checks a reported item: accepted, it is verified; refused, it is open again
    (the reason is required, and the operators are told)."""
    note = note.strip()
    with transaction.atomic(), set_actor(by):
        item = _lock(by, item, version)
        institution = item.inspection.institution
        if not may_inspect(by, institution):
            raise PermissionDenied(_("Only the registry of the institution's area checks items."))
        if item.status == RectificationStatus.OPEN:
            raise ValidationError(
                _("This item has not been reported done yet, so there is nothing to check.")
            )
        if item.status == RectificationStatus.VERIFIED:
            raise ValidationError(_("This item was verified already."))
        if accepted:
            item.verified_on = timezone.localdate()
            _move(item, by, RectificationStatus.VERIFIED, note)
            return item
        if not note:
            raise ValidationError({"note": [_("Say why the item is not put right yet.")]})
        item.reported_on = None
        _move(item, by, RectificationStatus.OPEN, note)
        for operator in institution.operators.filter(is_active=True):
            notify(
                operator,
                key=f"rectification-refused:{item.pk}:{item.version}:{operator.pk}",
                title=_("Not accepted as put right: %(item)s") % {"item": item.description},
                url=_inspections_url(institution.pk, item.pk),
            )
    return item


def item_note(*, by: User, item: RectificationItem, note: str) -> RectificationFollowUp:
    """A plain follow-up note: the item's status (and version) stay as they are."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": [_("Write the note.")]})
    with transaction.atomic(), set_actor(by):
        item = _lock(by, item, None)
        return RectificationFollowUp.objects.create(item=item, note=note, by=by)


def overdue_items(
    institutions: QuerySet[Institution], today: dt.date | None = None
) -> QuerySet[RectificationItem]:
    """Open items past their deadline. A reported item is not overdue: the institution did its
    part in time or not, and the inspectors' check is what is pending."""
    today = today or timezone.localdate()
    return RectificationItem.objects.filter(
        inspection__institution__in=institutions,
        status=RectificationStatus.OPEN,
        deadline__lt=today,
    ).select_related("inspection__institution")


def inspection_list(institution: Institution, *, fetched_by: User) -> QuerySet[Inspection]:
    """The institution's inspections the user may see, newest first, with items and their logs
    (a fixed number of queries however many there are)."""
    follow_ups = RectificationFollowUp.objects.select_related("by")
    items = RectificationItem.objects.prefetch_related(Prefetch("follow_ups", follow_ups))
    return scope.visible(
        Inspection.objects.filter(institution=institution)
        .select_related("recorded_by")
        .prefetch_related(Prefetch("items", items)),
        fetched_by,
    )


def inspection_summary(
    institution: Institution, *, fetched_by: User, today: dt.date | None = None
) -> dict:
    """For the institution page: the latest inspection and the open and overdue item counts."""
    today = today or timezone.localdate()
    inspections = scope.visible(Inspection.objects.filter(institution=institution), fetched_by)
    counts = RectificationItem.objects.filter(inspection__in=inspections).aggregate(
        open=Count("pk", filter=Q(status=RectificationStatus.OPEN)),
        reported=Count("pk", filter=Q(status=RectificationStatus.REPORTED)),
        overdue=Count("pk", filter=Q(status=RectificationStatus.OPEN, deadline__lt=today)),
    )
    return {"latest": inspections.first(), **counts}
