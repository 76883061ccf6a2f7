""" "My work" and the daily reminder job share one computation (selectors.work_for / due_items)."""

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from shegong.casework import selectors, services, tasks
from shegong.casework.models import ApprovalSubject, Notification, Stage
from shegong.factories import PersonFactory, born_years_ago

from .conftest import move

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def child_profile(person, **fields):
    """A child file of the children programme (read through the app registry, as casework does)."""
    return apps.get_model("children", "ChildProfile").objects.create(person=person, **fields)


@pytest.fixture
def children(regions, village_director, supervisor):
    """Four children of the director's village: visit overdue, reassessment due in three days,
    visit due in a month (not shown), and one in another director's care."""

    def make(name):
        return PersonFactory(region=regions.village, name=name, birth_date=born_years_ago(7))

    return {
        "overdue": child_profile(
            make("逾期"), director=village_director, supervisor=supervisor, next_visit_due=days(-2)
        ),
        "soon": child_profile(make("将到"), director=village_director, next_assessment_due=days(3)),
        "later": child_profile(make("以后"), director=village_director, next_visit_due=days(30)),
        "others": child_profile(make("别人"), next_visit_due=days(-5)),
    }


def names(items):
    return [(item.kind, item.person_name) for item in items]


def test_my_work_lists_overdue_and_upcoming_visits_and_reassessments(children, village_director):
    work = selectors.work_for(user=village_director, today=timezone.localdate())

    assert names(work.overdue) == [("visit", "逾期")]
    assert names(work.upcoming) == [("assessment", "将到")]


def test_the_supervisor_of_a_child_sees_it_too(children, supervisor):
    work = selectors.work_for(user=supervisor, today=timezone.localdate())

    assert names(work.overdue) == [("visit", "逾期")]


def test_my_work_lists_own_tasks_waiting_approvals_and_own_cases(
    case, village_director, assistant, supervisor
):
    services.plan_task_add(
        by=village_director, case_id=case.pk, title="家访", owner=assistant, due_on=days(-1)
    )
    services.plan_task_add(
        by=village_director, case_id=case.pk, title="联系学校", owner=assistant, due_on=days(20)
    )
    services.plan_task_add(
        by=village_director, case_id=case.pk, title="别人的", owner=village_director, due_on=days(1)
    )
    move(case, Stage.ASSESSMENT, by=village_director)
    services.approval_request(
        by=village_director, case_id=case.pk, subject=ApprovalSubject.ASSESSMENT
    )

    mine = selectors.work_for(user=assistant, today=timezone.localdate())
    assert [i.title for i in mine.overdue] == ["家访"]
    assert [i.title for i in mine.later_tasks] == ["联系学校"]
    assert mine.approvals == []

    boss = selectors.work_for(user=supervisor, today=timezone.localdate())
    assert names(boss.approvals) == [("approval", "李小花")]
    director = selectors.work_for(user=village_director, today=timezone.localdate())
    assert director.approvals == []  # their own request
    assert [c.pk for c in director.cases] == [case.pk]


def test_the_my_work_page_shows_it(director_client, children, case):
    response = director_client.get("/work/my-work/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "逾期" in html and "将到" in html
    assert "以后" not in html and "别人" not in html
    assert case.get_absolute_url() in html


def test_an_outsider_sees_none_of_it(client, outsider, children):
    from shegong.testing import login

    login(client, outsider)
    # Even made responsible by mistake, a child outside their scope stays hidden.
    children["others"].director = outsider
    children["others"].save()

    work = selectors.work_for(user=outsider, today=timezone.localdate())
    assert work.overdue == [] and work.upcoming == []


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Notifications are created after the commit; tests run inside one transaction."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def test_the_daily_job_notifies_each_item_once(children, village_director, supervisor, on_commit):
    on_commit(tasks.send_reminders.call_local)
    on_commit(tasks.send_reminders.call_local)

    director = Notification.objects.filter(user=village_director)
    assert director.count() == 1
    [note] = director
    assert note.key == f"due:visit:{children['overdue'].pk}:{days(-2).isoformat()}"
    assert "逾期" in note.title
    assert Notification.objects.filter(user=supervisor).count() == 1


def test_a_new_due_date_is_a_new_reminder(children, village_director, on_commit):
    on_commit(services.reminders_send)
    profile = children["overdue"]
    profile.next_visit_due = days(0)
    profile.save()

    on_commit(services.reminders_send)

    assert Notification.objects.filter(user=village_director).count() == 2


def test_the_daily_job_reminds_of_tasks_and_waiting_approvals_once(
    case, village_director, assistant, supervisor, on_commit
):
    services.plan_task_add(
        by=village_director, case_id=case.pk, title="家访", owner=assistant, due_on=days(0)
    )
    move(case, Stage.ASSESSMENT, by=village_director)
    on_commit(
        services.approval_request,
        by=village_director,
        case_id=case.pk,
        subject=ApprovalSubject.ASSESSMENT,
    )
    assert Notification.objects.filter(user=supervisor).count() == 1

    on_commit(services.reminders_send)

    assert Notification.objects.filter(user=assistant).count() == 1
    # The request already told the supervisor: the morning job does not repeat it.
    assert Notification.objects.filter(user=supervisor).count() == 1


def test_the_daily_job_is_a_periodic_huey_task():
    from huey.contrib.djhuey import HUEY

    [task] = [t for t in HUEY._registry._periodic_tasks if t.__name__ == "send_reminders"]
    # 22:30 UTC is 06:30 in Asia/Shanghai.
    assert task().validate_datetime(dt.datetime(2026, 3, 2, 22, 30))
    assert not task().validate_datetime(dt.datetime(2026, 3, 2, 6, 30))


def test_the_my_work_page_query_count_does_not_grow(
    director_client, regions, village_director, django_assert_max_num_queries
):
    def add_children(n):
        for _ in range(n):
            person = PersonFactory(region=regions.village, birth_date=born_years_ago(6))
            child_profile(person, director=village_director, next_visit_due=days(-1))

    add_children(1)
    with django_assert_max_num_queries(14):
        director_client.get("/work/my-work/")
    add_children(15)
    with django_assert_max_num_queries(14):
        response = director_client.get("/work/my-work/")
    assert len(response.context["work"].overdue) == 16
