"""Reads of volunteers, tasks and hours, always through the scope gate.

Hours that count are approved hours; totals are summed in the database (one subquery per list,
never a query per row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.people.models import Person
from shegong.regions.models import Station, under_prefix

from .models import (
    ActivityStatus,
    Assignment,
    AssignmentStatus,
    HoursStatus,
    TaskStatus,
    TrainingSession,
    Volunteer,
    VolunteerTask,
)

ZERO = Decimal("0.0")
HOURS_FIELD = DecimalField(max_digits=9, decimal_places=1)


@dataclass
class VolunteerFilters:
    q: str = ""
    region: str = ""
    registered: str = ""  # "1", "0" or "" for both
    skill: str = ""
    active: str = ""  # "1": active volunteers only (what the overview counts)
    joined_by: dt.date | None = None  # joined on or before (the overview's period end)


def with_totals(queryset: QuerySet[Volunteer]) -> QuerySet[Volunteer]:
    """Annotate ``approved_hours`` (approved hours only) and ``task_count`` (tasks not
    withdrawn from), each as one correlated subquery so no join multiplies rows."""
    hours = (
        Assignment.objects.filter(volunteer=OuterRef("pk"), hours_status=HoursStatus.APPROVED)
        .order_by()
        .values("volunteer")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    tasks = (
        Assignment.objects.filter(volunteer=OuterRef("pk"))
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .order_by()
        .values("volunteer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        approved_hours=Coalesce(
            Subquery(hours, output_field=HOURS_FIELD), Value(ZERO), output_field=HOURS_FIELD
        ),
        task_count=Coalesce(
            Subquery(tasks, output_field=IntegerField()), Value(0), output_field=IntegerField()
        ),
    )


def volunteer_list(*, fetched_by: Any, filters: VolunteerFilters) -> QuerySet[Volunteer]:
    queryset = scope.visible(Volunteer.objects.all(), fetched_by)
    q = filters.q.strip()
    if q:
        queryset = queryset.filter(
            Q(name__contains=q) | Q(national_number=q) | Q(skills__contains=q)
        )
    if filters.region:
        queryset = queryset.filter(under_prefix("region__code", filters.region))
    if filters.registered in ("1", "true", "True"):
        queryset = queryset.filter(registered=True)
    elif filters.registered in ("0", "false", "False"):
        queryset = queryset.filter(registered=False)
    if filters.skill.strip():
        queryset = queryset.filter(skills__contains=filters.skill.strip())
    if filters.active == "1":
        queryset = queryset.filter(is_active=True)
    if filters.joined_by:
        queryset = queryset.filter(joined_on__lte=filters.joined_by)
    return (
        with_totals(queryset)
        .select_related("region", "region__parent")
        .order_by("region_id", "name", "pk")
    )


def volunteer_page(
    *, fetched_by: Any, filters: VolunteerFilters, page: int, page_size: int
) -> tuple[list[Volunteer], int]:
    queryset = volunteer_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    start = (max(page, 1) - 1) * page_size
    return list(queryset[start : start + page_size]), count


def get_volunteer_for_user(user: Any, pk: int, *, write: bool = False) -> Volunteer:
    return scope.get_visible_or_404(
        Volunteer.objects.select_related("region", "region__parent", "person", "user"),
        user,
        write=write,
        pk=pk,
    )


def get_task_for_user(user: Any, pk: int) -> VolunteerTask:
    return scope.get_visible_or_404(
        VolunteerTask.objects.select_related("region", "person__region", "organiser", "activity"),
        user,
        pk=pk,
    )


def get_assignment_for_user(user: Any, pk: int) -> Assignment:
    return scope.get_visible_or_404(
        Assignment.objects.select_related("task__region", "volunteer"), user, pk=pk
    )


def volunteer_assignments(volunteer: Volunteer) -> QuerySet[Assignment]:
    return volunteer.assignments.select_related("task__region", "task__activity").order_by(
        "-task__date", "-pk"
    )


def approved_hours_total(volunteer: Volunteer) -> Decimal:
    total = volunteer.assignments.filter(hours_status=HoursStatus.APPROVED).aggregate(
        total=Sum("hours")
    )["total"]
    return total or ZERO


def activities_count(volunteer: Volunteer) -> int:
    """Activities the volunteer was assigned to help at (cancelled activities left out)."""
    return (
        volunteer.assignments.filter(status=AssignmentStatus.ASSIGNED, task__activity__isnull=False)
        .exclude(task__activity__status=ActivityStatus.CANCELLED)
        .values("task__activity")
        .distinct()
        .count()
    )


def volunteer_trainings(volunteer: Volunteer) -> QuerySet[TrainingSession]:
    return volunteer.trainings.select_related("course", "course__region").order_by("-date")


@dataclass
class Certificate:
    volunteer: Volunteer
    start: dt.date
    end: dt.date
    rows: list[Assignment]
    total: Decimal
    station: Station | None


def certificate(*, volunteer: Volunteer, start: dt.date, end: dt.date) -> Certificate:
    """Approved assignments of tasks dated within [start, end], and their total."""
    rows = list(
        volunteer.assignments.filter(
            hours_status=HoursStatus.APPROVED, task__date__gte=start, task__date__lte=end
        )
        .select_related("task")
        .order_by("task__date", "pk")
    )
    total = sum((a.hours for a in rows), ZERO)
    codes = covering_codes(volunteer.region_id)
    stations = {s.region_id: s for s in Station.objects.filter(region_id__in=codes)}
    # The closest station issues it: the village's, else the township's, else the centre.
    station = next((stations[c] for c in codes if c in stations), None)
    return Certificate(
        volunteer=volunteer, start=start, end=end, rows=rows, total=total, station=station
    )


def covering_codes(code: str) -> list[str]:
    """The region codes whose tasks a volunteer of village ``code`` may take: the village, its
    township and its district."""
    return [code, code[:9].ljust(12, "0"), code[:6].ljust(12, "0")]


def open_tasks_for(volunteer: Volunteer) -> QuerySet[VolunteerTask]:
    """Open, upcoming tasks in the volunteer's village, township or district that they are not
    on yet and that still have a free place."""
    on = Assignment.objects.filter(volunteer=volunteer).exclude(status=AssignmentStatus.WITHDRAWN)
    return (
        VolunteerTask.objects.filter(
            status=TaskStatus.OPEN,
            region_id__in=covering_codes(volunteer.region_id),
            date__gte=timezone.localdate(),
        )
        .exclude(pk__in=on.values("task_id"))
        .annotate(
            taken=Count("assignments", filter=~Q(assignments__status=AssignmentStatus.WITHDRAWN))
        )
        .filter(taken__lt=F("slots"))
        .select_related("region", "person__region")
        .order_by("date", "pk")
    )


@dataclass
class TaskFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    region: str = ""


def task_list(*, fetched_by: Any, filters: TaskFilters) -> QuerySet[VolunteerTask]:
    queryset = scope.visible(VolunteerTask.objects.all(), fetched_by)
    if filters.q.strip():
        queryset = queryset.filter(title__contains=filters.q.strip())
    if filters.status in TaskStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.region:
        queryset = queryset.filter(under_prefix("region__code", filters.region))
    return (
        queryset.annotate(
            taken=Count("assignments", filter=~Q(assignments__status=AssignmentStatus.WITHDRAWN)),
            waiting=Count("assignments", filter=Q(assignments__hours_status=HoursStatus.LOGGED)),
        )
        .select_related("region", "person__region")
        .order_by("-date", "-pk")
    )


def candidates_for(*, task: VolunteerTask, fetched_by: Any) -> QuerySet[Volunteer]:
    """Active volunteers of the task's area (visible to the organiser) not yet on it."""
    on = task.assignments.filter(status=AssignmentStatus.ASSIGNED).values("volunteer_id")
    return (
        scope.visible(Volunteer.objects.filter(is_active=True), fetched_by)
        .filter(under_prefix("region__code", task.region.prefix))
        .exclude(pk__in=on)
        .select_related("region")
        .order_by("region_id", "name", "pk")
    )


def person_by_id_number(*, raw: str, fetched_by: Any, write: bool = False) -> Person:
    """The registry person with exactly this ID number in the user's area, or a ValidationError
    naming what is wrong (the format, or nobody in the area)."""
    from shegong.people import crypto, idnumbers

    try:
        number = idnumbers.parse(raw).number
    except idnumbers.IdNumberError as exc:
        raise ValidationError(str(exc)) from None
    people = Person.objects.filter(id_number_hash=crypto.blind_index(number))
    person = scope.visible(people, fetched_by, write=write).select_related("region").first()
    if person is None:
        raise ValidationError(_("No person with this ID number in your area."))
    return person
