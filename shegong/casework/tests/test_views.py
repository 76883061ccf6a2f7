import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation

from shegong.accounts.models import Programme
from shegong.audit.models import AccessLog
from shegong.casework import services
from shegong.casework.models import Case, CaseEvent, Notification, PlanTask, Stage, Visit
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login

from .conftest import fresh

pytestmark = pytest.mark.django_db


def url(case, action=""):
    base = f"/work/cases/{case.pk}/"
    return f"{base}{action}/" if action else base


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_case_page_shows_the_stage_the_person_and_the_trail(director_client, case):
    response = director_client.get(url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-stage="intake"' in html
    assert "李小花" in html
    assert case.person.id_number_masked in html
    assert case.person.id_number not in html
    assert 'data-event="opened"' in html
    assert 'id="visit-form"' in html


def test_reading_a_childs_case_is_in_the_access_log(director_client, case, village_director):
    director_client.get(url(case))

    assert AccessLog.objects.filter(user=village_director, person=case.person).exists()


def test_an_outsider_gets_404_for_the_case_and_every_action(client, outsider, case):
    login(client, outsider)

    assert client.get(url(case)).status_code == 404
    for action in ("move", "reopen", "workers", "transfer", "plan", "tasks", "notes", "visits"):
        response = client.post(
            url(case, action), {"version": case.version, "to_stage": "assessment"}
        )
        assert response.status_code == 404, action
    assert fresh(case).stage == Stage.INTAKE


def test_a_volunteer_gets_404(client, make_user, case):
    login(client, make_user("volunteer"))
    assert client.get(url(case)).status_code == 404
    assert client.get("/work/my-work/").status_code == 404


def test_moving_forward_with_the_read_version(director_client, case):
    response = director_client.post(
        url(case, "move"), {"version": case.version, "to_stage": "assessment"}, follow=True
    )

    assert fresh(case).stage == Stage.ASSESSMENT
    assert 'data-stage="assessment"' in response.content.decode()


def test_a_stale_version_shows_the_conflict_and_changes_nothing(director_client, case, assistant):
    services.case_move(by=assistant, case_id=case.pk, version=case.version, to_stage="assessment")
    events = CaseEvent.objects.count()

    response = director_client.post(
        url(case, "move"), {"version": case.version, "to_stage": "plan"}, follow=True
    )

    with translation.override("zh-hans"):
        expected = str(services.StaleCase())
    assert expected in shown_messages(response)
    after = fresh(case)
    assert (after.stage, after.version) == (Stage.ASSESSMENT, case.version + 1)
    assert CaseEvent.objects.count() == events


def test_a_gate_explains_itself(director_client, case, village_director):
    case = services.case_move(
        by=village_director, case_id=case.pk, version=case.version, to_stage="assessment"
    )
    response = director_client.post(
        url(case, "move"), {"version": case.version, "to_stage": "plan"}, follow=True
    )

    assert fresh(case).stage == Stage.ASSESSMENT
    assert len(shown_messages(response)) == 1


def test_assign_remove_and_transfer(director_client, case, assistant, village_director):
    director_client.post(
        url(case, "workers"), {"version": case.version, "worker": assistant.pk, "action": "add"}
    )
    case = fresh(case)
    assert list(case.workers.all()) == [assistant]

    director_client.post(
        url(case, "workers"), {"version": case.version, "worker": assistant.pk, "action": "remove"}
    )
    case = fresh(case)
    assert not case.workers.exists()

    director_client.post(url(case, "transfer"), {"version": case.version, "owner": assistant.pk})
    assert fresh(case).owner == assistant
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {"assigned", "unassigned", "transferred"} <= kinds


def test_reopen_with_a_reason(director_client, case, village_director, supervisor):
    from .conftest import advance_to

    closed = advance_to(case, Stage.CLOSED, by=village_director, approver=supervisor)
    assert 'id="reopen-form"' in director_client.get(url(case)).content.decode()

    director_client.post(url(case, "reopen"), {"version": closed.version, "reason": "再次外出"})

    assert fresh(case).stage == Stage.ASSESSMENT


def test_plan_tasks_and_approval_through_the_page(
    director_client, client, case, village_director, supervisor
):
    case = services.case_move(
        by=village_director, case_id=case.pk, version=case.version, to_stage="assessment"
    )
    director_client.post(url(case, "approvals"), {"subject": "assessment"})
    approval = case.approvals.get()

    supervisor_client = login(Client(), supervisor)
    page = supervisor_client.get(url(case)).content.decode()
    assert f"/approvals/{approval.pk}/" in page
    assert f"/approvals/{approval.pk}/" not in director_client.get(url(case)).content.decode()

    supervisor_client.post(
        url(case, f"approvals/{approval.pk}"), {"decision": "return", "comment": ""}
    )
    approval.refresh_from_db()
    assert approval.status == "requested"  # returning needs a comment
    supervisor_client.post(url(case, f"approvals/{approval.pk}"), {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.status == "approved"

    case = fresh(case)
    director_client.post(url(case, "move"), {"version": case.version, "to_stage": "plan"})
    plan = fresh(case).plan
    director_client.post(
        url(case, "plan"), {"version": plan.version, "goals": "稳定监护", "services": "村委会"}
    )
    assert fresh(case).plan.goals == "稳定监护"

    due = timezone.localdate() + dt.timedelta(days=5)
    director_client.post(
        url(case, "tasks"),
        {"title": "联系学校", "owner": village_director.pk, "due_on": due.isoformat()},
    )
    task = PlanTask.objects.get()
    assert (task.owner, task.due_on) == (village_director, due)
    director_client.post(url(case, f"tasks/{task.pk}/done"))
    task.refresh_from_db()
    assert task.done_on == timezone.localdate()


def test_confidential_notes_are_hidden_from_other_workers(
    director_client, client, case, assistant, make_user
):
    director_client.post(url(case, "notes"), {"method": "casework", "text": "公开的记录"})
    director_client.post(
        url(case, "notes"), {"method": "casework", "text": "保密的记录", "confidential": "on"}
    )

    assert "保密的记录" in director_client.get(url(case)).content.decode()
    login(client, assistant)
    page = client.get(url(case)).content.decode()
    assert "公开的记录" in page
    assert "保密的记录" not in page


def test_recording_a_visit_from_the_case_page(director_client, case, village_director):
    today = timezone.localdate()
    response = director_client.post(
        url(case, "visits"),
        {
            "visited_on": today.isoformat(),
            "mode": "phone",
            "seen": "奶奶",
            "observations": "按时上学",
            "concerns": "",
            "next_visit_on": (today + dt.timedelta(days=7)).isoformat(),
        },
    )

    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.case, visit.mode, visit.seen, visit.visited_by) == (
        case,
        "phone",
        "奶奶",
        village_director,
    )


def test_a_visit_in_the_future_is_refused_under_its_field(director_client, case):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = director_client.post(
        url(case, "visits"), {"visited_on": tomorrow.isoformat(), "mode": "home"}
    )

    assert response.status_code == 200
    assert 'data-field-error="visited_on"' in response.content.decode()
    assert not Visit.objects.exists()


def test_the_visit_form_defaults_to_today(director_client, case):
    form = director_client.get(url(case)).context["visit_form"]
    assert form["visited_on"].value() == timezone.localdate()


# ---- the case list --------------------------------------------------------------------------


def test_the_case_list_is_scoped_and_filtered(
    director_client, case, regions, make_user, supervisor
):
    far_child = PersonFactory(region=regions.far_village, birth_date=born_years_ago(8))
    far_director = make_user("village_director", regions.far_village)
    services.case_open(by=far_director, person=far_child, programme=Programme.MINORS)
    elderly = PersonFactory(region=regions.village, name="王大爷")
    services.case_open(by=supervisor, person=elderly, programme=Programme.ELDERLY)

    everything = director_client.get("/work/cases/").context["cases"]
    assert {c.person.name for c in everything} == {"李小花", "王大爷"}
    minors = director_client.get("/work/cases/", {"programme": "minors"}).context["cases"]
    assert [c.person.name for c in minors] == ["李小花"]
    closed = director_client.get("/work/cases/", {"stage": "closed"}).context["cases"]
    assert list(closed) == []
    mine = director_client.get("/work/cases/", {"mine": "1"}).context["cases"]
    assert [c.person.name for c in mine] == ["李小花"]


CASE_LIST_QUERIES = 9  # with the regions of the region filter


def test_the_case_list_query_count_does_not_grow_with_cases(
    director_client, regions, village_director, django_assert_num_queries
):
    def add_cases(n):
        for _ in range(n):
            person = PersonFactory(region=regions.village, birth_date=born_years_ago(10))
            services.case_open(by=village_director, person=person, programme=Programme.MINORS)

    add_cases(2)
    director_client.get("/work/cases/")  # warm the session
    with django_assert_num_queries(CASE_LIST_QUERIES):
        director_client.get("/work/cases/")
    add_cases(10)
    with django_assert_num_queries(CASE_LIST_QUERIES):
        response = director_client.get("/work/cases/")
    assert len(response.context["cases"]) == 12
    assert Case.objects.count() == 12


# ---- notifications --------------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(director_client, village_director):
    one = Notification.objects.create(user=village_director, key="a", title="第一条")
    Notification.objects.create(user=village_director, key="b", title="第二条")

    page = director_client.get("/work/my-work/").content.decode()
    assert "第一条" in page and "第二条" in page

    director_client.post("/work/notifications/read/", {"notification": one.pk})
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    director_client.post("/work/notifications/read/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_someone_elses_notification_cannot_be_marked_read(director_client, assistant):
    theirs = Notification.objects.create(user=assistant, key="a", title="x")
    director_client.post("/work/notifications/read/", {"notification": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


# ---- opening a case -------------------------------------------------------------------------


def test_opening_a_case_for_a_person(director_client, child, village_director):
    form = director_client.get("/work/cases/new/", {"person": child.pk})
    assert form.status_code == 200

    response = director_client.post(
        f"/work/cases/new/?person={child.pk}",
        {"programme": "minors", "title": "", "reason": "父母外出务工"},
    )

    case = Case.objects.get()
    assert response.status_code == 302 and response.url == case.get_absolute_url()
    assert (case.person, case.owner, case.reason) == (child, village_director, "父母外出务工")


def test_a_second_open_case_is_explained_on_the_form(director_client, case, child):
    response = director_client.post(
        f"/work/cases/new/?person={child.pk}", {"programme": "minors", "reason": "再开"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Case.objects.count() == 1


def test_an_outsider_cannot_open_a_case_for_someone_out_of_scope(client, outsider, child):
    login(client, outsider)
    assert client.get("/work/cases/new/", {"person": child.pk}).status_code == 404
    response = client.post(
        f"/work/cases/new/?person={child.pk}", {"programme": "minors", "reason": "x"}
    )
    assert response.status_code == 404
    assert not Case.objects.exists()
