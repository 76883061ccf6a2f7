"""Training courses for staff and volunteers: the course, its sessions and who attended each.

Staff who may attend are active users with a staff membership inside the course's region;
volunteers are the active volunteers of that region the organiser may see. The audience decides
which of the two lists a course offers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Membership, Role, User
from shegong.regions.models import Region, under_prefix

from .models import Audience, TrainingCourse, TrainingSession, Volunteer

STAFF_ROLES = scope.REGISTRY_READ_ROLES | {Role.COUNSELOR}


def course_create(
    *,
    by: User,
    title: str,
    region: Region,
    audience: str,
    trainer: str = "",
    description: str = "",
    is_demo: bool = False,
) -> TrainingCourse:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Enter a title for the course.")
    if audience not in Audience.values:
        errors["audience"] = _("Choose who the course is for.")
    if region is None or not scope.can_write_region(by, region.code):
        errors["region"] = _("Choose a region in your area.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        return TrainingCourse.objects.create(
            title=title.strip(),
            region=region,
            audience=audience,
            trainer=trainer.strip(),
            description=description.strip(),
            created_by=by,
            is_demo=is_demo,
        )


def _check_writer(by: User, course: TrainingCourse) -> None:
    if not scope.can_write_region(by, course.region_id):
        raise ValidationError(_("Only staff of the organising region may change this course."))


def session_add(
    *, by: User, course: TrainingCourse, date: dt.date, topic: str, hours: Decimal
) -> TrainingSession:
    _check_writer(by, course)
    errors: dict[str, str] = {}
    if not topic.strip():
        errors["topic"] = _("Enter the topic of the session.")
    if hours is None or hours < Decimal("0.5") or hours > 24:
        errors["hours"] = _("Hours must be between 0.5 and 24.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        return TrainingSession.objects.create(
            course=course, date=date, topic=topic.strip(), hours=hours
        )


def eligible_staff(course: TrainingCourse) -> QuerySet[User]:
    if course.audience == Audience.VOLUNTEERS:
        return get_user_model().objects.none()
    prefix = course.region.prefix
    members = Membership.objects.filter(is_active=True, role__in=STAFF_ROLES).filter(
        under_prefix("region__code", prefix)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=members.values("user_id"))
        .order_by("username", "pk")
    )


def eligible_volunteers(course: TrainingCourse, user: Any) -> QuerySet[Volunteer]:
    if course.audience == Audience.STAFF:
        return Volunteer.objects.none()
    return (
        scope.visible(Volunteer.objects.filter(is_active=True), user)
        .filter(under_prefix("region__code", course.region.prefix))
        .select_related("region")
        .order_by("region_id", "name", "pk")
    )


def attendance_set(
    *,
    by: User,
    session: TrainingSession,
    staff_ids: Iterable[int],
    volunteer_ids: Iterable[int],
) -> TrainingSession:
    """Record who attended ``session`` (replacing what was ticked before)."""
    course = session.course
    _check_writer(by, course)
    staff_ids, volunteer_ids = set(staff_ids), set(volunteer_ids)
    staff = list(eligible_staff(course).filter(pk__in=staff_ids))
    volunteers = list(eligible_volunteers(course, by).filter(pk__in=volunteer_ids))
    if len(staff) != len(staff_ids):
        raise ValidationError({"staff": _("Some of these staff cannot attend this course.")})
    if len(volunteers) != len(volunteer_ids):
        raise ValidationError(
            {"volunteers": _("Some of these volunteers cannot attend this course.")}
        )
    with transaction.atomic(), set_actor(by):
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
        session.staff.set(staff)
        session.volunteers.set(volunteers)
        return session


def course_list(*, fetched_by: Any) -> QuerySet[TrainingCourse]:
    return (
        scope.visible(TrainingCourse.objects.all(), fetched_by)
        .select_related("region")
        .annotate(session_count=Count("sessions"))
    )


def get_course_for_user(user: Any, pk: int) -> TrainingCourse:
    return scope.get_visible_or_404(TrainingCourse.objects.select_related("region"), user, pk=pk)


def course_sessions(course: TrainingCourse) -> QuerySet[TrainingSession]:
    return course.sessions.prefetch_related("staff", "volunteers__region").order_by("date", "pk")
