"""Reads of activities through the scope gate, and the person-times rule.

The rule (:func:`person_times_expression`, the one place it is written): an activity held in
sessions counts, per session, the participants ticked as attending plus the session's head count
of people not in the registry; an activity without sessions counts its participants plus its own
head count. One person at three sessions is three person-times and one person.

Lists and the API read every figure from correlated subqueries, one per figure, so a page costs
the same number of queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from shegong.accounts import scope
from shegong.people.models import Person
from shegong.people.selectors import PeopleFilters, apply_filters
from shegong.regions.models import Region, under_prefix

from .models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Assignment,
    AssignmentStatus,
    Session,
    TargetGroup,
    Volunteer,
)
from .volunteers import activity_volunteers

PICK_LIMIT = 30


def _scalar(queryset: QuerySet, group: str, aggregate: Any) -> Coalesce:
    """One figure of the outer activity as a correlated subquery (0 when there are no rows)."""
    inner = queryset.order_by().values(group).annotate(value=aggregate).values("value")
    return Coalesce(
        Subquery(inner, output_field=IntegerField()), Value(0), output_field=IntegerField()
    )


def participants_count() -> Coalesce:
    rows = Activity.participants.through.objects.filter(activity_id=OuterRef("pk"))
    return _scalar(rows, "activity_id", Count("pk"))


def sessions_count() -> Coalesce:
    return _scalar(Session.objects.filter(activity_id=OuterRef("pk")), "activity_id", Count("pk"))


def volunteers_count() -> Coalesce:
    """The SQL count of :func:`volunteers.activity_volunteers`: distinct volunteers on the
    activity's tasks, withdrawn ones left out (a test keeps the two equal)."""
    on_tasks = Assignment.objects.filter(task__activity_id=OuterRef("pk")).exclude(
        status=AssignmentStatus.WITHDRAWN
    )
    return _scalar(on_tasks, "task__activity_id", Count("volunteer_id", distinct=True))


def person_times_expression() -> Case:
    """The person-times rule, as an expression on an Activity queryset (see the module)."""
    attendance = _scalar(
        Session.attendees.through.objects.filter(session__activity_id=OuterRef("pk")),
        "session__activity_id",
        Count("pk"),
    )
    session_heads = _scalar(
        Session.objects.filter(activity_id=OuterRef("pk")), "activity_id", Sum("head_count")
    )
    return Case(
        When(
            Exists(Session.objects.filter(activity_id=OuterRef("pk"))),
            then=attendance + session_heads,
        ),
        default=participants_count() + F("head_count"),
        output_field=IntegerField(),
    )


def counted_person_times() -> Case:
    """What an activity counts now: fixed when held, nothing when cancelled, else the rule."""
    return Case(
        When(status=ActivityStatus.CLOSED, then=F("person_times")),
        When(status=ActivityStatus.CANCELLED, then=Value(0)),
        default=person_times_expression(),
        output_field=IntegerField(),
    )


def with_figures(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    """Annotate ``participants_count``, ``volunteers_count`` and ``counted_person_times``."""
    return queryset.annotate(
        participants_count=participants_count(),
        volunteers_count=volunteers_count(),
        counted_person_times=counted_person_times(),
    )


@dataclass(frozen=True)
class Beneficiaries:
    sessions: int
    person_times: int
    people: int  # distinct: registry people once each, plus those counted by head


def beneficiaries(activity: Activity) -> Beneficiaries:
    """An activity's person-times by the rule, and how many distinct people that is: the
    registry people among its participants and attendees, plus the head count (with sessions,
    the largest session head count: people not in the registry cannot be told apart, so the
    same ones are assumed to come again)."""
    row = (
        Activity.objects.filter(pk=activity.pk)
        .annotate(
            n_sessions=sessions_count(),
            times=person_times_expression(),
            most_heads=Subquery(
                Session.objects.filter(activity_id=OuterRef("pk"))
                .order_by()
                .values("activity_id")
                .annotate(m=Max("head_count"))
                .values("m")
            ),
        )
        .values("n_sessions", "times", "most_heads", "head_count")
        .get()
    )
    members = Activity.participants.through.objects.filter(activity_id=activity.pk)
    attended = Session.attendees.through.objects.filter(session__activity_id=activity.pk)
    registry = Person.objects.filter(
        Q(pk__in=members.values("person_id")) | Q(pk__in=attended.values("person_id"))
    ).count()
    heads = (row["most_heads"] or 0) if row["n_sessions"] else row["head_count"]
    return Beneficiaries(
        sessions=row["n_sessions"], person_times=row["times"], people=registry + heads
    )


# Lists ---------------------------------------------------------------------------------------


@dataclass
class ActivityFilters:
    kind: str = ""
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region: str = ""  # a code prefix: activities organised there or below
    target: str = ""


def apply_activity_filters(
    queryset: QuerySet[Activity], filters: ActivityFilters
) -> QuerySet[Activity]:
    if filters.kind in ActivityKind.values:
        queryset = queryset.filter(kind=filters.kind)
    if filters.status in ActivityStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.date_from:
        queryset = queryset.filter(date__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(date__lte=filters.date_to)
    region = filters.region.strip()
    if region.isdigit() and len(region) <= 12:
        queryset = queryset.filter(under_prefix("region__code", region))
    if filters.target in TargetGroup.values:
        queryset = queryset.filter(target_group=filters.target)
    return queryset


def activity_list(*, fetched_by: Any, filters: ActivityFilters) -> QuerySet[Activity]:
    """The activities organised in the user's scope, filtered, with their figures."""
    queryset = apply_activity_filters(scope.visible(Activity.objects.all(), fetched_by), filters)
    return (
        with_figures(queryset).select_related("region", "region__parent").order_by("-date", "-pk")
    )


def activity_page(
    *, fetched_by: Any, filters: ActivityFilters, page: int, page_size: int
) -> tuple[list[Activity], int]:
    queryset = activity_list(fetched_by=fetched_by, filters=filters)
    count = queryset.count()
    start = (max(page, 1) - 1) * page_size
    return list(queryset[start : start + page_size]), count


def get_activity_for_user(user: Any, pk: int, *, write: bool = False) -> Activity:
    """The activity if the user may see (or change) it, else 404."""
    queryset = Activity.objects.select_related("region", "region__parent", "created_by")
    return scope.get_visible_or_404(queryset, user, write=write, pk=pk)


def organising_regions(user: Any) -> list[Region]:
    """Where ``user`` may organise an activity: the station of each region they may write (their
    district, township or village) and the stations directly below it."""
    own = [p.ljust(12, "0") for p in scope.scope_for(user).write_prefixes]
    queryset = Region.objects.filter(code__in=own) | Region.objects.filter(parent_id__in=own)
    return list(queryset.order_by("code"))


def can_write(user: Any, activity: Activity) -> bool:
    return scope.can_write_region(user, activity.region_id)


# One activity ------------------------------------------------------------------------------


def participants(activity: Activity) -> QuerySet[Person]:
    return activity.participants.select_related("region").order_by("region_id", "name", "pk")


def sessions(activity: Activity) -> list[Session]:
    """The sessions in order, each with its attendees prefetched."""
    return list(
        activity.sessions.prefetch_related("attendees").annotate(present=Count("attendees"))
    )


def participant_candidates(*, fetched_by: Any, activity: Activity, q: str) -> list[Person]:
    """People the user may see, found by name or exact ID number (or phone), not yet taking
    part; nothing until something is searched for."""
    if not q.strip():
        return []
    queryset = apply_filters(scope.visible(Person.objects.all(), fetched_by), PeopleFilters(q=q))
    queryset = queryset.exclude(pk__in=activity.participants.values("pk"))
    return list(queryset.select_related("region").order_by("region_id", "name", "pk")[:PICK_LIMIT])


def volunteer_candidates(*, fetched_by: Any, activity: Activity, q: str = "") -> list[Volunteer]:
    """Active volunteers the user may see who are not on the activity yet (a name narrows)."""
    queryset = scope.visible(Volunteer.objects.filter(is_active=True), fetched_by).exclude(
        pk__in=activity_volunteers(activity).values("pk")
    )
    if q.strip():
        queryset = queryset.filter(name__contains=q.strip())
    return list(queryset.select_related("region").order_by("region_id", "name", "pk")[:PICK_LIMIT])
