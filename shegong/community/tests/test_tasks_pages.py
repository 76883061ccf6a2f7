"""Task pages, what a volunteer sees of the person served, the hours certificate, and the help
task of an activity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shegong.accounts.models import Role
from shegong.community import volunteers_selectors as selectors
from shegong.community import volunteers_tasks as tasks
from shegong.community.models import Activity, Assignment, VolunteerTask
from shegong.community.volunteers import activity_volunteers, assign_to_activity
from shegong.factories import PersonFactory
from shegong.testing import login

from .helpers_volunteers import assigned, make_task, make_volunteer

# Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def served(regions):
    return PersonFactory(
        region=regions.village, name="孙奶奶", phone="13812345678", address="东庄村三组12号"
    )


def test_the_volunteer_page_shows_only_name_and_village_of_the_person_served(
    client, organiser, regions, volunteer, vol_user, served
):
    task = make_task(regions.village, organiser, person=served, title="陪孙奶奶看病")
    assigned(organiser, task, volunteer)
    login(client, vol_user)

    pages = [
        client.get(reverse("community:my_tasks")).content.decode(),
        client.get(reverse("community:task", args=[task.pk])).content.decode(),
    ]

    for page in pages:
        assert "孙奶奶 · 东庄村" in page
        for secret in (
            served.id_number,
            served.id_number_masked,
            "13812345678",
            served.phone_masked,
            "三组12号",
            str(served.birth_date),
        ):
            assert secret not in page


def test_open_tasks_near_the_volunteer_are_offered(
    client, organiser, regions, outsider, volunteer, vol_user
):
    make_task(regions.township, organiser, title="镇上的任务")
    make_task(regions.other_township, outsider, title="别镇的任务")
    login(client, vol_user)

    page = client.get(reverse("community:my_tasks")).content.decode()

    assert "镇上的任务" in page and "别镇的任务" not in page


def test_the_volunteer_signs_up_and_logs_hours_through_the_pages(
    client, organiser, task, volunteer, vol_user
):
    login(client, vol_user)
    client.post(reverse("community:task_sign_up", args=[task.pk]))
    assignment = Assignment.objects.get()
    tasks.confirm(by=organiser, assignment=assignment, version=assignment.version)
    assignment.refresh_from_db()

    response = client.post(
        reverse("community:assignment_action", args=[assignment.pk, "log"]),
        {"hours": "3", "version": assignment.version},
    )

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.hours, assignment.hours_status) == (Decimal(3), "logged")


def test_the_organiser_approves_on_the_task_page(client, organiser, task, volunteer, vol_user):
    a = assigned(organiser, task, volunteer)
    a = tasks.log_hours(by=vol_user, assignment=a, version=a.version, hours=3)
    login(client, organiser)

    assert "王小红" in client.get(reverse("community:task", args=[task.pk])).content.decode()
    client.post(
        reverse("community:assignment_action", args=[a.pk, "approve"]), {"version": a.version}
    )

    a.refresh_from_db()
    assert a.hours_status == "approved"


def test_a_volunteer_reaching_another_volunteers_task_or_assignment_gets_404(
    client, organiser, regions, task, volunteer, make_user
):
    other_user = make_user(Role.VOLUNTEER)
    other = make_volunteer(regions.village, user=other_user, name="别人")
    a = assigned(organiser, task, other)
    login(client, vol_user := volunteer.user)

    assert client.get(reverse("community:task", args=[task.pk])).status_code == 404
    response = client.post(
        reverse("community:assignment_action", args=[a.pk, "log"]),
        {"hours": "3", "version": a.version},
    )
    assert response.status_code == 404
    assert client.get(reverse("community:certificate", args=[other.pk])).status_code == 404
    assert vol_user.pk != other_user.pk


def test_a_worker_of_another_township_gets_404_on_the_task(client, outsider, task):
    login(client, outsider)

    assert client.get(reverse("community:task", args=[task.pk])).status_code == 404
    assert client.get(reverse("community:task_edit", args=[task.pk])).status_code == 404


def test_the_task_list_is_scoped(client, organiser, outsider, regions, task):
    make_task(regions.other_township, outsider, title="别镇的任务")
    login(client, organiser)

    page = client.get(reverse("community:tasks")).content.decode()

    assert task.title in page and "别镇的任务" not in page


def test_a_task_is_created_with_a_person_served_found_by_id_number(
    client, organiser, regions, served
):
    login(client, organiser)

    response = client.post(
        reverse("community:task_new"),
        {
            "title": "送餐",
            "kind": "chores",
            "region": regions.village.pk,
            "date": "2025-05-01",
            "slots": 2,
            "person_id_number": served.id_number,
        },
    )

    assert response.status_code == 302
    assert VolunteerTask.objects.get().person == served


def test_a_task_edit_with_a_stale_version_is_refused(organiser, task):
    tasks.task_update(by=organiser, task=task, version=task.version, changes={"slots": 3})

    with pytest.raises(ValidationError) as exc:
        tasks.task_update(by=organiser, task=task, version=1, changes={"slots": 5})

    assert exc.value.code == "stale"


# Certificate ---------------------------------------------------------------------------------


def _approved(organiser, volunteer, regions, date, hours, title):
    task = make_task(regions.village, organiser, date=date, title=title)
    return Assignment.objects.create(
        task=task, volunteer=volunteer, status="assigned", hours=hours, hours_status="approved"
    )


def test_the_certificate_totals_approved_hours_in_the_period(
    client, organiser, regions, volunteer, vol_user
):
    volunteer.registered, volunteer.national_number = True, "13011100001"
    volunteer.save()
    _approved(organiser, volunteer, regions, dt.date(2025, 3, 1), Decimal("2.5"), "三月任务")
    _approved(organiser, volunteer, regions, dt.date(2025, 6, 1), Decimal("4"), "六月任务")
    _approved(organiser, volunteer, regions, dt.date(2024, 6, 1), Decimal("9"), "去年任务")
    logged = make_task(regions.village, organiser, date=dt.date(2025, 7, 1), title="未批任务")
    Assignment.objects.create(
        task=logged, volunteer=volunteer, status="assigned", hours=5, hours_status="logged"
    )
    login(client, vol_user)

    page = client.get(
        reverse("community:certificate", args=[volunteer.pk]),
        {"from": "2025-01-01", "to": "2025-12-31"},
    ).content.decode()

    assert 'id="certificate-total">6.5<' in page
    assert "三月任务" in page and "六月任务" in page
    assert "去年任务" not in page and "未批任务" not in page
    assert "13011100001" in page
    assert "@media print" in page


def test_the_certificate_names_no_personal_data_of_people_served(
    client, organiser, regions, volunteer, served
):
    task = make_task(regions.village, organiser, person=served, title="陪伴")
    Assignment.objects.create(
        task=task, volunteer=volunteer, status="assigned", hours=2, hours_status="approved"
    )
    login(client, organiser)

    page = client.get(reverse("community:certificate", args=[volunteer.pk])).content.decode()

    assert "陪伴" in page and "孙奶奶" not in page and served.id_number_masked not in page


# The activities part -------------------------------------------------------------------------


def test_volunteers_are_put_on_an_activity_once(organiser, regions, volunteer):
    activity = Activity.objects.create(
        title="重阳节活动",
        kind="festival",
        region=regions.village,
        date=dt.date(2025, 10, 29),
        target_group="elderly",
        created_by=organiser,
    )
    other = make_volunteer(regions.sibling_village, name="乙")

    task = assign_to_activity(by=organiser, activity=activity, volunteers=[volunteer])
    again = assign_to_activity(by=organiser, activity=activity, volunteers=[volunteer, other])

    assert task.pk == again.pk and again.kind == "activity"
    assert set(activity_volunteers(activity)) == {volunteer, other}
    assert again.assignments.filter(status="assigned").count() == 2
    a = again.assignments.get(volunteer=other)
    tasks.decline(by=organiser, assignment=a, version=a.version)
    assert set(activity_volunteers(activity)) == {volunteer}
    assert selectors.activities_count(volunteer) == 1


def test_an_outsider_cannot_put_volunteers_on_an_activity(outsider, organiser, regions, volunteer):
    activity = Activity.objects.create(
        title="讲座",
        kind="lecture",
        region=regions.village,
        date=dt.date(2025, 10, 1),
        target_group="residents",
        created_by=organiser,
    )

    with pytest.raises(ValidationError):
        assign_to_activity(by=outsider, activity=activity, volunteers=[volunteer])


def test_every_form_and_list_renders_for_the_organiser(client, organiser, task, volunteer):
    login(client, organiser)

    for url in (
        reverse("community:tasks"),
        reverse("community:task_new"),
        reverse("community:task_edit", args=[task.pk]),
        reverse("community:task", args=[task.pk]),
        reverse("community:volunteer_new"),
        reverse("community:volunteer_edit", args=[volunteer.pk]),
        reverse("community:training_new"),
    ):
        assert client.get(url).status_code == 200, url


def test_the_volunteer_page_takes_a_bounded_number_of_queries(
    client, organiser, regions, volunteer, vol_user, served, django_assert_max_num_queries
):
    for n in range(8):
        task = make_task(regions.village, organiser, person=served, title=f"任务{n}")
        assigned(organiser, task, volunteer)
        make_task(regions.township, organiser, title=f"开放{n}")
    login(client, vol_user)

    with django_assert_max_num_queries(14):
        page = client.get(reverse("community:my_tasks")).content.decode()

    assert "任务7" in page and "开放7" in page
