"""The referral workflow and the work under it (services.py): who may do what, in which state,
what is recorded and who is told."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.casework.models import Notification
from shegong.juvenile import selectors, services
from shegong.juvenile.models import (
    ComplianceCheck,
    GuardianAssessment,
    Referral,
    ReferralStatus,
    ReportStatus,
    ReportVersion,
)
from shegong.juvenile.report import SECTION_KEYS

from .conftest import accept_and_start, in_programme, referral_data

pytestmark = pytest.mark.django_db

TODAY = dt.date.today


@pytest.fixture
def told(django_capture_on_commit_callbacks):
    """told(fn, ...) runs a service, then its on-commit notifications; returns the usernames
    notified."""

    def run(service, **kwargs):
        before = set(Notification.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            result = service(**kwargs)
        new = Notification.objects.exclude(pk__in=before).select_related("user")
        run.result = result
        return {n.user.username for n in new}

    return run


def accept(referral, by, **kwargs):
    return services.referral_accept(
        by=by, referral_id=referral.pk, version=referral.version, **kwargs
    )


def events(referral):
    return [(e.from_status, e.to_status) for e in referral.events.order_by("id")]


# ---- submitting --------------------------------------------------------------------------------


def test_submitting_records_the_first_event_and_tells_the_programme_in_the_area(
    told, regions, make_user, liaison, procuratorate, juvenile_worker
):
    township = in_programme(make_user(Role.TOWNSHIP_WORKER, username="t_in"))
    elsewhere = in_programme(
        make_user(Role.TOWNSHIP_WORKER, regions.other_township, username="far")
    )
    make_user(Role.CENTER_WORKER, username="not_in_programme")

    notified = told(
        services.referral_submit, by=liaison, agency=procuratorate, data=referral_data(regions)
    )

    referral = told.result
    assert referral.status == ReferralStatus.SUBMITTED
    assert referral.referred_by == liaison
    assert events(referral) == [("", ReferralStatus.SUBMITTED)]
    assert notified == {juvenile_worker.username, township.username}
    assert elsewhere.username not in notified


def test_the_id_number_is_stored_encrypted_and_shown_masked(regions, liaison, procuratorate):
    from shegong.factories import born_years_ago
    from shegong.people import idnumbers

    number = idnumbers.make("130111", born_years_ago(15), 124)

    referral = services.referral_submit(
        by=liaison,
        agency=procuratorate,
        data=referral_data(regions, id_number=number, sex="", birth_date=None),
    )

    assert referral.id_number == number
    assert number not in referral.id_number_encrypted
    assert referral.id_number_masked == number[:6] + "********" + number[-4:]
    assert (referral.sex, referral.birth_date) == ("F", idnumbers.parse(number).birth_date)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_number": ""}, "case_number"),
        ({"id_number": "130111200901010013"}, "id_number"),
        ({"birth_date": dt.date(2000, 1, 1)}, "birth_date"),
        ({"services": []}, "services"),
        ({"due_on": dt.date(2020, 1, 1)}, "due_on"),
        ({"region_code": "130111100000"}, "region_code"),  # a township, not a village
        ({"procedural_status": "bogus"}, "procedural_status"),
    ],
)
def test_a_bad_referral_names_the_field(regions, liaison, procuratorate, changes, field):
    with pytest.raises(ValidationError) as caught:
        services.referral_submit(
            by=liaison, agency=procuratorate, data=referral_data(regions, **changes)
        )

    assert field in caught.value.message_dict
    assert not Referral.objects.exists()


def test_only_a_liaison_of_the_agency_refers_for_it(
    regions, procuratorate, other_liaison, juvenile_worker
):
    for outsider in (other_liaison, juvenile_worker):
        with pytest.raises(Http404):
            services.referral_submit(by=outsider, agency=procuratorate, data=referral_data(regions))


# ---- accepting, rejecting, starting, withdrawing ----------------------------------------------


def test_accepting_assigns_the_worker_and_tells_the_liaison(
    told, referral, liaison, juvenile_worker
):
    notified = told(accept, referral=referral, by=juvenile_worker)

    referral = Referral.objects.get(pk=referral.pk)
    assert (referral.status, referral.worker, referral.version) == (
        ReferralStatus.ACCEPTED,
        juvenile_worker,
        2,
    )
    assert events(referral)[-1] == (ReferralStatus.SUBMITTED, ReferralStatus.ACCEPTED)
    assert referral.events.last().by == juvenile_worker
    assert notified == {liaison.username}


def test_the_assigned_worker_is_told_when_someone_else_accepts(
    told, referral, make_user, juvenile_worker, juvenile_supervisor
):
    notified = told(accept, referral=referral, by=juvenile_supervisor, worker=juvenile_worker)

    assert juvenile_worker.username in notified


def test_the_worker_must_be_in_the_programme(referral, make_user, juvenile_worker):
    outsider = make_user(Role.CENTER_WORKER, username="elderly_only")

    with pytest.raises(ValidationError) as caught:
        accept(referral, juvenile_worker, worker=outsider)

    assert "worker" in caught.value.message_dict


def test_a_stale_version_saves_nothing(referral, juvenile_worker):
    with pytest.raises(services.StaleReferral) as caught:
        services.referral_accept(
            by=juvenile_worker, referral_id=referral.pk, version=referral.version + 1
        )

    assert caught.value.current_version == referral.version
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SUBMITTED


def test_only_the_programme_accepts(referral, liaison, make_user):
    for user in (liaison, make_user(Role.DISTRICT_ADMIN, username="not_in_programme")):
        with pytest.raises(Http404):
            accept(referral, user)


def test_rejecting_needs_a_reason(referral, juvenile_worker):
    with pytest.raises(ValidationError) as caught:
        services.referral_reject(
            by=juvenile_worker, referral_id=referral.pk, version=referral.version, reason="  "
        )

    assert "reason" in caught.value.message_dict
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SUBMITTED


def test_rejecting_records_the_reason_and_tells_the_liaison(
    told, referral, liaison, juvenile_worker
):
    notified = told(
        services.referral_reject,
        by=juvenile_worker,
        referral_id=referral.pk,
        version=referral.version,
        reason="不在本区居住",
    )

    referral = Referral.objects.get(pk=referral.pk)
    assert (referral.status, referral.reject_reason) == (ReferralStatus.REJECTED, "不在本区居住")
    assert referral.events.last().note == "不在本区居住"
    assert notified == {liaison.username}


def test_starting_moves_an_accepted_referral_to_in_progress(referral, juvenile_worker):
    referral = accept(referral, juvenile_worker)

    referral = services.referral_start(
        by=juvenile_worker, referral_id=referral.pk, version=referral.version
    )

    assert referral.status == ReferralStatus.IN_PROGRESS
    assert events(referral)[-1] == (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)


def test_illegal_transitions_are_refused(referral, juvenile_worker):
    with pytest.raises(ValidationError):
        services.referral_start(
            by=juvenile_worker, referral_id=referral.pk, version=referral.version
        )
    referral = accept(referral, juvenile_worker)
    with pytest.raises(ValidationError):
        accept(referral, juvenile_worker)
    with pytest.raises(ValidationError):
        services.referral_reject(
            by=juvenile_worker, referral_id=referral.pk, version=referral.version, reason="晚了"
        )
    with pytest.raises(ValidationError):
        services.closing_write(
            by=juvenile_worker,
            referral_id=referral.pk,
            version=referral.version,
            summary="做了",
            outcome="好了",
        )

    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


def test_the_referring_liaison_withdraws_with_a_reason(told, referral, liaison, juvenile_worker):
    referral = accept(referral, juvenile_worker)

    notified = told(
        services.referral_withdraw,
        by=liaison,
        referral_id=referral.pk,
        version=referral.version,
        reason="案件移送外地",
    )

    referral = Referral.objects.get(pk=referral.pk)
    assert referral.status == ReferralStatus.WITHDRAWN
    assert events(referral)[-1] == (ReferralStatus.ACCEPTED, ReferralStatus.WITHDRAWN)
    assert juvenile_worker.username in notified


def test_only_the_referring_agency_withdraws(referral, other_liaison, juvenile_worker, liaison):
    for user in (juvenile_worker, other_liaison):
        with pytest.raises(Http404):
            services.referral_withdraw(
                by=user, referral_id=referral.pk, version=referral.version, reason="不要了"
            )
    with pytest.raises(ValidationError):
        services.referral_withdraw(
            by=liaison, referral_id=referral.pk, version=referral.version, reason=""
        )

    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SUBMITTED


def test_a_closed_referral_cannot_be_withdrawn(referral, liaison, juvenile_worker):
    referral = services.referral_reject(
        by=juvenile_worker, referral_id=referral.pk, version=referral.version, reason="重复"
    )

    with pytest.raises(ValidationError):
        services.referral_withdraw(
            by=liaison, referral_id=referral.pk, version=referral.version, reason="撤回"
        )


def test_work_needs_an_accepted_referral_and_starts_it(referral, juvenile_worker):
    interview = {
        "interviewee": "李建军",
        "relation": "父亲",
        "held_at": timezone.now() - dt.timedelta(hours=2),
        "place": "家中",
        "method": "home_visit",
        "summary": "了解家庭情况",
    }
    with pytest.raises(ValidationError):
        services.interview_add(by=juvenile_worker, referral_id=referral.pk, data=interview)
    referral = accept(referral, juvenile_worker)

    services.interview_add(by=juvenile_worker, referral_id=referral.pk, data=interview)

    referral = Referral.objects.get(pk=referral.pk)
    assert referral.status == ReferralStatus.IN_PROGRESS
    assert referral.interviews.get().recorded_by == juvenile_worker


def test_an_interview_cannot_be_in_the_future(referral_in_progress, juvenile_worker):
    with pytest.raises(ValidationError) as caught:
        services.interview_add(
            by=juvenile_worker,
            referral_id=referral_in_progress.pk,
            data={
                "interviewee": "李建军",
                "relation": "父亲",
                "held_at": timezone.now() + dt.timedelta(days=1),
                "place": "家中",
                "method": "home_visit",
                "summary": "-",
            },
        )

    assert "held_at" in caught.value.message_dict


# ---- the report and its versions --------------------------------------------------------------


def save(referral, by, sections):
    return services.report_save(by=by, referral_id=referral.pk, sections=sections)


def test_a_draft_is_updated_in_place(referral_in_progress, juvenile_worker):
    first = save(referral_in_progress, juvenile_worker, {"basic": "初稿"})

    again = save(referral_in_progress, juvenile_worker, {"basic": "二稿", "family": "父母务工"})

    assert again.pk == first.pk
    assert again.number == 1
    assert ReportVersion.objects.get().sections["basic"] == "二稿"
    assert set(again.sections) == set(SECTION_KEYS)


def test_submitting_needs_all_ten_sections(referral_in_progress, juvenile_worker):
    draft = save(referral_in_progress, juvenile_worker, {"basic": "只写了一节"})

    with pytest.raises(ValidationError) as caught:
        services.report_submit(by=juvenile_worker, version_id=draft.pk)

    assert set(caught.value.message_dict) == set(SECTION_KEYS) - {"basic"}
    assert ReportVersion.objects.get().status == ReportStatus.DRAFT


def test_a_submitted_version_tells_the_supervisors_and_cannot_change(
    told, referral_in_progress, juvenile_worker, juvenile_supervisor, report_sections
):
    draft = save(referral_in_progress, juvenile_worker, report_sections)

    notified = told(services.report_submit, by=juvenile_worker, version_id=draft.pk)

    assert notified == {juvenile_supervisor.username}
    with pytest.raises(ValidationError):
        save(referral_in_progress, juvenile_worker, report_sections)


def test_a_supervisor_not_the_author_approves(
    told,
    referral_in_progress,
    liaison,
    juvenile_worker,
    juvenile_supervisor,
    make_user,
    report_sections,
):
    version = save(referral_in_progress, juvenile_worker, report_sections)
    services.report_submit(by=juvenile_worker, version_id=version.pk)
    colleague = in_programme(make_user(Role.CENTER_WORKER, username="colleague"))
    with pytest.raises(ValidationError):
        services.report_decide(by=colleague, version_id=version.pk, approve=True)

    notified = told(
        services.report_decide, by=juvenile_supervisor, version_id=version.pk, approve=True
    )

    version.refresh_from_db()
    assert (version.status, version.decided_by) == (ReportStatus.APPROVED, juvenile_supervisor)
    assert version.decided_at is not None
    assert notified == {liaison.username, juvenile_worker.username}
    assert selectors.approved_version(referral_in_progress) == version


def test_nobody_approves_their_own_report(
    referral_in_progress, juvenile_supervisor, report_sections
):
    version = save(referral_in_progress, juvenile_supervisor, report_sections)
    services.report_submit(by=juvenile_supervisor, version_id=version.pk)

    with pytest.raises(ValidationError):
        services.report_decide(by=juvenile_supervisor, version_id=version.pk, approve=True)

    assert ReportVersion.objects.get().status == ReportStatus.SUBMITTED


def test_a_draft_is_not_decided(referral_in_progress, juvenile_worker, juvenile_supervisor):
    draft = save(referral_in_progress, juvenile_worker, {"basic": "初稿"})

    with pytest.raises(ValidationError):
        services.report_decide(by=juvenile_supervisor, version_id=draft.pk, approve=True)


def test_returning_needs_a_comment_and_editing_then_makes_the_next_version(
    referral_in_progress, juvenile_worker, juvenile_supervisor, report_sections
):
    version = save(referral_in_progress, juvenile_worker, report_sections)
    services.report_submit(by=juvenile_worker, version_id=version.pk)
    with pytest.raises(ValidationError) as caught:
        services.report_decide(by=juvenile_supervisor, version_id=version.pk, approve=False)
    assert "comment" in caught.value.message_dict

    services.report_decide(
        by=juvenile_supervisor, version_id=version.pk, approve=False, comment="补充监护情况"
    )
    second = save(referral_in_progress, juvenile_worker, {**report_sections, "basic": "改过"})

    assert second.number == 2
    returned = ReportVersion.objects.get(number=1)
    assert (returned.status, returned.comment) == (ReportStatus.RETURNED, "补充监护情况")
    assert returned.sections == report_sections
    assert selectors.approved_version(referral_in_progress) is None


def test_editing_after_approval_makes_a_new_version_and_keeps_the_approved_one(
    approved_referral, juvenile_worker, report_sections
):
    third = save(approved_referral, juvenile_worker, {**report_sections, "basic": "补充"})

    assert third.number == 2
    assert third.status == ReportStatus.DRAFT
    assert selectors.approved_version(approved_referral).number == 1
    assert selectors.approved_version(approved_referral).sections == report_sections


# ---- guidance, orders, closing ---------------------------------------------------------------


SCORES = {"awareness": 2, "communication": 3, "methods": 1, "emotions": 4, "rules": 5}


def test_the_guardian_assessment_totals_the_five_items(referral_in_progress, juvenile_worker):
    assessment = services.guardian_assessment_record(
        by=juvenile_worker,
        referral_id=referral_in_progress.pk,
        stage="before",
        scores={**SCORES, "extra": 5},
        assessed_on=TODAY(),
    )

    assert assessment.total == 15
    assert assessment.scores == SCORES


def test_recording_a_stage_again_replaces_it(referral_in_progress, juvenile_worker):
    for scores in (SCORES, {**SCORES, "methods": 5}):
        services.guardian_assessment_record(
            by=juvenile_worker,
            referral_id=referral_in_progress.pk,
            stage="after",
            scores=scores,
            assessed_on=TODAY(),
        )

    assert GuardianAssessment.objects.get().total == 19


@pytest.mark.parametrize(
    ("stage", "scores", "field"),
    [
        ("during", SCORES, "stage"),
        ("before", {**SCORES, "rules": 6}, "rules"),
        ("before", {**SCORES, "methods": 0}, "methods"),
        ("before", {k: v for k, v in SCORES.items() if k != "emotions"}, "emotions"),
    ],
)
def test_a_bad_assessment_names_the_item(
    referral_in_progress, juvenile_worker, stage, scores, field
):
    with pytest.raises(ValidationError) as caught:
        services.guardian_assessment_record(
            by=juvenile_worker,
            referral_id=referral_in_progress.pk,
            stage=stage,
            scores=scores,
            assessed_on=TODAY(),
        )

    assert field in caught.value.message_dict


def order(referral, by, *, issued_days_ago=40, every=30, ends_on=None):
    return services.order_add(
        by=by,
        referral_id=referral.pk,
        data={
            "kind": "supervision",
            "number": "栾检督监〔2024〕1号",
            "issued_by": "栾城区人民检察院",
            "issued_on": TODAY() - dt.timedelta(days=issued_days_ago),
            "obligations": "按时接送孩子",
            "check_every_days": every,
            "ends_on": ends_on,
        },
    )


def test_an_order_schedules_its_first_check_one_interval_after_issue(
    referral_in_progress, juvenile_worker
):
    made = order(referral_in_progress, juvenile_worker, issued_days_ago=40, every=30)

    [check] = made.checks.all()
    assert check.due_on == made.issued_on + dt.timedelta(days=30)
    assert check.checked_on is None


def test_recording_a_check_schedules_the_next(referral_in_progress, juvenile_worker):
    made = order(referral_in_progress, juvenile_worker)
    first = made.checks.get()
    checked_on = TODAY() - dt.timedelta(days=5)

    services.compliance_record(
        by=juvenile_worker, check_id=first.pk, result="compliant", checked_on=checked_on
    )

    done, following = made.checks.order_by("due_on")
    assert (done.checked_on, done.result, done.checked_by) == (
        checked_on,
        "compliant",
        juvenile_worker,
    )
    assert following.due_on == checked_on + dt.timedelta(days=30)
    with pytest.raises(ValidationError):
        services.compliance_record(by=juvenile_worker, check_id=first.pk, result="compliant")


def test_no_check_is_scheduled_after_the_order_ends(referral_in_progress, juvenile_worker):
    made = order(referral_in_progress, juvenile_worker, ends_on=TODAY() + dt.timedelta(days=10))

    services.compliance_record(by=juvenile_worker, check_id=made.checks.get().pk, result="partly")

    assert made.checks.count() == 1


@pytest.mark.parametrize("every", [0, 366])
def test_the_check_interval_is_bounded(referral_in_progress, juvenile_worker, every):
    with pytest.raises(ValidationError) as caught:
        order(referral_in_progress, juvenile_worker, every=every)

    assert "check_every_days" in caught.value.message_dict


def test_a_check_result_must_be_one_of_the_choices(referral_in_progress, juvenile_worker):
    made = order(referral_in_progress, juvenile_worker)

    with pytest.raises(ValidationError):
        services.compliance_record(by=juvenile_worker, check_id=made.checks.get().pk, result="ok")


def test_an_overdue_check_is_on_the_workers_my_work_only(
    referral_in_progress, juvenile_worker, juvenile_supervisor, liaison
):
    made = order(referral_in_progress, juvenile_worker, issued_days_ago=40, every=30)

    assert list(selectors.overdue_checks(user=juvenile_worker)) == [made.checks.get()]
    assert not selectors.overdue_checks(user=juvenile_supervisor).exists()
    assert not selectors.overdue_checks(user=liaison).exists()


def test_a_check_not_yet_due_is_not_overdue(referral_in_progress, juvenile_worker):
    order(referral_in_progress, juvenile_worker, issued_days_ago=10, every=30)

    assert not selectors.overdue_checks(user=juvenile_worker).exists()
    assert ComplianceCheck.objects.count() == 1


def close(referral, by, summary="开展指导三次", outcome="已返校"):
    referral = Referral.objects.get(pk=referral.pk)
    return services.closing_write(
        by=by, referral_id=referral.pk, version=referral.version, summary=summary, outcome=outcome
    )


def test_closing_waits_for_the_approved_report_when_one_was_asked_for(
    referral_in_progress, juvenile_worker
):
    with pytest.raises(ValidationError):
        close(referral_in_progress, juvenile_worker)

    assert Referral.objects.get(pk=referral_in_progress.pk).status == ReferralStatus.IN_PROGRESS


def test_closing_needs_a_summary_and_an_outcome(approved_referral, juvenile_worker):
    with pytest.raises(ValidationError) as caught:
        close(approved_referral, juvenile_worker, summary=" ", outcome="")

    assert set(caught.value.message_dict) == {"summary", "outcome"}


def test_the_closing_report_makes_the_referral_done_and_tells_the_liaison(
    told, approved_referral, liaison, juvenile_worker
):
    notified = told(close, referral=approved_referral, by=juvenile_worker)

    referral = Referral.objects.get(pk=approved_referral.pk)
    assert referral.status == ReferralStatus.DONE
    assert referral.closing.written_by == juvenile_worker
    assert events(referral)[-1] == (ReferralStatus.IN_PROGRESS, ReferralStatus.DONE)
    assert notified == {liaison.username}
    with pytest.raises(ValidationError):
        close(referral, juvenile_worker)


def test_a_referral_without_an_investigation_closes_without_a_report(
    regions, liaison, procuratorate, juvenile_worker
):
    referral = services.referral_submit(
        by=liaison, agency=procuratorate, data=referral_data(regions, services=["mentoring"])
    )
    accept_and_start(referral, juvenile_worker)

    close(referral, juvenile_worker)

    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.DONE


def test_a_liaison_records_no_work(referral_in_progress, liaison):
    with pytest.raises(Http404):
        services.report_save(by=liaison, referral_id=referral_in_progress.pk, sections={})
