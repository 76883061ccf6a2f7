"""Training courses: sessions, attendance of staff and volunteers of the course's region."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shegong.accounts.models import Role
from shegong.community import training
from shegong.community.models import TrainingCourse
from shegong.testing import login

from .helpers_volunteers import make_volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="worker")


@pytest.fixture
def outsider(make_user, regions):
    return make_user(Role.TOWNSHIP_WORKER, region=regions.other_township, username="outsider")


@pytest.fixture
def course(worker, regions):
    return training.course_create(
        by=worker, title="儿童保护培训", region=regions.township, audience="both", trainer="李老师"
    )


@pytest.fixture
def session(worker, course):
    return training.session_add(
        by=worker, course=course, date=dt.date(2025, 4, 2), topic="发现与报告", hours=Decimal(3)
    )


def test_staff_and_volunteers_of_the_region_attend(worker, course, session, regions, make_user):
    director = make_user(Role.VILLAGE_DIRECTOR, region=regions.village)
    volunteer = make_volunteer(regions.village)

    training.attendance_set(
        by=worker, session=session, staff_ids=[director.pk], volunteer_ids=[volunteer.pk]
    )

    assert list(session.staff.all()) == [director]
    assert list(volunteer.trainings.all()) == [session]


def test_people_of_another_township_cannot_be_ticked(worker, course, session, regions, outsider):
    far = make_volunteer(regions.far_village)

    with pytest.raises(ValidationError):
        training.attendance_set(
            by=worker, session=session, staff_ids=[outsider.pk], volunteer_ids=[]
        )
    with pytest.raises(ValidationError):
        training.attendance_set(by=worker, session=session, staff_ids=[], volunteer_ids=[far.pk])

    assert not session.staff.exists() and not session.volunteers.exists()


def test_a_staff_course_offers_no_volunteers(worker, regions):
    course = training.course_create(
        by=worker, title="督导", region=regions.township, audience="staff"
    )
    make_volunteer(regions.village)

    assert not training.eligible_volunteers(course, worker).exists()
    assert worker in training.eligible_staff(course)


def test_a_course_is_organised_in_the_users_write_scope(outsider, regions):
    with pytest.raises(ValidationError) as exc:
        training.course_create(by=outsider, title="x", region=regions.township, audience="both")

    assert "region" in exc.value.message_dict


def test_session_hours_must_be_sensible(worker, course):
    with pytest.raises(ValidationError) as exc:
        training.session_add(
            by=worker, course=course, date=dt.date(2025, 1, 1), topic="x", hours=Decimal(0)
        )

    assert "hours" in exc.value.message_dict


def test_attendance_is_ticked_on_the_page(client, worker, course, session, regions):
    volunteer = make_volunteer(regions.village, name="王小红")
    login(client, worker)
    url = reverse("community:training_attendance", args=[course.pk, session.pk])

    assert "王小红" in client.get(url).content.decode()
    response = client.post(url, {"staff": [worker.pk], "volunteers": [volunteer.pk]})

    assert response.status_code == 302
    assert list(session.volunteers.all()) == [volunteer]
    page = client.get(reverse("community:training", args=[course.pk])).content.decode()
    assert "王小红" in page


def test_a_course_and_sessions_are_created_on_the_pages(client, worker, regions):
    login(client, worker)

    client.post(
        reverse("community:training_new"),
        {"title": "急救", "region": regions.township.pk, "audience": "volunteers"},
    )
    course = TrainingCourse.objects.get()
    client.post(
        reverse("community:training", args=[course.pk]),
        {"date": "2025-05-01", "topic": "止血", "hours": "1.5"},
    )

    assert course.sessions.get().topic == "止血"
    assert "急救" in client.get(reverse("community:trainings")).content.decode()


def test_a_worker_of_another_township_gets_404(client, outsider, course, session):
    login(client, outsider)

    assert client.get(reverse("community:training", args=[course.pk])).status_code == 404
    url = reverse("community:training_attendance", args=[course.pk, session.pk])
    assert client.get(url).status_code == 404


def test_volunteers_and_viewers_get_404(client, make_user, course):
    for role in (Role.VOLUNTEER, Role.VIEWER):
        login(client, make_user(role))
        assert client.get(reverse("community:trainings")).status_code == 404
        assert client.get(reverse("community:training", args=[course.pk])).status_code == 404
