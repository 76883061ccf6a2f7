"""Guidance, guardianship orders, mentoring and closing: the pages behind the referral's panels,
the check schedule, overdue checks on "my work", and who may see and record what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.juvenile import services
from shegong.juvenile.models import (
    ClosingReport,
    Compliance,
    ComplianceCheck,
    GuardianAssessment,
    GuidancePlan,
    GuidanceSession,
    MentoringRecord,
    ReferralStatus,
)

from .conftest import accept_and_start, approve_a_report, in_programme, referral_data

pytestmark = pytest.mark.django_db

SCORES_BEFORE = {"awareness": 2, "communication": 1, "methods": 2, "emotions": 3, "rules": 2}
SCORES_AFTER = {"awareness": 4, "communication": 3, "methods": 4, "emotions": 4, "rules": 5}


def _today() -> dt.date:
    return timezone.localdate()


def _days_ago(n: int) -> str:
    return (_today() - dt.timedelta(days=n)).isoformat()


def _order(referral, worker, *, issued_days_ago=45, every=30, ends_on=None):
    data = {
        "kind": "supervision",
        "number": "栾检督监〔2024〕5号",
        "issued_by": "栾城区人民检察院",
        "issued_on": _today() - dt.timedelta(days=issued_days_ago),
        "obligations": "每周与孩子谈心一次，按时接送上下学。",
        "check_every_days": every,
        "ends_on": ends_on,
    }
    return services.order_add(by=worker, referral_id=referral.pk, data=data)


# ---- guidance -----------------------------------------------------------------------------------


def test_a_worker_writes_the_plan_and_then_changes_it(
    client_for, juvenile_worker, referral_in_progress
):
    client = client_for(juvenile_worker)
    url = f"/juvenile/{referral_in_progress.pk}/guidance/plan/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"goals": "改善亲子沟通", "content": "每两周一次面谈", "sessions_planned": "6"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/juvenile/{referral_in_progress.pk}/#guidance")
    client.post(
        url, {"goals": "改善亲子沟通与规则意识", "content": "每周一次", "sessions_planned": "8"}
    )
    plan = GuidancePlan.objects.get()
    assert (plan.goals, plan.sessions_planned) == ("改善亲子沟通与规则意识", 8)
    assert 'value="8"' in client.get(url).content.decode()


def test_the_plan_form_names_what_is_missing(client_for, juvenile_worker, referral_in_progress):
    response = client_for(juvenile_worker).post(
        f"/juvenile/{referral_in_progress.pk}/guidance/plan/", {"goals": "", "content": "x"}
    )
    assert response.status_code == 422
    assert 'data-field-error="goals"' in response.content.decode()
    assert not GuidancePlan.objects.exists()


def test_a_session_is_recorded_and_shows_on_the_referral_page(
    client_for, juvenile_worker, referral_in_progress
):
    client = client_for(juvenile_worker)
    response = client.post(
        f"/juvenile/{referral_in_progress.pk}/guidance/sessions/new/",
        {
            "held_on": _days_ago(1),
            "kind": "group",
            "guardians_attending": "父亲李建军",
            "attended": "on",
            "content": "家庭规则的建立",
            "assignments": "每天陪伴阅读二十分钟",
        },
    )
    assert response.status_code == 302
    session = GuidanceSession.objects.get()
    assert (session.kind, session.attended, session.recorded_by) == ("group", True, juvenile_worker)
    page = client.get(f"/juvenile/{referral_in_progress.pk}/").content.decode()
    assert "家庭规则的建立" in page and "每天陪伴阅读二十分钟" in page


def test_a_session_in_the_future_is_refused(client_for, juvenile_worker, referral_in_progress):
    response = client_for(juvenile_worker).post(
        f"/juvenile/{referral_in_progress.pk}/guidance/sessions/new/",
        {
            "held_on": (_today() + dt.timedelta(days=2)).isoformat(),
            "kind": "individual",
            "guardians_attending": "母亲",
            "content": "x",
        },
    )
    assert response.status_code == 422 and 'data-field-error="held_on"' in response.content.decode()
    assert not GuidanceSession.objects.exists()


def test_the_assessment_shows_before_and_after_totals_and_the_change(
    client_for, juvenile_worker, referral_in_progress
):
    client = client_for(juvenile_worker)
    base = f"/juvenile/{referral_in_progress.pk}/guidance/assessment"
    before = client.post(f"{base}/before/", {**SCORES_BEFORE, "assessed_on": _days_ago(60)})
    after = client.post(f"{base}/after/", {**SCORES_AFTER, "assessed_on": _days_ago(1)})
    assert before.status_code == after.status_code == 302
    assert dict(GuardianAssessment.objects.values_list("stage", "total")) == {
        "before": 10,
        "after": 20,
    }
    page = client.get(f"{base}/after/").content.decode()
    assert 'id="total-before">10/25' in page and 'id="total-after">20/25' in page
    assert "+10" in page
    detail = client.get(f"/juvenile/{referral_in_progress.pk}/").content.decode()
    assert 'id="assessment-change"' in detail and "+10" in detail


def test_an_assessment_needs_every_item(client_for, juvenile_worker, referral_in_progress):
    scores = {**SCORES_BEFORE}
    del scores["rules"]
    response = client_for(juvenile_worker).post(
        f"/juvenile/{referral_in_progress.pk}/guidance/assessment/before/",
        {**scores, "assessed_on": _days_ago(1)},
    )
    assert response.status_code == 422 and 'data-field-error="rules"' in response.content.decode()
    assert not GuardianAssessment.objects.exists()


def test_an_unknown_assessment_stage_is_404(client_for, juvenile_worker, referral_in_progress):
    response = client_for(juvenile_worker).get(
        f"/juvenile/{referral_in_progress.pk}/guidance/assessment/during/"
    )
    assert response.status_code == 404


def test_work_is_not_recorded_on_a_submitted_referral(client_for, juvenile_worker, referral):
    response = client_for(juvenile_worker).post(
        f"/juvenile/{referral.pk}/guidance/plan/", {"goals": "x", "content": "y"}
    )
    assert response.status_code == 302 and response["Location"].endswith(
        f"/juvenile/{referral.pk}/"
    )
    assert not GuidancePlan.objects.exists()


# ---- orders and checks --------------------------------------------------------------------------


def test_an_order_schedules_its_first_check_one_interval_after_issue(
    client_for, juvenile_worker, referral_in_progress
):
    issued = _today() - dt.timedelta(days=3)
    response = client_for(juvenile_worker).post(
        f"/juvenile/{referral_in_progress.pk}/orders/new/",
        {
            "kind": "court_guidance",
            "number": "(2024)冀0111刑初88号",
            "issued_by": "栾城区人民法院",
            "issued_on": issued.isoformat(),
            "obligations": "参加家庭教育指导课程",
            "check_every_days": "14",
        },
    )
    assert response.status_code == 302
    check = ComplianceCheck.objects.get()
    assert check.due_on == issued + dt.timedelta(days=14) and check.checked_on is None


def test_an_order_cannot_end_before_it_is_issued(client_for, juvenile_worker, referral_in_progress):
    response = client_for(juvenile_worker).post(
        f"/juvenile/{referral_in_progress.pk}/orders/new/",
        {
            "kind": "supervision",
            "issued_by": "检察院",
            "issued_on": _days_ago(1),
            "obligations": "x",
            "check_every_days": "30",
            "ends_on": _days_ago(10),
        },
    )
    assert response.status_code == 422 and 'data-field-error="ends_on"' in response.content.decode()


def test_recording_a_check_schedules_the_next_from_the_day_it_was_done(
    client_for, juvenile_worker, referral_in_progress
):
    order = _order(referral_in_progress, juvenile_worker, issued_days_ago=45, every=30)
    first = order.checks.get()
    client = client_for(juvenile_worker)
    page = client.get(f"/juvenile/checks/{first.pk}/").content.decode()
    assert "data-overdue" in page and first.due_on.isoformat() in page
    response = client.post(
        f"/juvenile/checks/{first.pk}/",
        {"result": "partly", "checked_on": _days_ago(2), "note": "接送已落实，谈心不规律"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.result, first.checked_by) == (Compliance.PARTLY, juvenile_worker)
    following = order.checks.exclude(pk=first.pk).get()
    assert following.due_on == _today() - dt.timedelta(days=2) + dt.timedelta(days=30)
    again = client.post(
        f"/juvenile/checks/{first.pk}/", {"result": "compliant", "checked_on": _days_ago(1)}
    )
    assert again.status_code == 422 and order.checks.count() == 2


def test_no_check_is_scheduled_after_the_order_ends(juvenile_worker, referral_in_progress):
    order = _order(
        referral_in_progress,
        juvenile_worker,
        issued_days_ago=20,
        every=10,
        ends_on=_today() + dt.timedelta(days=5),
    )
    first = order.checks.get()
    services.compliance_record(by=juvenile_worker, check_id=first.pk, result="compliant")
    assert order.checks.count() == 1


def test_a_check_needs_a_result(client_for, juvenile_worker, referral_in_progress):
    check = _order(referral_in_progress, juvenile_worker).checks.get()
    response = client_for(juvenile_worker).post(
        f"/juvenile/checks/{check.pk}/", {"checked_on": _days_ago(0)}
    )
    assert response.status_code == 422 and 'data-field-error="result"' in response.content.decode()


def test_the_referral_page_shows_an_overdue_check_in_red(
    client_for, juvenile_worker, referral_in_progress
):
    check = _order(referral_in_progress, juvenile_worker).checks.get()
    page = client_for(juvenile_worker).get(f"/juvenile/{referral_in_progress.pk}/").content.decode()
    assert f'data-check="{check.pk}" class="table-danger" data-overdue' in page


def test_an_overdue_check_is_on_the_workers_my_work_and_nobody_elses(
    client_for, make_user, regions, juvenile_worker, referral_in_progress
):
    check = _order(referral_in_progress, juvenile_worker).checks.get()
    colleague = in_programme(make_user(Role.TOWNSHIP_WORKER, username="colleague"))
    director = make_user(Role.VILLAGE_DIRECTOR, username="vd")

    mine = client_for(juvenile_worker).get("/work/my-work/").content.decode()
    assert 'id="overdue-order-checks"' in mine and f'data-check="{check.pk}"' in mine
    assert f"/juvenile/{referral_in_progress.pk}/#orders" in mine
    for other in (colleague, director):
        page = client_for(other).get("/work/my-work/").content.decode()
        assert 'id="overdue-order-checks"' not in page


def test_a_check_not_yet_due_is_not_on_my_work(client_for, juvenile_worker, referral_in_progress):
    _order(referral_in_progress, juvenile_worker, issued_days_ago=5, every=30)
    page = client_for(juvenile_worker).get("/work/my-work/").content.decode()
    assert 'id="overdue-order-checks"' not in page


# ---- mentoring ----------------------------------------------------------------------------------


def test_mentoring_is_recorded_with_its_hours(client_for, juvenile_worker, referral_in_progress):
    client = client_for(juvenile_worker)
    response = client.post(
        f"/juvenile/{referral_in_progress.pk}/mentoring/new/",
        {
            "held_on": _days_ago(3),
            "kind": "public_interest",
            "content": "敬老院志愿服务",
            "hours": "2.5",
        },
    )
    assert response.status_code == 302
    record = MentoringRecord.objects.get()
    assert (record.kind, str(record.hours)) == ("public_interest", "2.5")
    assert "敬老院志愿服务" in client.get(f"/juvenile/{referral_in_progress.pk}/").content.decode()


# ---- closing ------------------------------------------------------------------------------------


def test_closing_waits_for_the_approved_report_when_an_investigation_was_asked_for(
    client_for, juvenile_worker, juvenile_supervisor, referral_in_progress
):
    client = client_for(juvenile_worker)
    url = f"/juvenile/{referral_in_progress.pk}/closing/"
    page = client.get(url).content.decode()
    assert 'id="closing-not-yet"' in page and 'id="closing-form"' not in page
    refused = client.post(
        url, {"version": referral_in_progress.version, "summary": "完成", "outcome": "良好"}
    )
    assert refused.status_code == 422 and not ClosingReport.objects.exists()

    approve_a_report(referral_in_progress, author=juvenile_worker, supervisor=juvenile_supervisor)
    referral_in_progress.refresh_from_db()
    assert 'id="closing-form"' in client.get(url).content.decode()
    done = client.post(
        url,
        {
            "version": referral_in_progress.version,
            "summary": "完成社会调查与指导",
            "outcome": "监护改善",
        },
    )
    assert done.status_code == 302
    referral_in_progress.refresh_from_db()
    assert referral_in_progress.status == ReferralStatus.DONE
    assert ClosingReport.objects.get().written_by == juvenile_worker
    assert 'id="closing-report"' in client.get(url).content.decode()


def test_closing_needs_a_referral_in_progress(client_for, juvenile_worker, referral):
    client = client_for(juvenile_worker)
    url = f"/juvenile/{referral.pk}/closing/"
    assert 'id="closing-form"' not in client.get(url).content.decode()
    response = client.post(url, {"version": referral.version, "summary": "x", "outcome": "y"})
    assert response.status_code == 422 and not ClosingReport.objects.exists()


def test_the_closing_page_counts_what_was_done(
    client_for, regions, liaison, procuratorate, juvenile_worker
):
    referral = services.referral_submit(
        by=liaison, agency=procuratorate, data=referral_data(regions, services=["guidance"])
    )
    referral = accept_and_start(referral, juvenile_worker)
    for attended in (True, False):
        services.session_add(
            by=juvenile_worker,
            referral_id=referral.pk,
            data={
                "held_on": _today(),
                "kind": "individual",
                "guardians_attending": "母亲",
                "attended": attended,
                "content": "面谈",
                "assignments": "",
            },
        )
    services.mentoring_add(
        by=juvenile_worker,
        referral_id=referral.pk,
        data={"held_on": _today(), "kind": "interest", "content": "书法", "hours": 2},
    )
    check = _order(referral, juvenile_worker).checks.get()
    services.compliance_record(by=juvenile_worker, check_id=check.pk, result="compliant")
    page = client_for(juvenile_worker).get(f"/juvenile/{referral.pk}/closing/").content.decode()
    assert 'id="closing-form"' in page  # no investigation asked for: no report needed
    for key, figure in (
        ("interviews", "0"),
        ("sessions", "2"),
        ("orders", "1 · 1"),
        ("mentoring", "1"),
    ):
        row = page.split(f'data-count="{key}"')[1].split("</li>")[0]
        assert f">{figure}" in row, key


# ---- who sees and records -----------------------------------------------------------------------


def test_a_liaison_reads_the_panels_but_gets_no_forms(
    client_for, liaison, juvenile_worker, referral_in_progress
):
    services.guidance_plan_save(
        by=juvenile_worker,
        referral_id=referral_in_progress.pk,
        goals="改善亲子沟通",
        content="面谈",
        sessions_planned=4,
    )
    check = _order(referral_in_progress, juvenile_worker).checks.get()
    client = client_for(liaison)
    page = client.get(f"/juvenile/{referral_in_progress.pk}/").content.decode()
    assert "改善亲子沟通" in page and f'data-check="{check.pk}"' in page
    assert "/guidance/sessions/new/" not in page and "/orders/new/" not in page
    for url in (
        f"/juvenile/{referral_in_progress.pk}/guidance/plan/",
        f"/juvenile/{referral_in_progress.pk}/guidance/sessions/new/",
        f"/juvenile/{referral_in_progress.pk}/orders/new/",
        f"/juvenile/{referral_in_progress.pk}/mentoring/new/",
    ):
        assert client.get(url).status_code == 404, url
    read_only = client.get(f"/juvenile/checks/{check.pk}/")
    assert read_only.status_code == 200 and 'id="check-form"' not in read_only.content.decode()
    assert client.post(f"/juvenile/checks/{check.pk}/", {"result": "compliant"}).status_code == 404
    assessment = client.get(f"/juvenile/{referral_in_progress.pk}/guidance/assessment/before/")
    assert (
        assessment.status_code == 200 and 'id="assessment-form"' not in assessment.content.decode()
    )
    closing = client.post(
        f"/juvenile/{referral_in_progress.pk}/closing/",
        {"version": 1, "summary": "x", "outcome": "y"},
    )
    assert closing.status_code == 404


@pytest.mark.parametrize("role", [Role.VILLAGE_DIRECTOR, Role.VOLUNTEER, Role.CENTER_WORKER])
def test_outsiders_get_404_on_every_page(
    client_for, make_user, role, juvenile_worker, referral_in_progress
):
    """A village director, a volunteer, a centre worker outside the programme: 404 everywhere."""
    check = _order(referral_in_progress, juvenile_worker).checks.get()
    client = client_for(make_user(role, username="outsider"))
    pk = referral_in_progress.pk
    for url in (
        f"/juvenile/{pk}/guidance/plan/",
        f"/juvenile/{pk}/guidance/sessions/new/",
        f"/juvenile/{pk}/guidance/assessment/before/",
        f"/juvenile/{pk}/orders/new/",
        f"/juvenile/checks/{check.pk}/",
        f"/juvenile/{pk}/mentoring/new/",
        f"/juvenile/{pk}/closing/",
    ):
        assert client.get(url).status_code == 404, url


def test_a_liaison_of_another_agency_gets_404(
    client_for, other_liaison, juvenile_worker, referral_in_progress
):
    check = _order(referral_in_progress, juvenile_worker).checks.get()
    client = client_for(other_liaison)
    assert client.get(f"/juvenile/checks/{check.pk}/").status_code == 404
    assert client.get(f"/juvenile/{referral_in_progress.pk}/closing/").status_code == 404
    assert (
        client.get(f"/juvenile/{referral_in_progress.pk}/guidance/assessment/after/").status_code
        == 404
    )


def test_a_programme_worker_of_another_township_cannot_record(
    client_for, make_user, regions, juvenile_worker, referral_in_progress
):
    far = in_programme(make_user(Role.TOWNSHIP_WORKER, region=regions.other_township))
    response = client_for(far).get(f"/juvenile/{referral_in_progress.pk}/guidance/plan/")
    assert response.status_code == 404
