"""Volunteers: registering and editing them, and the help task of an activity.

The activities part calls :func:`assign_to_activity` to put volunteers on an activity and
:func:`activity_volunteers` to list them. The task workflow (sign-up, assignment, hours) lives in
``volunteers_tasks``; reads in ``volunteers_selectors``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Membership, Role, User
from shegong.people.models import Person
from shegong.regions.models import Level, Region

from .models import (
    Activity,
    Assignment,
    AssignmentStatus,
    TaskKind,
    Volunteer,
    VolunteerTask,
)

# Fields a worker may change on a volunteer (besides the registry person).
VOLUNTEER_FIELDS = (
    "name",
    "phone",
    "region",
    "skills",
    "availability",
    "registered",
    "national_number",
    "joined_on",
    "is_active",
    "user",
)


def stale_error() -> ValidationError:
    return ValidationError(
        _(
            "Someone else changed this record while you were working on it. Reload the page to "
            "see their change, then do yours again."
        ),
        code="stale",
    )


def check_version(obj: Any, version: int | None) -> None:
    if version is not None and obj.version != version:
        raise stale_error()


def bump(obj: Any) -> None:
    obj.version += 1
    obj.save()


def _check_account(user: User | None, volunteer: Volunteer | None) -> None:
    if user is None:
        return
    is_volunteer = Membership.objects.filter(
        user=user, role=Role.VOLUNTEER, is_active=True
    ).exists()
    if not user.is_active or not is_volunteer:
        raise ValidationError(
            {"user": _("This account does not have the volunteer role; give it that role first.")}
        )
    taken = Volunteer.objects.filter(user=user)
    if volunteer is not None:
        taken = taken.exclude(pk=volunteer.pk)
    if taken.exists():
        raise ValidationError({"user": _("This account already belongs to another volunteer.")})


def _clean(*, by: User, data: dict[str, Any], volunteer: Volunteer | None) -> dict[str, Any]:
    """Check a volunteer's fields; a registry person supplies name and village."""
    errors: dict[str, str] = {}
    person: Person | None = data.get("person")
    if person is not None:
        if not scope.visible(Person.objects.filter(pk=person.pk), by, write=True).exists():
            errors["person"] = _("No person with this ID number in your area.")
        else:
            taken = Volunteer.objects.filter(person=person)
            if volunteer is not None:
                taken = taken.exclude(pk=volunteer.pk)
            if taken.exists():
                errors["person"] = _("This person is already registered as a volunteer.")
            data["name"] = person.name
            data["region"] = person.region
    else:
        data["name"] = (data.get("name") or "").strip()
        if not data["name"]:
            errors["name"] = _("Enter the volunteer's name.")
        if not (data.get("phone") or "").strip():
            errors["phone"] = _("Enter a phone number for a volunteer who is not in the registry.")
    region: Region | None = data.get("region")
    if region is None:
        errors.setdefault("region", _("Choose the volunteer's village."))
    elif region.level != Level.VILLAGE:
        errors.setdefault("region", _("Choose a village, not a township or district."))
    elif not scope.can_write_region(by, region.code):
        errors.setdefault("region", _("This village is outside your area."))
    for field in ("phone", "skills", "availability"):
        data[field] = (data.get(field) or "").strip()
    data["national_number"] = (data.get("national_number") or "").strip()
    if data.get("registered") and not data["national_number"]:
        errors["national_number"] = _(
            "A volunteer registered on the national volunteer service system needs their "
            "national volunteer number."
        )
    if not data.get("registered"):
        data["national_number"] = ""
    if errors:
        raise ValidationError(errors)
    _check_account(data.get("user"), volunteer)
    return data


def volunteer_create(
    *,
    by: User,
    person: Person | None = None,
    name: str = "",
    phone: str = "",
    region: Region | None = None,
    skills: str = "",
    availability: str = "",
    registered: bool = False,
    national_number: str = "",
    joined_on: dt.date | None = None,
    user: User | None = None,
    is_demo: bool = False,
) -> Volunteer:
    """Register a volunteer: a registry person in the worker's area, or name + phone + village."""
    data = _clean(
        by=by,
        data={
            "person": person,
            "name": name,
            "phone": phone,
            "region": region,
            "skills": skills,
            "availability": availability,
            "registered": registered,
            "national_number": national_number,
            "user": user,
        },
        volunteer=None,
    )
    with transaction.atomic(), set_actor(by):
        return Volunteer.objects.create(
            person=data["person"],
            name=data["name"],
            phone=data["phone"],
            region=data["region"],
            skills=data["skills"],
            availability=data["availability"],
            registered=registered,
            national_number=data["national_number"],
            joined_on=joined_on or timezone.localdate(),
            user=user,
            is_demo=is_demo,
        )


def volunteer_update(
    *, by: User, volunteer_id: int, version: int | None, changes: dict[str, Any]
) -> Volunteer:
    """Change a volunteer; ``changes`` may hold ``person`` and any of VOLUNTEER_FIELDS."""
    unknown = set(changes) - set(VOLUNTEER_FIELDS) - {"person"}
    if unknown:
        raise ValueError(f"unknown volunteer fields: {sorted(unknown)}")
    with transaction.atomic(), set_actor(by):
        volunteer = scope.get_visible_or_404(
            Volunteer.objects.select_for_update(), by, write=True, pk=volunteer_id
        )
        check_version(volunteer, version)
        data = {field: getattr(volunteer, field) for field in VOLUNTEER_FIELDS}
        data["person"] = volunteer.person
        data.update(changes)
        data = _clean(by=by, data=data, volunteer=volunteer)
        volunteer.person = data["person"]
        for field in VOLUNTEER_FIELDS:
            setattr(volunteer, field, data[field])
        bump(volunteer)
        return volunteer


# The activities part -------------------------------------------------------------------------


def assign_to_activity(
    *, by: User, activity: Activity, volunteers: list[Volunteer]
) -> VolunteerTask:
    """Put ``volunteers`` on ``activity``: its help task (one per activity, created on first use)
    gets them as assigned. Volunteers already on it stay; a withdrawn one is assigned again.
    Slots grow to fit. The caller fetched the activity through the scope gate for writing."""
    if not scope.can_write_region(by, activity.region_id):
        raise ValidationError(_("You cannot organise volunteers for this activity."))
    wanted = {v.pk for v in volunteers}
    reachable = set(
        scope.visible(Volunteer.objects.filter(pk__in=wanted), by).values_list("pk", flat=True)
    )
    if wanted - reachable:
        raise ValidationError({"volunteers": _("Some of these volunteers are outside your area.")})
    inactive = Volunteer.objects.filter(pk__in=wanted, is_active=False)
    if inactive.exists():
        raise ValidationError(
            {
                "volunteers": _("%(names)s no longer volunteers.")
                % {"names": "、".join(v.name for v in inactive)}
            }
        )
    with transaction.atomic(), set_actor(by):
        task = (
            VolunteerTask.objects.select_for_update()
            .filter(activity=activity, kind=TaskKind.ACTIVITY)
            .order_by("pk")
            .first()
        )
        if task is None:
            task = VolunteerTask.objects.create(
                title=activity.title[:100],
                kind=TaskKind.ACTIVITY,
                region_id=activity.region_id,
                activity=activity,
                date=activity.date,
                place=activity.place,
                slots=max(len(wanted), 1),
                organiser=by,
            )
        existing = {a.volunteer_id: a for a in task.assignments.select_for_update()}
        for volunteer_id in sorted(wanted):
            assignment = existing.get(volunteer_id)
            if assignment is None:
                Assignment.objects.create(
                    task=task, volunteer_id=volunteer_id, status=AssignmentStatus.ASSIGNED
                )
            elif assignment.status != AssignmentStatus.ASSIGNED:
                assignment.status = AssignmentStatus.ASSIGNED
                bump(assignment)
        taken = task.assignments.exclude(status=AssignmentStatus.WITHDRAWN).count()
        changed = False
        if taken > task.slots:
            task.slots = taken
            changed = True
        if task.date != activity.date or task.title != activity.title[:100]:
            task.date, task.title = activity.date, activity.title[:100]
            changed = True
        if changed:
            bump(task)
        return task


def activity_volunteers(activity: Activity) -> QuerySet[Volunteer]:
    """The distinct volunteers on an activity's tasks, withdrawn ones left out."""
    on_tasks = Assignment.objects.filter(task__activity=activity).exclude(
        status=AssignmentStatus.WITHDRAWN
    )
    return Volunteer.objects.filter(pk__in=on_tasks.values("volunteer_id")).select_related("region")
