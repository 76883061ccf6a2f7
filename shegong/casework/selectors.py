"""Reads of cases, notes, visits and the reminders of "my work", always through the scope gate.

The "my work" page and the daily reminder job share :func:`work_for` / :func:`due_items`, so
what a worker is told in the morning is what their page shows.

Child files belong to the children programme, which sits above casework: its model is read
through the app registry (``apps.get_model``), never imported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Membership, Programme, Role, User
from shegong.regions.models import under_prefix

from .models import (
    Approval,
    ApprovalStatus,
    Case,
    CaseEvent,
    CaseNote,
    PlanTask,
    Stage,
    Visit,
    VisitMode,
)

# Who approves assessments, plans and closures for the villages under them.
SUPERVISOR_ROLES = frozenset({Role.TOWNSHIP_SUPERVISOR, Role.CENTER_WORKER, Role.DISTRICT_ADMIN})
# Who may own a case: the registry roles, which read and write the village's files.
OWNER_ROLES = scope.REGISTRY_WRITE_ROLES
# Who may work on a case or own a plan task: the owners, and counsellors brought in.
STAFF_ROLES = OWNER_ROLES | {Role.COUNSELOR}
UPCOMING_DAYS = 7


# ---- access ---------------------------------------------------------------------------------


def get_case_for_user(user: Any, pk: int, *, write: bool = False) -> Case:
    """The one access helper for cases: the case if in scope, else 404."""
    queryset = Case.objects.select_related(
        "person", "person__region", "person__region__parent", "owner", "plan"
    )
    return scope.get_visible_or_404(queryset, user, write=write, pk=pk)


def _area_codes(village_code: str) -> list[str]:
    """The village and the township and district above it, as region codes."""
    return [village_code, village_code[:9].ljust(12, "0"), village_code[:6].ljust(12, "0")]


def _members_over(case: Case, roles: frozenset[str]) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role__in=roles,
            memberships__region__code__in=_area_codes(case.person.region_id),
        )
        .distinct()
        .order_by("username")
    )


def supervisors_of(case: Case) -> list[User]:
    """Active supervisors whose area holds the case's village."""
    return list(_members_over(case, SUPERVISOR_ROLES))


def is_supervisor_of(user: Any, case: Case) -> bool:
    """Township supervisors, centre workers and district admins over the case's village."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    memberships = Membership.objects.filter(
        user=user, is_active=True, role__in=SUPERVISOR_ROLES
    ).select_related("region")
    return any(case.person.region_id.startswith(m.region.prefix) for m in memberships)


def case_staff(case: Case, *, owner: bool = False) -> list[User]:
    """Who may own the case (``owner=True``) or be assigned to it and its tasks."""
    return list(_members_over(case, OWNER_ROLES if owner else STAFF_ROLES))


def can_read_confidential(user: Any, case: Case) -> bool:
    return user.pk == case.owner_id or is_supervisor_of(user, case)


# ---- lists ----------------------------------------------------------------------------------


def period_q(field: str, start: dt.date | None, end: dt.date | None) -> Q:
    """Rows whose datetime ``field`` falls on the local days ``start`` to ``end`` (either may be
    missing): [start 00:00, the day after end 00:00) in the current time zone, the window the
    dashboard counts in, as a range the index on the column serves."""
    zone = timezone.get_current_timezone()
    q = Q()
    if start:
        q &= Q(**{f"{field}__gte": dt.datetime.combine(start, dt.time.min, tzinfo=zone)})
    if end:
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        q &= Q(**{f"{field}__lt": after})
    return q


def region_q(field: str, region: str) -> Q:
    """Rows under the region-code prefix ``region`` (nothing to narrow when it is not one)."""
    if region.isdigit() and len(region) <= 12:
        return under_prefix(field, region)
    return Q()


def programme_q(user: Any, programme: str, *, region_field: str = "person__region__code") -> Q:
    """Which programmes' rows a list shows. A closed programme (the justice-involved minors)
    only when asked for by name, and then only where the user works in it; without a choice,
    every other programme — what the dashboard counts."""
    if programme in scope.CLOSED_PROGRAMMES:
        area = Q(pk__in=[])
        for prefix in scope.scope_for(user).programme(programme):
            area |= under_prefix(region_field, prefix)
        return Q(programme=programme) & area
    if programme:
        return Q(programme=programme)
    return ~Q(programme__in=scope.CLOSED_PROGRAMMES)


def programme_choices(user: Any) -> list[tuple[str, str]]:
    """The programmes a list offers the user: closed ones only to those who work in them."""
    return [
        (value, label)
        for value, label in Programme.choices
        if value not in scope.CLOSED_PROGRAMMES or scope.works_in_programme(user, value)
    ]


def offers_closed_programme(user: Any) -> bool:
    return any(scope.works_in_programme(user, name) for name in scope.CLOSED_PROGRAMMES)


# Which date of a case ``CaseFilters.date_from`` / ``date_to`` apply to.
CASE_DATES = ("opened", "closed")


@dataclass
class CaseFilters:
    stage: str = ""  # a stage, "open" for every stage but closed, "" for all
    programme: str = ""
    q: str = ""
    mine: bool = False
    region: str = ""
    dates: str = "opened"  # one of CASE_DATES
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def case_list(*, fetched_by: Any, filters: CaseFilters) -> QuerySet[Case]:
    """Cases the user may see, filtered; newest first. The justice-involved minors' cases
    only when that programme is chosen (see :func:`programme_q`)."""
    queryset = scope.visible(Case.objects.all(), fetched_by)
    queryset = queryset.filter(programme_q(fetched_by, filters.programme))
    if filters.stage == "open":
        queryset = queryset.exclude(stage=Stage.CLOSED)
    elif filters.stage:
        queryset = queryset.filter(stage=filters.stage)
    if filters.q:
        queryset = queryset.filter(person__name__contains=filters.q)
    if filters.mine:
        queryset = queryset.filter(_owned_or_assigned(fetched_by))
    queryset = queryset.filter(region_q("person__region__code", filters.region))
    field = "closed_at" if filters.dates == "closed" else "opened_at"
    queryset = queryset.filter(period_q(field, filters.date_from, filters.date_to))
    return queryset.select_related(
        "person", "person__region", "person__region__parent", "owner"
    ).order_by("-opened_at", "-id")


@dataclass
class VisitFilters:
    programme: str = ""
    region: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mode: str = ""
    worker: int | None = None
    q: str = ""


def visit_list(*, fetched_by: Any, filters: VisitFilters) -> QuerySet[Visit]:
    """Visits the user may see, newest first. Like the dashboard's visit count, the
    justice-involved minors' visits only when that programme is chosen."""
    queryset = scope.visible(Visit.objects.all(), fetched_by)
    queryset = queryset.filter(
        programme_q(fetched_by, filters.programme),
        region_q("person__region__code", filters.region),
    )
    if filters.date_from:
        queryset = queryset.filter(visited_on__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(visited_on__lte=filters.date_to)
    if filters.mode in VisitMode.values:
        queryset = queryset.filter(mode=filters.mode)
    if filters.worker:
        queryset = queryset.filter(visited_by_id=filters.worker)
    if filters.q:
        queryset = queryset.filter(person__name__contains=filters.q)
    return queryset.select_related(
        "person", "person__region", "person__region__parent", "visited_by", "case"
    ).order_by("-visited_on", "-id")


def visit_workers(*, fetched_by: Any) -> QuerySet[User]:
    """Who made the visits the user may see (the visit list's worker filter)."""
    visits = scope.visible(Visit.objects.all(), fetched_by).filter(programme_q(fetched_by, ""))
    return User.objects.filter(pk__in=visits.values("visited_by_id")).order_by("username")


def _owned_or_assigned(user: Any) -> Q:
    assigned = Case.workers.through.objects.filter(user=user).values("case_id")
    return Q(owner=user) | Q(pk__in=assigned)


def events_of(case: Case, user: Any) -> QuerySet[CaseEvent]:
    return scope.visible(CaseEvent.objects.filter(case=case), user).select_related("by")


def notes_for(*, case: Case, user: Any) -> QuerySet[CaseNote]:
    """Confidential notes are read by their author, the case owner and supervisors only."""
    notes = scope.visible(CaseNote.objects.filter(case=case), user).select_related("author")
    if not can_read_confidential(user, case):
        notes = notes.filter(Q(confidential=False) | Q(author=user))
    return notes


def visits_of(*, person_id: int, user: Any, limit: int = 20) -> list[Visit]:
    visits = scope.visible(Visit.objects.filter(person_id=person_id), user)
    return list(visits.select_related("visited_by")[:limit])


def approvals_of(case: Case, user: Any) -> QuerySet[Approval]:
    return scope.visible(Approval.objects.filter(case=case), user).select_related(
        "requested_by", "decided_by"
    )


def tasks_of(case: Case, user: Any) -> QuerySet[PlanTask]:
    return scope.visible(PlanTask.objects.filter(plan__case=case), user).select_related("owner")


def child_profile_of(person_id: int, user: Any) -> Model | None:
    """The child file of a person, when the children programme is installed and holds one."""
    model = _child_profile_model()
    if model is None:
        return None
    return scope.visible(model.objects.filter(person_id=person_id), user).first()


# ---- my work and reminders ------------------------------------------------------------------


class WorkKind:
    VISIT = "visit"
    ASSESSMENT = "assessment"
    TASK = "task"
    APPROVAL = "approval"


@dataclass
class WorkItem:
    """One thing a worker must do: a visit, a reassessment, a plan task or an approval."""

    kind: str
    pk: int  # of the child profile, task or approval
    person_name: str
    url: str
    due: dt.date | None = None
    title: str = ""
    user_id: int | None = None

    @property
    def key(self) -> str:
        """The notification key: once per item and due date (per approver for approvals)."""
        if self.kind == WorkKind.APPROVAL:
            return f"approval:{self.pk}:{self.user_id}"  # the key approval_request uses
        return f"due:{self.kind}:{self.pk}:{self.due.isoformat() if self.due else ''}"

    def is_overdue(self, today: dt.date) -> bool:
        return self.due is not None and self.due < today

    def label(self) -> str:
        labels = {
            WorkKind.VISIT: _("Visit"),
            WorkKind.ASSESSMENT: _("Reassessment"),
            WorkKind.TASK: _("Plan task"),
            WorkKind.APPROVAL: _("Approval"),
        }
        return labels[self.kind]

    def message(self) -> str:
        """The notification text."""
        when = date_format(self.due, "Y-m-d") if self.due else ""
        if self.kind == WorkKind.VISIT:
            return _("Visit due for %(person)s on %(date)s") % {
                "person": self.person_name,
                "date": when,
            }
        if self.kind == WorkKind.ASSESSMENT:
            return _("Reassessment due for %(person)s on %(date)s") % {
                "person": self.person_name,
                "date": when,
            }
        if self.kind == WorkKind.TASK:
            return _("Task due on %(date)s: %(task)s (%(person)s)") % {
                "task": self.title,
                "person": self.person_name,
                "date": when,
            }
        return _("Approval requested: %(subject)s for %(person)s") % {
            "subject": self.title,
            "person": self.person_name,
        }


@dataclass
class MyWork:
    overdue: list[WorkItem] = field(default_factory=list)
    upcoming: list[WorkItem] = field(default_factory=list)
    later_tasks: list[WorkItem] = field(default_factory=list)
    approvals: list[WorkItem] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)


def _child_profile_model() -> type[Model] | None:
    try:
        return apps.get_model("children", "ChildProfile")
    except LookupError:
        return None


def _child_items(user: Any, until: dt.date) -> list[WorkItem]:
    """Visits and reassessments due by ``until`` for children the user is responsible for."""
    model = _child_profile_model()
    if model is None:
        return []
    profiles = scope.visible(
        model.objects.filter(Q(director=user) | Q(supervisor=user)).filter(
            Q(next_visit_due__lte=until) | Q(next_assessment_due__lte=until)
        ),
        user,
    ).select_related("person")
    items = []
    for profile in profiles:
        url = profile.get_absolute_url()
        name = profile.person.name
        if profile.next_visit_due and profile.next_visit_due <= until:
            items.append(WorkItem(WorkKind.VISIT, profile.pk, name, url, profile.next_visit_due))
        if profile.next_assessment_due and profile.next_assessment_due <= until:
            items.append(
                WorkItem(WorkKind.ASSESSMENT, profile.pk, name, url, profile.next_assessment_due)
            )
    return items


def _task_items(user: Any, until: dt.date | None) -> list[WorkItem]:
    tasks = scope.visible(
        PlanTask.objects.filter(owner=user, done_on__isnull=True).exclude(
            plan__case__stage=Stage.CLOSED
        ),
        user,
    )
    if until is not None:
        tasks = tasks.filter(due_on__lte=until)
    tasks = tasks.select_related("plan__case__person")
    return [
        WorkItem(
            WorkKind.TASK,
            task.pk,
            task.plan.case.person.name,
            task.plan.case.get_absolute_url(),
            task.due_on,
            title=task.title,
        )
        for task in tasks
    ]


def waiting_approvals(user: Any) -> QuerySet[Approval]:
    """Requests the user may decide: in their supervised area, not their own."""
    prefixes = [
        m.region.prefix
        for m in Membership.objects.filter(
            user=user, is_active=True, role__in=SUPERVISOR_ROLES
        ).select_related("region")
    ]
    if not prefixes:
        return Approval.objects.none()
    area = Q()
    for prefix in prefixes:
        area |= under_prefix("case__person__region__code", prefix)
    return (
        scope.visible(Approval.objects.filter(area, status=ApprovalStatus.REQUESTED), user)
        .exclude(requested_by=user)
        .select_related("case__person", "requested_by")
        .order_by("requested_at", "id")
    )


def _approval_items(user: Any) -> list[WorkItem]:
    return [
        WorkItem(
            WorkKind.APPROVAL,
            approval.pk,
            approval.case.person.name,
            approval.case.get_absolute_url(),
            title=str(approval.get_subject_display()),
            user_id=user.pk,
        )
        for approval in waiting_approvals(user)
    ]


def my_cases(user: Any) -> list[Case]:
    cases = scope.visible(Case.objects.filter(_owned_or_assigned(user)), user)
    return list(
        cases.exclude(stage=Stage.CLOSED)
        .select_related("person", "person__region", "owner")
        .order_by("-opened_at", "-id")
    )


def _by_due(item: WorkItem) -> tuple:
    return (item.due or dt.date.max, item.kind, item.person_name)


def work_for(*, user: Any, today: dt.date, days: int = UPCOMING_DAYS) -> MyWork:
    """What the user should do: overdue, due within ``days``, approvals, own cases."""
    until = today + dt.timedelta(days=days)
    work = MyWork()
    for item in _child_items(user, until) + _task_items(user, None):
        if item.is_overdue(today):
            work.overdue.append(item)
        elif item.due is not None and item.due <= until:
            work.upcoming.append(item)
        else:
            work.later_tasks.append(item)
    work.overdue.sort(key=_by_due)
    work.upcoming.sort(key=_by_due)
    work.later_tasks.sort(key=_by_due)
    work.approvals = _approval_items(user)
    work.cases = my_cases(user)
    return work


def due_items(*, user: Any, today: dt.date) -> list[WorkItem]:
    """What is overdue or due today for the user, and approvals waiting for them."""
    items = _child_items(user, today) + _task_items(user, today)
    items.sort(key=_by_due)
    return items + _approval_items(user)


def reminder_recipients(*, today: dt.date) -> QuerySet[User]:
    """Users who may have something due: narrows the daily job to the people concerned."""
    ids: set[int] = set()
    model = _child_profile_model()
    if model is not None:
        due = model.objects.filter(Q(next_visit_due__lte=today) | Q(next_assessment_due__lte=today))
        for director, supervisor in due.values_list("director_id", "supervisor_id").distinct():
            ids.update(pk for pk in (director, supervisor) if pk is not None)
    ids.update(
        PlanTask.objects.filter(done_on__isnull=True, due_on__lte=today)
        .exclude(plan__case__stage=Stage.CLOSED)
        .values_list("owner_id", flat=True)
    )
    if Approval.objects.filter(status=ApprovalStatus.REQUESTED).exists():
        ids.update(
            Membership.objects.filter(is_active=True, role__in=SUPERVISOR_ROLES).values_list(
                "user_id", flat=True
            )
        )
    return User.objects.filter(pk__in=ids, is_active=True).order_by("pk")
