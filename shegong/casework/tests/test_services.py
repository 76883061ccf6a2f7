import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shegong.accounts.models import Programme, Role
from shegong.casework import selectors, services
from shegong.casework.models import (
    ApprovalStatus,
    ApprovalSubject,
    Case,
    CaseEvent,
    CaseEventKind,
    Notification,
    PlanStatus,
    Stage,
    Visit,
)
from shegong.factories import PersonFactory

from .conftest import advance_to, approve, fresh, move

pytestmark = pytest.mark.django_db


# ---- opening and moving ---------------------------------------------------------------------


def test_opening_a_case_writes_the_first_event_and_an_empty_plan(case, village_director):
    assert case.stage == Stage.INTAKE
    assert case.owner == village_director
    assert case.plan.status == PlanStatus.DRAFT
    [event] = case.events.all()
    assert (event.kind, event.to_value, event.by) == (
        CaseEventKind.OPENED,
        "intake",
        village_director,
    )


def test_a_second_open_case_in_the_same_programme_is_refused(case, village_director, child):
    with pytest.raises(ValidationError):
        services.case_open(by=village_director, person=child, programme=Programme.MINORS)


def test_an_outsider_cannot_open_a_case(outsider, child):
    with pytest.raises(Http404):
        services.case_open(by=outsider, person=child, programme=Programme.MINORS)


def test_a_case_moves_one_stage_at_a_time_and_records_each_move(case, village_director):
    moved = move(case, Stage.ASSESSMENT, by=village_director)

    assert moved.stage == Stage.ASSESSMENT
    assert moved.version == case.version + 1
    event = moved.events.get(kind=CaseEventKind.STAGE)
    assert (event.from_value, event.to_value) == ("intake", "assessment")
    with pytest.raises(ValidationError, match="one stage at a time"):
        move(moved, Stage.IMPLEMENTATION, by=village_director)


def test_moving_past_the_assessment_needs_its_approval(case, village_director, supervisor):
    move(case, Stage.ASSESSMENT, by=village_director)

    with pytest.raises(ValidationError, match="assessment needs"):
        move(case, Stage.PLAN, by=village_director)
    assert fresh(case).stage == Stage.ASSESSMENT

    approve(case, ApprovalSubject.ASSESSMENT, by=village_director, approver=supervisor)
    assert move(case, Stage.PLAN, by=village_director).stage == Stage.PLAN


def test_moving_into_implementation_needs_the_approved_plan(case, village_director, supervisor):
    advance_to(case, Stage.PLAN, by=village_director, approver=supervisor)

    with pytest.raises(ValidationError, match="plan needs"):
        move(case, Stage.IMPLEMENTATION, by=village_director)

    approve(case, ApprovalSubject.PLAN, by=village_director, approver=supervisor)
    assert move(case, Stage.IMPLEMENTATION, by=village_director).stage == Stage.IMPLEMENTATION


def test_closing_needs_the_supervisors_approval(case, village_director, supervisor):
    advance_to(case, Stage.REVIEW, by=village_director, approver=supervisor)

    with pytest.raises(ValidationError, match="Closing"):
        move(case, Stage.CLOSED, by=village_director)

    approve(case, ApprovalSubject.CLOSURE, by=village_director, approver=supervisor)
    closed = move(case, Stage.CLOSED, by=village_director)
    assert closed.stage == Stage.CLOSED
    assert closed.closed_at is not None


def test_a_case_can_step_back_without_approval(case, village_director, supervisor):
    advance_to(case, Stage.PLAN, by=village_director, approver=supervisor)

    assert move(case, Stage.ASSESSMENT, by=village_director).stage == Stage.ASSESSMENT


def test_a_closed_case_is_not_moved(case, village_director, supervisor):
    advance_to(case, Stage.CLOSED, by=village_director, approver=supervisor)

    with pytest.raises(ValidationError, match="reopened"):
        move(case, Stage.REVIEW, by=village_director)


# ---- reopen ---------------------------------------------------------------------------------


def test_reopening_needs_a_reason_and_returns_to_assessment(case, village_director, supervisor):
    closed = advance_to(case, Stage.CLOSED, by=village_director, approver=supervisor)
    with pytest.raises(ValidationError):
        services.case_reopen(
            by=village_director, case_id=case.pk, version=closed.version, reason=" "
        )

    reopened = services.case_reopen(
        by=village_director, case_id=case.pk, version=closed.version, reason="监护人再次外出"
    )

    assert reopened.stage == Stage.ASSESSMENT
    assert reopened.closed_at is None
    event = reopened.events.get(kind=CaseEventKind.REOPENED)
    assert (event.from_value, event.to_value, event.note) == (
        "closed",
        "assessment",
        "监护人再次外出",
    )


def test_approvals_from_before_the_reopening_no_longer_count(case, village_director, supervisor):
    closed = advance_to(case, Stage.CLOSED, by=village_director, approver=supervisor)
    services.case_reopen(
        by=village_director, case_id=case.pk, version=closed.version, reason="再评估"
    )

    assert fresh(case).plan.status == PlanStatus.DRAFT
    with pytest.raises(ValidationError, match="assessment needs"):
        move(case, Stage.PLAN, by=village_director)


def test_only_a_closed_case_is_reopened(case, village_director):
    with pytest.raises(ValidationError):
        services.case_reopen(by=village_director, case_id=case.pk, version=case.version, reason="x")


# ---- version conflicts ----------------------------------------------------------------------


def test_a_stale_version_is_refused_and_changes_nothing(case, village_director, assistant):
    read_by_both = case.version
    services.case_move(
        by=assistant, case_id=case.pk, version=read_by_both, to_stage=Stage.ASSESSMENT
    )
    events_before = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(services.StaleCase, match="Someone else changed this case"):
        services.case_move(
            by=village_director, case_id=case.pk, version=read_by_both, to_stage=Stage.ASSESSMENT
        )
    with pytest.raises(services.StaleCase):
        services.case_transfer(
            by=village_director, case_id=case.pk, version=read_by_both, owner=assistant
        )

    after = fresh(case)
    assert (after.stage, after.version, after.owner) == (
        Stage.ASSESSMENT,
        read_by_both + 1,
        village_director,
    )
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_a_stale_plan_is_refused(case, village_director, assistant):
    version = case.plan.version
    services.plan_save(by=assistant, case_id=case.pk, version=version, goals="A", services="")

    with pytest.raises(services.StaleCase):
        services.plan_save(
            by=village_director, case_id=case.pk, version=version, goals="B", services=""
        )
    assert fresh(case).plan.goals == "A"


# ---- people on the case ---------------------------------------------------------------------


def test_assigning_and_removing_a_worker_are_events(case, village_director, assistant):
    case = services.case_assign(
        by=village_director, case_id=case.pk, version=case.version, worker=assistant
    )
    assert list(case.workers.all()) == [assistant]

    case = services.case_assign(
        by=village_director, case_id=case.pk, version=case.version, worker=assistant, remove=True
    )

    assert list(case.workers.all()) == []
    kinds = list(case.events.values_list("kind", "from_value", "to_value"))
    assert (CaseEventKind.ASSIGNED, "", "assistant") in kinds
    assert (CaseEventKind.UNASSIGNED, "assistant", "") in kinds


def test_a_worker_from_another_township_cannot_be_assigned(case, village_director, outsider):
    with pytest.raises(ValidationError):
        services.case_assign(
            by=village_director, case_id=case.pk, version=case.version, worker=outsider
        )
    assert fresh(case).version == case.version


def test_a_transfer_changes_the_owner_and_is_recorded(case, village_director, assistant):
    moved = services.case_transfer(
        by=village_director, case_id=case.pk, version=case.version, owner=assistant, note="休假"
    )

    assert moved.owner == assistant
    event = moved.events.get(kind=CaseEventKind.TRANSFERRED)
    assert (event.from_value, event.to_value, event.note) == ("director", "assistant", "休假")


def test_the_new_owner_and_an_assigned_worker_are_notified_once(
    case, village_director, assistant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_assign(
            by=village_director, case_id=case.pk, version=case.version, worker=assistant
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(assistant, key="same", title="one")
        services.notify(assistant, key="same", title="two")

    titles = list(Notification.objects.filter(user=assistant).values_list("title", flat=True))
    assert len(titles) == 2
    assert "one" in titles and "two" not in titles


# ---- approvals ------------------------------------------------------------------------------


@pytest.fixture
def assessing(case, village_director):
    return move(case, Stage.ASSESSMENT, by=village_director)


def test_a_worker_cannot_approve_their_own_request(assessing, supervisor):
    approval = services.approval_request(
        by=supervisor, case_id=assessing.pk, subject=ApprovalSubject.ASSESSMENT
    )
    with pytest.raises(ValidationError, match="own request"):
        services.approval_decide(by=supervisor, approval_id=approval.pk, approve=True)


def test_returning_a_request_needs_a_comment(assessing, village_director, supervisor):
    approval = services.approval_request(
        by=village_director, case_id=assessing.pk, subject=ApprovalSubject.ASSESSMENT
    )
    with pytest.raises(ValidationError):
        services.approval_decide(by=supervisor, approval_id=approval.pk, approve=False, comment="")

    returned = services.approval_decide(
        by=supervisor, approval_id=approval.pk, approve=False, comment="补充监护人情况"
    )

    assert returned.status == ApprovalStatus.REJECTED
    assert returned.comment == "补充监护人情况"
    assert returned.decided_by == supervisor


def test_only_a_supervisor_decides(assessing, village_director, assistant):
    approval = services.approval_request(
        by=village_director, case_id=assessing.pk, subject=ApprovalSubject.ASSESSMENT
    )
    with pytest.raises(PermissionDenied):
        services.approval_decide(by=assistant, approval_id=approval.pk, approve=True)


def test_an_outsider_gets_404_on_an_approval(assessing, village_director, make_user, regions):
    far_supervisor = make_user(Role.TOWNSHIP_SUPERVISOR, regions.other_township)
    approval = services.approval_request(
        by=village_director, case_id=assessing.pk, subject=ApprovalSubject.ASSESSMENT
    )
    with pytest.raises(Http404):
        services.approval_decide(by=far_supervisor, approval_id=approval.pk, approve=True)
    with pytest.raises(Http404):
        services.approval_decide(by=far_supervisor, approval_id=999_999, approve=True)


def test_a_request_is_decided_once_and_only_one_waits_at_a_time(
    assessing, village_director, supervisor
):
    approval = services.approval_request(
        by=village_director, case_id=assessing.pk, subject=ApprovalSubject.ASSESSMENT
    )
    with pytest.raises(ValidationError, match="already waiting"):
        services.approval_request(
            by=village_director, case_id=assessing.pk, subject=ApprovalSubject.ASSESSMENT
        )
    services.approval_decide(by=supervisor, approval_id=approval.pk, approve=True)
    with pytest.raises(ValidationError, match="already been decided"):
        services.approval_decide(by=supervisor, approval_id=approval.pk, approve=True)


def test_an_approval_is_asked_for_in_its_stage(case, village_director):
    with pytest.raises(ValidationError):
        services.approval_request(
            by=village_director, case_id=case.pk, subject=ApprovalSubject.CLOSURE
        )


def test_a_plan_without_goals_is_not_sent_for_approval(case, village_director, supervisor):
    advance_to(case, Stage.PLAN, by=village_director, approver=supervisor)
    with pytest.raises(ValidationError, match="goals"):
        services.approval_request(
            by=village_director, case_id=case.pk, subject=ApprovalSubject.PLAN
        )


def test_a_submitted_plan_is_frozen_and_a_returned_one_is_draft_again(
    case, village_director, supervisor
):
    advance_to(case, Stage.PLAN, by=village_director, approver=supervisor)
    plan = services.plan_save(
        by=village_director,
        case_id=case.pk,
        version=fresh(case).plan.version,
        goals="G",
        services="",
    )
    approval = services.approval_request(
        by=village_director, case_id=case.pk, subject=ApprovalSubject.PLAN
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    with pytest.raises(ValidationError):
        services.plan_save(
            by=village_director, case_id=case.pk, version=plan.version, goals="H", services=""
        )

    services.approval_decide(
        by=supervisor, approval_id=approval.pk, approve=False, comment="目标太笼统"
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED
    plan = services.plan_save(
        by=village_director, case_id=case.pk, version=plan.version, goals="H", services=""
    )
    assert plan.status == PlanStatus.DRAFT


def test_supervisors_are_told_of_a_request_and_the_worker_of_the_decision(
    assessing, village_director, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approval = services.approval_request(
            by=village_director, case_id=assessing.pk, subject=ApprovalSubject.ASSESSMENT
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.approval_decide(by=supervisor, approval_id=approval.pk, approve=True)

    assert Notification.objects.filter(
        user=supervisor, key=f"approval:{approval.pk}:{supervisor.pk}"
    ).exists()
    assert Notification.objects.filter(
        user=village_director, key=f"approval-decided:{approval.pk}"
    ).exists()


# ---- tasks and notes ------------------------------------------------------------------------


def test_a_plan_task_is_added_and_marked_done(case, village_director, assistant):
    due = timezone.localdate() + dt.timedelta(days=3)
    task = services.plan_task_add(
        by=village_director, case_id=case.pk, title="联系学校", owner=assistant, due_on=due
    )
    done = services.plan_task_done(by=assistant, task_id=task.pk)

    assert done.done_on == timezone.localdate()


def test_an_outsider_cannot_mark_a_task_done(case, village_director, outsider):
    task = services.plan_task_add(
        by=village_director,
        case_id=case.pk,
        title="联系学校",
        owner=village_director,
        due_on=timezone.localdate(),
    )
    with pytest.raises(Http404):
        services.plan_task_done(by=outsider, task_id=task.pk)


def test_confidential_notes_are_read_by_the_author_the_owner_and_supervisors(
    case, village_director, assistant, supervisor, make_user
):
    other_assistant = make_user(Role.VILLAGE_ASSISTANT)
    services.note_add(by=assistant, case_id=case.pk, text="公开记录")
    secret = services.note_add(by=assistant, case_id=case.pk, text="家暴线索", confidential=True)

    def readable(user):
        return {n.text for n in selectors.notes_for(case=fresh(case), user=user)}

    assert secret.text in readable(assistant)  # author
    assert secret.text in readable(village_director)  # owner
    assert secret.text in readable(supervisor)
    assert readable(other_assistant) == {"公开记录"}


# ---- visits ---------------------------------------------------------------------------------


def test_a_visit_joins_the_open_case(case, village_director, child):
    today = timezone.localdate()
    visit = services.visit_record(
        by=village_director,
        person=child,
        programme=Programme.MINORS,
        visited_on=today,
        mode="home",
        seen="奶奶",
        next_visit_on=today + dt.timedelta(days=7),
    )
    assert visit.case == case
    assert visit.visited_by == village_director


def test_a_visit_in_the_future_or_with_an_earlier_next_visit_is_refused(village_director, child):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as problem:
        services.visit_record(
            by=village_director,
            person=child,
            programme=Programme.MINORS,
            visited_on=today + dt.timedelta(days=1),
            mode="teleport",
            next_visit_on=today,
        )
    assert set(problem.value.message_dict) == {"visited_on", "mode", "next_visit_on"}
    assert not Visit.objects.exists()


def test_an_outsider_cannot_record_a_visit(outsider, child):
    with pytest.raises(Http404):
        services.visit_record(
            by=outsider,
            person=child,
            programme=Programme.MINORS,
            visited_on=timezone.localdate(),
            mode="home",
        )


def test_the_scope_keeps_other_villages_cases_out(case, regions, outsider):
    PersonFactory(region=regions.far_village)
    assert not selectors.case_list(fetched_by=outsider, filters=selectors.CaseFilters()).exists()
    with pytest.raises(Http404):
        selectors.get_case_for_user(outsider, case.pk)
    assert Case.objects.count() == 1
