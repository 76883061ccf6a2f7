"""Volunteer tasks and their workflow: a volunteer signs up, the organiser assigns or declines,
the volunteer (or the organiser for them) logs hours, the organiser approves or rejects them.

Only approved hours count. Each move is one function: transactional, locking the row it changes
(the task when slots are counted), checking the version the caller read, recording its actor.
The organiser is the task's organiser or any staff member who may write the task's region.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import User
from shegong.casework.services import notify
from shegong.people.models import Person
from shegong.regions.models import Region

from .models import (
    Assignment,
    AssignmentStatus,
    HoursStatus,
    TaskKind,
    TaskStatus,
    Volunteer,
    VolunteerTask,
)
from .volunteers import bump, check_version

MIN_HOURS = Decimal("0.5")
MAX_HOURS = Decimal("24")
TASK_FIELDS = ("title", "kind", "date", "place", "description", "slots", "person", "region")


def can_organise(user: Any, task: VolunteerTask) -> bool:
    return user.pk == task.organiser_id or scope.can_write_region(user, task.region_id)


def task_covers(task: VolunteerTask, volunteer: Volunteer) -> bool:
    """A task is open to the volunteers of the villages under its region."""
    return task.region.contains(volunteer.region_id)


def _taken(task: VolunteerTask) -> int:
    return task.assignments.exclude(status=AssignmentStatus.WITHDRAWN).count()


def _check_task_fields(*, by: User, data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not (data.get("title") or "").strip():
        errors["title"] = _("Enter a title for the task.")
    if data.get("kind") not in TaskKind.values:
        errors["kind"] = _("Choose what kind of task this is.")
    if data.get("date") is None:
        errors["date"] = _("Enter the date of the task.")
    if not data.get("slots") or data["slots"] < 1:
        errors["slots"] = _("A task needs at least one volunteer.")
    region: Region | None = data.get("region")
    if region is None or not scope.can_write_region(by, region.code):
        errors["region"] = _("Choose a region in your area.")
    person: Person | None = data.get("person")
    if person is not None and "region" not in errors:
        if not scope.visible(Person.objects.filter(pk=person.pk), by).exists():
            errors["person"] = _("No person with this ID number in your area.")
        elif not region.contains(person.region_id):
            errors["person"] = _("The person served must live in the task's region.")
    if errors:
        raise ValidationError(errors)


def task_create(
    *,
    by: User,
    title: str,
    kind: str,
    region: Region,
    date: dt.date,
    place: str = "",
    description: str = "",
    slots: int = 1,
    person: Person | None = None,
) -> VolunteerTask:
    data = {"title": title, "kind": kind, "region": region, "date": date, "slots": slots}
    _check_task_fields(by=by, data={**data, "person": person})
    with transaction.atomic(), set_actor(by):
        return VolunteerTask.objects.create(
            title=title.strip(),
            kind=kind,
            region=region,
            date=date,
            place=place.strip(),
            description=description.strip(),
            slots=slots,
            person=person,
            organiser=by,
        )


def _lock_task(by: User, task_id: int, version: int | None) -> VolunteerTask:
    task = (
        VolunteerTask.objects.select_for_update(of=("self",))
        .select_related("region")
        .filter(pk=task_id)
        .first()
    )
    if task is None or not can_organise(by, task):
        raise ValidationError(_("Only the task's organiser or staff of its area may do this."))
    check_version(task, version)
    return task


def task_update(
    *, by: User, task: VolunteerTask, version: int | None, changes: dict[str, Any]
) -> VolunteerTask:
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise ValueError(f"unknown task fields: {sorted(unknown)}")
    with transaction.atomic(), set_actor(by):
        task = _lock_task(by, task.pk, version)
        data = {field: getattr(task, field) for field in TASK_FIELDS}
        data.update(changes)
        _check_task_fields(by=by, data=data)
        if data["slots"] < _taken(task):
            raise ValidationError(
                {"slots": _("More volunteers are already on this task than that.")}
            )
        for field in TASK_FIELDS:
            value = data[field]
            setattr(task, field, value.strip() if isinstance(value, str) else value)
        bump(task)
        return task


def task_set_status(
    *, by: User, task: VolunteerTask, version: int | None, status: str
) -> VolunteerTask:
    """Close (done), cancel, or reopen a task."""
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Unknown task status.")})
    with transaction.atomic(), set_actor(by):
        task = _lock_task(by, task.pk, version)
        if task.status == status:
            raise ValidationError(_("The task already has this status."))
        if (
            status == TaskStatus.CANCELLED
            and task.assignments.filter(hours_status=HoursStatus.APPROVED).exists()
        ):
            raise ValidationError(
                _("Hours were already approved on this task; close it instead of cancelling.")
            )
        task.status = status
        bump(task)
        return task


# Assignments ---------------------------------------------------------------------------------


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"community:{name}", kwargs=kwargs or None)


def sign_up(*, by: User, task: VolunteerTask) -> Assignment:
    """The volunteer behind account ``by`` asks to help on ``task``."""
    volunteer = Volunteer.objects.filter(user=by, is_active=True).select_related("region").first()
    if volunteer is None:
        raise ValidationError(_("Your account is not linked to an active volunteer."))
    with transaction.atomic(), set_actor(by):
        task = (
            VolunteerTask.objects.select_for_update(of=("self",))
            .select_related("region")
            .get(pk=task.pk)
        )
        if task.status != TaskStatus.OPEN:
            raise ValidationError(_("This task no longer takes sign-ups."))
        if not task_covers(task, volunteer):
            raise ValidationError(_("This task is not open to volunteers of your village."))
        existing = Assignment.objects.filter(task=task, volunteer=volunteer).first()
        if existing is not None and existing.status != AssignmentStatus.WITHDRAWN:
            raise ValidationError(_("You have already signed up for this task."))
        if _taken(task) >= task.slots:
            raise ValidationError(_("All places on this task are taken."))
        if existing is None:
            assignment = Assignment.objects.create(task=task, volunteer=volunteer)
        else:
            assignment = existing
            assignment.status = AssignmentStatus.SIGNED_UP
            assignment.hours = None
            assignment.hours_status = HoursStatus.NONE
            assignment.hours_note = ""
            bump(assignment)
        notify(
            task.organiser,
            key=f"community:signup:{assignment.pk}:{assignment.version}",
            title=_("%(name)s signed up for %(task)s")
            % {"name": volunteer.name, "task": task.title},
            url=_url("task", pk=task.pk),
        )
        return assignment


def assign(*, by: User, task: VolunteerTask, volunteer: Volunteer) -> Assignment:
    """The organiser puts a volunteer on the task directly (or confirms their sign-up)."""
    if not scope.visible(Volunteer.objects.filter(pk=volunteer.pk), by).exists():
        raise ValidationError({"volunteer": _("This volunteer is outside your area.")})
    if not volunteer.is_active:
        raise ValidationError({"volunteer": _("This volunteer is no longer active.")})
    with transaction.atomic(), set_actor(by):
        task = _lock_task(by, task.pk, None)
        if task.status == TaskStatus.CANCELLED:
            raise ValidationError(_("This task was cancelled."))
        existing = Assignment.objects.filter(task=task, volunteer=volunteer).first()
        if existing is not None and existing.status == AssignmentStatus.ASSIGNED:
            raise ValidationError({"volunteer": _("This volunteer is already on the task.")})
        joining = existing is None or existing.status == AssignmentStatus.WITHDRAWN
        if joining and _taken(task) >= task.slots:
            raise ValidationError(
                _("All places on this task are taken; add places to the task first.")
            )
        if existing is None:
            return Assignment.objects.create(
                task=task, volunteer=volunteer, status=AssignmentStatus.ASSIGNED
            )
        existing.status = AssignmentStatus.ASSIGNED
        bump(existing)
        return existing


def _lock_assignment(by: User, assignment_id: int, version: int | None) -> Assignment:
    assignment = scope.get_visible_or_404(
        Assignment.objects.select_for_update(of=("self",)).select_related(
            "task__region", "task__organiser", "volunteer__user"
        ),
        by,
        write=True,
        pk=assignment_id,
    )
    check_version(assignment, version)
    return assignment


def _lock_for_organiser(by: User, assignment_id: int, version: int | None) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("task__region", "task__organiser", "volunteer__user")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not can_organise(by, assignment.task):
        raise ValidationError(_("Only the task's organiser or staff of its area may do this."))
    check_version(assignment, version)
    return assignment


def confirm(*, by: User, assignment: Assignment, version: int | None) -> Assignment:
    """The organiser accepts a sign-up: the volunteer is assigned."""
    with transaction.atomic(), set_actor(by):
        assignment = _lock_for_organiser(by, assignment.pk, version)
        if assignment.status != AssignmentStatus.SIGNED_UP:
            raise ValidationError(_("Only a sign-up can be accepted."))
        if assignment.task.status == TaskStatus.CANCELLED:
            raise ValidationError(_("This task was cancelled."))
        assignment.status = AssignmentStatus.ASSIGNED
        bump(assignment)
        return assignment


def decline(*, by: User, assignment: Assignment, version: int | None) -> Assignment:
    """The organiser turns a sign-up down, or takes a volunteer off the task."""
    with transaction.atomic(), set_actor(by):
        assignment = _lock_for_organiser(by, assignment.pk, version)
        _withdraw(assignment)
        return assignment


def withdraw(*, by: User, assignment: Assignment, version: int | None) -> Assignment:
    """The volunteer takes back their own sign-up or assignment."""
    with transaction.atomic(), set_actor(by):
        assignment = _lock_assignment(by, assignment.pk, version)
        _withdraw(assignment)
        return assignment


def _withdraw(assignment: Assignment) -> None:
    if assignment.status == AssignmentStatus.WITHDRAWN:
        raise ValidationError(_("This volunteer is no longer on the task."))
    if assignment.hours_status in (HoursStatus.LOGGED, HoursStatus.APPROVED):
        raise ValidationError(_("Hours are already logged for this assignment; reject them first."))
    assignment.status = AssignmentStatus.WITHDRAWN
    bump(assignment)


def parse_hours(value: Any) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": _("Enter the hours as a number, such as 2.5.")}) from None
    if not hours.is_finite() or hours < MIN_HOURS or hours > MAX_HOURS:
        raise ValidationError({"hours": _("Hours must be between 0.5 and 24.")})
    if hours * 2 != (hours * 2).to_integral_value():
        raise ValidationError({"hours": _("Hours are counted in half hours, such as 2 or 2.5.")})
    return hours


def may_log(assignment: Assignment) -> bool:
    """Whether hours may be logged on this assignment now (for showing the form)."""
    return (
        assignment.status == AssignmentStatus.ASSIGNED
        and assignment.hours_status != HoursStatus.APPROVED
        and assignment.task.status != TaskStatus.CANCELLED
        and assignment.task.date <= timezone.localdate()
    )


def log_hours(*, by: User, assignment: Assignment, version: int | None, hours: Any) -> Assignment:
    """The volunteer (on their own assignment) or the organiser logs the hours worked."""
    amount = parse_hours(hours)
    with transaction.atomic(), set_actor(by):
        organiser_side = Assignment.objects.filter(pk=assignment.pk).select_related("task__region")
        found = organiser_side.first()
        if found is not None and can_organise(by, found.task):
            assignment = _lock_for_organiser(by, assignment.pk, version)
        else:
            assignment = _lock_assignment(by, assignment.pk, version)
        task = assignment.task
        if assignment.status != AssignmentStatus.ASSIGNED:
            raise ValidationError(
                _("Hours can only be logged by a volunteer assigned to the task.")
            )
        if task.status == TaskStatus.CANCELLED:
            raise ValidationError(_("This task was cancelled."))
        if task.date > timezone.localdate():
            raise ValidationError(_("The task has not taken place yet."))
        if assignment.hours_status == HoursStatus.APPROVED:
            raise ValidationError(_("These hours are already approved."))
        assignment.hours = amount
        assignment.hours_status = HoursStatus.LOGGED
        assignment.hours_note = ""
        assignment.approved_by = None
        assignment.approved_at = None
        bump(assignment)
        if by.pk != task.organiser_id:
            notify(
                task.organiser,
                key=f"community:hours:{assignment.pk}:{assignment.version}",
                title=_("%(name)s logged %(hours)s hours on %(task)s")
                % {"name": assignment.volunteer.name, "hours": amount, "task": task.title},
                url=_url("task", pk=task.pk),
            )
        return assignment


def _decide(
    *, by: User, assignment: Assignment, version: int | None, approve: bool, note: str
) -> Assignment:
    note = note.strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the hours are rejected.")})
    with transaction.atomic(), set_actor(by):
        assignment = _lock_for_organiser(by, assignment.pk, version)
        if assignment.hours_status != HoursStatus.LOGGED:
            raise ValidationError(_("No hours are waiting for approval on this assignment."))
        assignment.hours_status = HoursStatus.APPROVED if approve else HoursStatus.REJECTED
        assignment.hours_note = note[:200]
        assignment.approved_by = by if approve else None
        assignment.approved_at = timezone.now() if approve else None
        bump(assignment)
        if approve:
            title = _("Your %(hours)s hours on %(task)s were approved")
        else:
            title = _("Your %(hours)s hours on %(task)s were not approved")
        notify(
            assignment.volunteer.user,
            key=f"community:decided:{assignment.pk}:{assignment.version}",
            title=title % {"hours": assignment.hours, "task": assignment.task.title},
            url=_url("my_tasks"),
        )
        return assignment


def approve_hours(
    *, by: User, assignment: Assignment, version: int | None, note: str = ""
) -> Assignment:
    return _decide(by=by, assignment=assignment, version=version, approve=True, note=note)


def reject_hours(*, by: User, assignment: Assignment, version: int | None, note: str) -> Assignment:
    return _decide(by=by, assignment=assignment, version=version, approve=False, note=note)
