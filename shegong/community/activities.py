"""Writes on activities: creating and editing them, their participants, volunteers, sessions
with attendance, photos, and closing ("held"), reopening or cancelling them.

Every write is transactional, records its acting user for the change history, fetches the
activity through the scope gate for writing and locks it. Every change of an activity or of what
belongs to it (participants, sessions, attendance, volunteers) checks and bumps the activity's
version: sessions have no version of their own, so the activity's version guards them too.

An activity is changed only while planned: a held (closed) activity's person-times are fixed,
so it is reopened first; a cancelled one counts nothing and is reopened to be planned again.
Photos are the exception: they are usually added after the activity was held.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong import uploads
from shegong.accounts import scope
from shegong.accounts.models import User
from shegong.people.models import Person
from shegong.regions.models import Region

from . import volunteers as volunteer_services
from . import volunteers_tasks as volunteer_tasks
from .activities_selectors import beneficiaries
from .libraries import organisation_library
from .models import (
    Activity,
    ActivityKind,
    ActivityPhoto,
    ActivityStatus,
    Organisation,
    OrganisationStatus,
    Session,
    TargetGroup,
    TaskStatus,
    Volunteer,
)

# Fields of an activity a writer sets on the form (participants, sessions, volunteers and photos
# have their own functions).
ACTIVITY_FIELDS = (
    "title",
    "kind",
    "region",
    "date",
    "place",
    "target_group",
    "head_count",
    "summary",
    "organisations",
)

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# What a photo file starts with, whatever its name says: (magic bytes, extension, content type).
PHOTO_TYPES = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
)


def photo_type(head: bytes) -> tuple[str, str] | None:
    """(extension, content type) of a JPEG or PNG file from its first bytes, else None."""
    for magic, extension, content_type in PHOTO_TYPES:
        if head.startswith(magic):
            return extension, content_type
    return None


def stale_error() -> ValidationError:
    return ValidationError(
        _(
            "Someone else changed this activity while you were working on it. Reload the page "
            "to see their change, then do yours again."
        ),
        code="stale",
    )


def _lock(by: User, activity_id: int, version: int | None) -> Activity:
    """The activity, locked, if ``by`` may change it and has seen its latest version."""
    activity = scope.get_visible_or_404(
        Activity.objects.select_for_update(), by, write=True, pk=activity_id
    )
    if version is None or activity.version != version:
        raise stale_error()
    return activity


def _lock_planned(by: User, activity_id: int, version: int | None) -> Activity:
    activity = _lock(by, activity_id, version)
    if activity.status == ActivityStatus.CLOSED:
        raise ValidationError(_("This activity was held and its figures are fixed: reopen it."))
    if activity.status == ActivityStatus.CANCELLED:
        raise ValidationError(_("This activity was cancelled: reopen it first."))
    return activity


def _bump(activity: Activity) -> None:
    activity.version += 1
    activity.save()


def _clean(by: User, data: dict[str, Any]) -> dict[str, Any]:
    """Check an activity's fields, every problem on its field at once."""
    errors: dict[str, str] = {}
    data["title"] = (data.get("title") or "").strip()
    if not data["title"]:
        errors["title"] = _("Give the activity a title.")
    if data.get("kind") not in ActivityKind.values:
        errors["kind"] = _("Choose the kind of activity.")
    if data.get("target_group") not in TargetGroup.values:
        errors["target_group"] = _("Choose the target group.")
    region = data.get("region")
    if not isinstance(region, Region):
        errors["region"] = _("Choose the organising station.")
    elif not scope.can_write_region(by, region.code):
        errors["region"] = _("You cannot organise activities for this station.")
    if not isinstance(data.get("date"), dt.date):
        errors["date"] = _("Enter the date of the activity.")
    head_count = data.get("head_count")
    if not isinstance(head_count, int) or head_count < 0:
        errors["head_count"] = _("The head count is a whole number, zero or more.")
    organisations = list(data.get("organisations") or ())
    pks = {o.pk for o in organisations}
    found = organisation_library(by).filter(pk__in=pks)
    if found.exclude(status=OrganisationStatus.DISSOLVED).count() != len(pks):
        errors["organisations"] = _(
            "Choose organisations of your district's library that have not dissolved."
        )
    data["organisations"] = organisations
    data["place"] = (data.get("place") or "").strip()
    data["summary"] = (data.get("summary") or "").strip()
    if errors:
        raise ValidationError(errors)
    return data


def activity_create(
    *,
    by: User,
    title: str,
    kind: str,
    region: Region,
    date: dt.date,
    target_group: str,
    place: str = "",
    head_count: int = 0,
    summary: str = "",
    organisations: Iterable[Organisation] = (),
    is_demo: bool = False,
) -> Activity:
    """Plan an activity for a station the user may write. Group work starts with its first
    session on the activity's date."""
    data = _clean(
        by,
        {
            "title": title,
            "kind": kind,
            "region": region,
            "date": date,
            "place": place,
            "target_group": target_group,
            "head_count": head_count,
            "summary": summary,
            "organisations": organisations,
        },
    )
    with transaction.atomic(), set_actor(by):
        activity = Activity.objects.create(
            **{k: v for k, v in data.items() if k != "organisations"},
            created_by=by,
            is_demo=is_demo,
        )
        activity.organisations.set(data["organisations"])
        if kind == ActivityKind.GROUP_WORK:
            Session.objects.create(activity=activity, number=1, date=date)
        return activity


def activity_update(
    *, by: User, activity_id: int, version: int | None, changes: dict[str, Any]
) -> Activity:
    """Change a planned activity's fields (any of ACTIVITY_FIELDS)."""
    unknown = set(changes) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValueError(f"unknown activity fields: {sorted(unknown)}")
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        data = {f: getattr(activity, f) for f in ACTIVITY_FIELDS if f != "organisations"}
        data["organisations"] = list(activity.organisations.all())
        data.update(changes)
        data = _clean(by, data)
        for field in ACTIVITY_FIELDS:
            if field != "organisations":
                setattr(activity, field, data[field])
        _bump(activity)
        activity.organisations.set(data["organisations"])
        return activity


# Participants and volunteers -----------------------------------------------------------------


def participants_add(
    *, by: User, activity_id: int, version: int | None, people: Iterable[Person]
) -> Activity:
    """Add registry people the user may see as participants (members, for group work)."""
    wanted = {p.pk for p in people}
    if not wanted:
        raise ValidationError({"people": _("Tick the people to add.")})
    reachable = set(
        scope.visible(Person.objects.filter(pk__in=wanted), by).values_list("pk", flat=True)
    )
    if wanted - reachable:
        raise ValidationError({"people": _("Some of these people are outside your area.")})
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        activity.participants.add(*sorted(wanted))
        _bump(activity)
        return activity


def participant_remove(
    *, by: User, activity_id: int, version: int | None, person_id: int
) -> Activity:
    """Take a participant off; someone recorded as attending a session stays (untick them
    there first), so attendance never names a non-member."""
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        person = activity.participants.filter(pk=person_id).first()
        if person is None:
            raise ValidationError(_("This person is not a participant of the activity."))
        attended = Session.attendees.through.objects.filter(
            session__activity=activity, person_id=person_id
        ).values_list("session__number", flat=True)
        if attended:
            raise ValidationError(
                _("%(name)s attended session %(numbers)s; untick their attendance there first.")
                % {"name": person.name, "numbers": "、".join(str(n) for n in sorted(attended))}
            )
        activity.participants.remove(person)
        _bump(activity)
        return activity


def volunteers_assign(
    *, by: User, activity_id: int, version: int | None, volunteers: Iterable[Volunteer]
) -> Activity:
    """Put volunteers on the activity (its help task, through the volunteers part)."""
    chosen = list(volunteers)
    if not chosen:
        raise ValidationError({"volunteers": _("Tick the volunteers to add.")})
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        volunteer_services.assign_to_activity(by=by, activity=activity, volunteers=chosen)
        _bump(activity)
        return activity


# Sessions ------------------------------------------------------------------------------------


def _clean_session(
    activity: Activity, *, date: Any, head_count: Any, attendees: Iterable[Person]
) -> set[int]:
    errors: dict[str, str] = {}
    if not isinstance(date, dt.date):
        errors["date"] = _("Enter the date of the session.")
    if not isinstance(head_count, int) or head_count < 0:
        errors["head_count"] = _("The head count is a whole number, zero or more.")
    present = {p.pk for p in attendees}
    members = set(activity.participants.filter(pk__in=present).values_list("pk", flat=True))
    if present - members:
        errors["attendees"] = _("Only participants of the activity can attend its sessions.")
    if errors:
        raise ValidationError(errors)
    return present


def session_add(
    *,
    by: User,
    activity_id: int,
    version: int | None,
    date: dt.date,
    topic: str = "",
    head_count: int = 0,
    attendees: Iterable[Person] = (),
) -> Session:
    """The activity's next session (numbered 1, 2, 3 …), with who attended."""
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        present = _clean_session(activity, date=date, head_count=head_count, attendees=attendees)
        last = activity.sessions.aggregate(n=Max("number"))["n"] or 0
        session = Session.objects.create(
            activity=activity,
            number=last + 1,
            date=date,
            topic=(topic or "").strip(),
            head_count=head_count,
        )
        session.attendees.set(sorted(present))
        _bump(activity)
        return session


def session_update(
    *,
    by: User,
    activity_id: int,
    version: int | None,
    number: int,
    date: dt.date,
    topic: str = "",
    head_count: int = 0,
    attendees: Iterable[Person] = (),
) -> Session:
    """Change a session's date, topic, head count and attendance."""
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        session = activity.sessions.filter(number=number).first()
        if session is None:
            raise ValidationError(_("This activity has no such session."))
        present = _clean_session(activity, date=date, head_count=head_count, attendees=attendees)
        session.date, session.topic, session.head_count = date, (topic or "").strip(), head_count
        session.save()
        session.attendees.set(sorted(present))
        _bump(activity)
        return session


def session_delete(*, by: User, activity_id: int, version: int | None, number: int) -> Activity:
    """Delete the last session (numbers stay a gap-free 1, 2, 3 …)."""
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        last = activity.sessions.order_by("-number").first()
        if last is None or last.number != number:
            raise ValidationError(_("Only the last session can be deleted."))
        last.delete()
        _bump(activity)
        return activity


# Photos --------------------------------------------------------------------------------------


def photo_add(*, by: User, activity_id: int, file: Any, caption: str = "") -> ActivityPhoto:
    """Attach a JPEG or PNG photo of at most 5 MB, told by its first bytes, not its name."""
    if file is None:
        raise ValidationError({"image": _("Choose the photo to upload.")})
    if file.size > uploads.limit(PHOTO_MAX_BYTES):
        raise ValidationError({"image": uploads.too_large(uploads.limit(PHOTO_MAX_BYTES)).messages})
    file.seek(0)
    found = photo_type(file.read(8))
    file.seek(0)
    if found is None:
        raise ValidationError({"image": _("Only JPEG and PNG photos can be uploaded.")})
    # A name of our own: the uploaded name is the user's, and says nothing reliable.
    file.name = f"{uuid.uuid4().hex}.{found[0]}"
    with transaction.atomic(), set_actor(by):
        activity = scope.get_visible_or_404(
            Activity.objects.select_for_update(), by, write=True, pk=activity_id
        )
        if activity.status == ActivityStatus.CANCELLED:
            raise ValidationError(_("This activity was cancelled: reopen it first."))
        return ActivityPhoto.objects.create(
            activity=activity, image=file, caption=(caption or "").strip()[:200], uploaded_by=by
        )


def photo_delete(*, by: User, activity_id: int, photo_id: int) -> None:
    with transaction.atomic(), set_actor(by):
        activity = scope.get_visible_or_404(
            Activity.objects.select_for_update(), by, write=True, pk=activity_id
        )
        photo = activity.photos.filter(pk=photo_id).first()
        if photo is None:
            raise ValidationError(_("This photo is not on the activity."))
        storage, name = photo.image.storage, photo.image.name
        photo.delete()
        transaction.on_commit(lambda: storage.delete(name))


# Closing, reopening, cancelling ----------------------------------------------------------------


def activity_close(
    *, by: User, activity_id: int, version: int | None, summary: str | None = None
) -> Activity:
    """Held: fix the person-times the overview sums. Needs a summary, the date reached, and
    someone who took part (a participant or head count; with sessions, their attendance)."""
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        if summary is not None:
            activity.summary = summary.strip()
        errors: dict[str, str] = {}
        if not activity.summary:
            errors["summary"] = _("Write a summary of the activity before closing it.")
        if activity.date > timezone.localdate():
            errors["date"] = _("The activity is on %(date)s: close it once it was held.") % {
                "date": activity.date
            }
        counted = beneficiaries(activity)
        if counted.person_times == 0:
            if counted.sessions:
                errors["attendees"] = _(
                    "No attendance is recorded: tick who came to at least one session, or "
                    "enter its head count."
                )
            else:
                errors["head_count"] = _(
                    "Add at least one participant, or enter the head count of people who took part."
                )
        if errors:
            raise ValidationError(errors)
        activity.status = ActivityStatus.CLOSED
        activity.person_times = counted.person_times
        _bump(activity)
        return activity


def activity_reopen(*, by: User, activity_id: int, version: int | None) -> Activity:
    """A held or cancelled activity goes back to planned; it counts again once closed."""
    with transaction.atomic(), set_actor(by):
        activity = _lock(by, activity_id, version)
        if activity.status == ActivityStatus.PLANNED:
            raise ValidationError(_("This activity is already planned."))
        activity.status = ActivityStatus.PLANNED
        activity.person_times = 0
        _bump(activity)
        return activity


def activity_cancel(*, by: User, activity_id: int, version: int | None) -> Activity:
    """A planned activity that will not take place: it counts nothing."""
    with transaction.atomic(), set_actor(by):
        activity = _lock_planned(by, activity_id, version)
        activity.status = ActivityStatus.CANCELLED
        _bump(activity)
        # Its help tasks go with it (a planned activity has no approved hours to keep).
        for task in activity.tasks.exclude(status=TaskStatus.CANCELLED):
            volunteer_tasks.task_set_status(
                by=by, task=task, version=task.version, status=TaskStatus.CANCELLED
            )
        return activity
