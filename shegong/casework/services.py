"""Writes to cases, plans, notes, visits and approvals.

Each state change is one function: it locks what it changes, checks the version the caller
read (a stale one is refused, never overwritten), writes the event row, and queues
notifications after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Programme, User
from shegong.people.models import Person

from . import selectors
from .models import (
    STAGE_ORDER,
    Approval,
    ApprovalStatus,
    ApprovalSubject,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CasePlan,
    NoteMethod,
    Notification,
    PlanStatus,
    PlanTask,
    Stage,
    Visit,
    VisitMode,
)
from .selectors import SUPERVISOR_ROLES, is_supervisor_of, supervisors_of

__all__ = [
    "SUPERVISOR_ROLES",
    "VISIT_HOOKS",
    "StaleCase",
    "is_supervisor_of",
    "supervisors_of",
]

# Programmes react to visits (the child's next visit date moves): they register here in ready().
VISIT_HOOKS: list[Callable[[Visit], None]] = []

# The stage in which each approval is asked for: the approval opens the way to the next stage.
APPROVAL_STAGE = {
    ApprovalSubject.ASSESSMENT: Stage.ASSESSMENT,
    ApprovalSubject.PLAN: Stage.PLAN,
    ApprovalSubject.CLOSURE: Stage.REVIEW,
}


class StaleCase(Exception):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this case while you were working on it. Reload the page "
                "to see their change, then do yours again."
            )
        )


def notify(user: User | None, *, key: str, title: str, url: str = "") -> None:
    """Once per (user, key): a reminder computed again tomorrow does not repeat itself."""
    if user is None:
        return

    def create() -> None:
        try:
            with transaction.atomic():
                Notification.objects.create(user=user, key=key[:200], title=title[:200], url=url)
        except IntegrityError:
            pass  # already told

    transaction.on_commit(create)


def notification_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def _lock(by: Any, case_id: int, version: int | None) -> Case:
    case = scope.get_visible_or_404(
        Case.objects.select_for_update().select_related("person"), by, write=True, pk=case_id
    )
    if version is not None and case.version != version:
        raise StaleCase()
    return case


def _lock_open(by: Any, case_id: int, version: int | None) -> Case:
    case = _lock(by, case_id, version)
    if not case.is_open:
        raise ValidationError(_("This case is closed: reopen it first."))
    return case


def _event(case: Case, kind: str, by: Any, *, old: str = "", new: str = "", note: str = ""):
    return CaseEvent.objects.create(
        case=case, kind=kind, from_value=old, to_value=new, note=note, by=by
    )


def _bump(case: Case) -> None:
    case.version += 1
    case.save()


def _check_staff(case: Case, user: User, *, owner: bool = False) -> None:
    """Only people who work in the case's village can own it or work on it."""
    if not user.is_active or user.pk not in {u.pk for u in selectors.case_staff(case, owner=owner)}:
        if owner:
            raise ValidationError({"owner": [_("This person cannot own a case in this village.")]})
        raise ValidationError({"worker": [_("This person cannot work on a case in this village.")]})


def case_open(
    *,
    by: Any,
    person: Person,
    programme: str,
    reason: str = "",
    owner: User | None = None,
    title: str = "",
) -> Case:
    """Open a case (one open case per person and programme)."""
    if programme not in Programme.values:
        raise ValidationError({"programme": [_("Choose a programme.")]})
    with transaction.atomic(), set_actor(by):
        person = scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
        if programme in scope.CLOSED_PROGRAMMES and not scope.works_in_programme(
            by, programme, person.region_id
        ):
            # A closed programme's case would be hidden from its own opener (and from the
            # village's staff): only the programme's workers in the person's area open one.
            raise ValidationError(
                {"programme": [_("Only the workers of this programme here may open its cases.")]}
            )
        owner = owner or by
        if (
            Case.objects.filter(person=person, programme=programme)
            .exclude(stage=Stage.CLOSED)
            .exists()
        ):
            raise ValidationError(_("This person already has an open case in this programme."))
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    person=person, programme=programme, reason=reason, owner=owner, title=title
                )
        except IntegrityError:  # opened by someone else a moment ago
            raise ValidationError(
                _("This person already has an open case in this programme.")
            ) from None
        CasePlan.objects.create(case=case)
        _event(case, CaseEventKind.OPENED, by, new=Stage.INTAKE, note=reason)
        if owner != by:
            notify(
                owner,
                key=f"case-owner:{case.pk}:{owner.pk}:{case.version}",
                title=_("You own a new case: %(person)s") % {"person": person.name},
                url=case.get_absolute_url(),
            )
    return case


def _approved(case: Case, subject: str) -> bool:
    """The latest request for ``subject`` since the case was (re)opened was approved."""
    approvals = case.approvals.filter(subject=subject)
    if case.reopened_at is not None:
        approvals = approvals.filter(requested_at__gt=case.reopened_at)
    latest = approvals.order_by("-requested_at", "-id").first()
    return latest is not None and latest.status == ApprovalStatus.APPROVED


def _needs_approval(case: Case, to_stage: str) -> str | None:
    """Moving past the assessment, past the plan, or into closure needs the supervisor."""
    if to_stage == Stage.PLAN and not _approved(case, ApprovalSubject.ASSESSMENT):
        return _("The assessment needs the supervisor's approval first.")
    if to_stage == Stage.IMPLEMENTATION and case.plan.status != PlanStatus.APPROVED:
        return _("The case plan needs the supervisor's approval first.")
    if to_stage == Stage.CLOSED and not _approved(case, ApprovalSubject.CLOSURE):
        return _("Closing a case needs the supervisor's approval.")
    return None


def case_move(*, by: Any, case_id: int, version: int, to_stage: str, note: str = "") -> Case:
    """Move to the next stage (or back one); approvals gate the way forward."""
    with transaction.atomic(), set_actor(by):
        case = _lock(by, case_id, version)
        if case.stage == Stage.CLOSED:
            raise ValidationError(_("A closed case is reopened, not moved."))
        if to_stage not in STAGE_ORDER:
            raise ValidationError(_("Unknown stage."))
        step = STAGE_ORDER.index(to_stage) - STAGE_ORDER.index(case.stage)
        if step not in (1, -1):
            raise ValidationError(_("A case moves one stage at a time."))
        if step == 1:
            problem = _needs_approval(case, to_stage)
            if problem:
                raise ValidationError(problem)
        old = case.stage
        case.stage = to_stage
        if to_stage == Stage.CLOSED:
            case.closed_at = timezone.now()
        _bump(case)
        _event(case, CaseEventKind.STAGE, by, old=old, new=to_stage, note=note)
    return case


def case_reopen(*, by: Any, case_id: int, version: int, reason: str) -> Case:
    """A closed case goes back to assessment; earlier approvals no longer count."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the case is reopened.")]})
    with transaction.atomic(), set_actor(by):
        case = _lock(by, case_id, version)
        if case.stage != Stage.CLOSED:
            raise ValidationError(_("Only a closed case can be reopened."))
        case.stage = Stage.ASSESSMENT
        case.closed_at = None
        case.reopened_at = timezone.now()
        try:
            with transaction.atomic():
                _bump(case)
        except IntegrityError:
            raise ValidationError(
                _("This person has another open case in this programme.")
            ) from None
        plan = CasePlan.objects.select_for_update().get(case=case)
        if plan.status != PlanStatus.DRAFT:
            plan.status = PlanStatus.DRAFT  # the plan is approved again for the new round
            plan.version += 1
            plan.save()
        _event(case, CaseEventKind.REOPENED, by, old=Stage.CLOSED, new=case.stage, note=reason)
    return case


def case_assign(*, by: Any, case_id: int, version: int, worker: User, remove: bool = False) -> Case:
    """Add a worker to the case (or take one off it)."""
    with transaction.atomic(), set_actor(by):
        case = _lock(by, case_id, version)
        assigned = case.workers.filter(pk=worker.pk).exists()
        if remove:
            if not assigned:
                raise ValidationError({"worker": [_("This person is not on the case.")]})
            case.workers.remove(worker)
            _bump(case)
            _event(case, CaseEventKind.UNASSIGNED, by, old=worker.username)
        else:
            if assigned:
                raise ValidationError({"worker": [_("This person is already on the case.")]})
            _check_staff(case, worker)
            case.workers.add(worker)
            _bump(case)
            _event(case, CaseEventKind.ASSIGNED, by, new=worker.username)
            notify(
                worker,
                key=f"case-worker:{case.pk}:{worker.pk}:{case.version}",
                title=_("You were assigned to the case of %(person)s")
                % {"person": case.person.name},
                url=case.get_absolute_url(),
            )
    return case


def case_transfer(*, by: Any, case_id: int, version: int, owner: User, note: str = "") -> Case:
    """Hand the case to a new owner."""
    with transaction.atomic(), set_actor(by):
        case = _lock(by, case_id, version)
        if owner.pk == case.owner_id:
            raise ValidationError({"owner": [_("This person already owns the case.")]})
        _check_staff(case, owner, owner=True)
        old = case.owner.username
        case.owner = owner
        _bump(case)
        _event(case, CaseEventKind.TRANSFERRED, by, old=old, new=owner.username, note=note)
        notify(
            owner,
            key=f"case-owner:{case.pk}:{owner.pk}:{case.version}",
            title=_("A case was transferred to you: %(person)s") % {"person": case.person.name},
            url=case.get_absolute_url(),
        )
    return case


def plan_save(*, by: Any, case_id: int, version: int, goals: str, services: str) -> CasePlan:
    """Save the plan's goals and services; a plan approved before is approved again."""
    with transaction.atomic(), set_actor(by):
        case = _lock_open(by, case_id, None)
        plan = CasePlan.objects.select_for_update().get(case=case)
        if plan.version != version:
            raise StaleCase()
        if plan.status == PlanStatus.SUBMITTED:
            raise ValidationError(_("The plan waits for approval; it cannot change meanwhile."))
        plan.goals, plan.services = goals, services
        if plan.status in (PlanStatus.APPROVED, PlanStatus.RETURNED):
            plan.status = PlanStatus.DRAFT  # a changed plan is approved again
        plan.version += 1
        plan.save()
    return plan


def plan_task_add(*, by: Any, case_id: int, title: str, owner: User, due_on: dt.date) -> PlanTask:
    if not title.strip():
        raise ValidationError({"title": [_("Describe the task.")]})
    with transaction.atomic(), set_actor(by):
        case = _lock_open(by, case_id, None)
        _check_staff(case, owner)
        task = PlanTask.objects.create(plan=case.plan, title=title, owner=owner, due_on=due_on)
        if owner != by:
            notify(
                owner,
                key=f"task:{task.pk}",
                title=_("A task for you on the case of %(person)s: %(task)s")
                % {"person": case.person.name, "task": title},
                url=case.get_absolute_url(),
            )
    return task


def plan_task_done(*, by: Any, task_id: int) -> PlanTask:
    with transaction.atomic(), set_actor(by):
        task = scope.get_visible_or_404(
            PlanTask.objects.select_for_update(), by, write=True, pk=task_id
        )
        _lock(by, task.plan.case_id, None)
        if task.done_on is None:
            task.done_on = timezone.localdate()
            task.save(update_fields=["done_on"])
    return task


def approval_request(*, by: Any, case_id: int, subject: str, note: str = "") -> Approval:
    """Ask the supervisors to approve the assessment, the plan or the closure."""
    if subject not in ApprovalSubject.values:
        raise ValidationError({"subject": [_("Unknown kind of approval.")]})
    with transaction.atomic(), set_actor(by):
        case = _lock_open(by, case_id, None)
        if case.stage != APPROVAL_STAGE[subject]:
            raise ValidationError(
                _("%(subject)s is approved during the %(stage)s stage.")
                % {
                    "subject": ApprovalSubject(subject).label,
                    "stage": Stage(APPROVAL_STAGE[subject]).label,
                }
            )
        if subject == ApprovalSubject.PLAN:
            plan = CasePlan.objects.select_for_update().get(case=case)
            if not plan.goals.strip():
                raise ValidationError(_("Write the plan's goals before asking for approval."))
            plan.status = PlanStatus.SUBMITTED
            plan.version += 1
            plan.save()
        try:
            with transaction.atomic():
                approval = Approval.objects.create(case=case, subject=subject, requested_by=by)
        except IntegrityError:
            raise ValidationError(_("An approval for this is already waiting.")) from None
        _event(case, CaseEventKind.APPROVAL, by, new=f"{subject}:requested", note=note)
        for supervisor in supervisors_of(case):
            if supervisor.pk == by.pk:
                continue
            notify(
                supervisor,
                key=f"approval:{approval.pk}:{supervisor.pk}",
                title=_("Approval requested: %(subject)s for %(person)s")
                % {"subject": approval.get_subject_display(), "person": case.person.name},
                url=case.get_absolute_url(),
            )
    return approval


def approval_decide(*, by: Any, approval_id: int, approve: bool, comment: str = "") -> Approval:
    """A supervisor approves, or returns the request with a comment saying what to change."""
    with transaction.atomic(), set_actor(by):
        approval = scope.get_visible_or_404(
            Approval.objects.select_for_update(), by, write=True, pk=approval_id
        )
        case = _lock(by, approval.case_id, None)
        if not is_supervisor_of(by, case):
            raise PermissionDenied(_("Only a supervisor of this village can decide."))
        if approval.requested_by_id == by.pk:
            raise ValidationError(_("A worker cannot approve their own request."))
        if approval.status != ApprovalStatus.REQUESTED:
            raise ValidationError(_("This request has already been decided."))
        if not approve and not comment.strip():
            raise ValidationError(
                {"comment": [_("Say what should change when returning a request.")]}
            )
        approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        approval.decided_by, approval.decided_at = by, timezone.now()
        approval.comment = comment
        approval.save()
        if approval.subject == ApprovalSubject.PLAN:
            plan = CasePlan.objects.select_for_update().get(case=case)
            plan.status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
            plan.version += 1
            plan.save()
        _event(
            case,
            CaseEventKind.APPROVAL,
            by,
            new=f"{approval.subject}:{approval.status}",
            note=comment,
        )
        notify(
            approval.requested_by,
            key=f"approval-decided:{approval.pk}",
            title=_("%(subject)s for %(person)s: %(status)s")
            % {
                "subject": approval.get_subject_display(),
                "person": case.person.name,
                "status": approval.get_status_display(),
            },
            url=case.get_absolute_url(),
        )
    return approval


def note_add(
    *,
    by: Any,
    case_id: int,
    text: str,
    method: str = NoteMethod.CASEWORK,
    confidential: bool = False,
) -> CaseNote:
    if not text.strip():
        raise ValidationError({"text": [_("The note is empty.")]})
    if method not in NoteMethod.values:
        raise ValidationError({"method": [_("Unknown method.")]})
    with transaction.atomic():
        case = _lock(by, case_id, None)
        return CaseNote.objects.create(
            case=case, method=method, text=text, confidential=confidential, author=by
        )


def visit_record(
    *,
    by: Any,
    person: Person,
    programme: str,
    visited_on: dt.date,
    mode: str,
    seen: str = "",
    observations: str = "",
    concerns: str = "",
    next_visit_on: dt.date | None = None,
    companions: str = "",
    case: Case | None = None,
) -> Visit:
    """Record a visit; it joins the person's open case in the programme if there is one."""
    # Scope first: an out-of-scope person is "not found", whatever else is wrong.
    person = scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
    if case is not None and case.person_id != person.pk:
        raise Http404
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if programme not in Programme.values:
        errors["programme"] = [_("Choose a programme.")]
    if visited_on > today:
        errors["visited_on"] = [_("A visit cannot be recorded before it happens.")]
    if mode not in VisitMode.values:
        errors["mode"] = [_("Choose how the visit was made.")]
    if next_visit_on and next_visit_on <= visited_on:
        errors["next_visit_on"] = [_("The next visit comes after this one.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        if case is None:
            case = (
                Case.objects.filter(person=person, programme=programme)
                .exclude(stage=Stage.CLOSED)
                .first()
            )
        visit = Visit.objects.create(
            person=person,
            case=case,
            programme=programme,
            visited_on=visited_on,
            mode=mode,
            visited_by=by,
            companions=companions,
            seen=seen,
            observations=observations,
            concerns=concerns,
            next_visit_on=next_visit_on,
        )
        for hook in VISIT_HOOKS:
            hook(visit)
    return visit


def move_next_visit_due(profile: Any, visit: Visit, every: dt.timedelta) -> None:
    """A programme's visit hook: the file's next visit falls due ``every`` after this visit,
    or on the earlier next visit the worker set; a later visit never moves it earlier."""
    due = visit.visited_on + every
    if visit.next_visit_on and visit.next_visit_on < due:
        due = visit.next_visit_on
    if profile.next_visit_due is None or due > profile.next_visit_due or visit.next_visit_on:
        profile.next_visit_due = due
        profile.version += 1
        profile.save(update_fields=["next_visit_due", "version", "updated_at"])


def reminders_send(*, today: dt.date | None = None) -> int:
    """The daily job: tell each worker once about what is overdue or due today.

    The key carries the due date, so a reminder is sent once per due date: a visit that stays
    overdue is not repeated every morning, and the next due date is a new reminder.
    """
    today = today or timezone.localdate()
    sent = 0
    for user in selectors.reminder_recipients(today=today):
        for item in selectors.due_items(user=user, today=today):
            notify(user, key=item.key, title=item.message(), url=item.url)
            sent += 1
    return sent
