"""Registering volunteers and who may see them: staff by region, a volunteer only themself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from shegong.accounts.models import Role
from shegong.community import volunteers
from shegong.community.models import Assignment, Volunteer
from shegong.factories import PersonFactory
from shegong.testing import login

from .helpers_volunteers import make_task, make_volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="worker")


@pytest.fixture
def outsider(make_user, regions):
    return make_user(Role.TOWNSHIP_WORKER, region=regions.other_township, username="outsider")


@pytest.fixture
def volunteer_user(make_user):
    return make_user(Role.VOLUNTEER, username="vol")


@pytest.fixture
def volunteer(regions, volunteer_user):
    return make_volunteer(regions.village, user=volunteer_user, name="王小红")


# Registering ---------------------------------------------------------------------------------


def test_a_registry_person_becomes_a_volunteer_with_their_name_and_village(worker, regions):
    person = PersonFactory(region=regions.sibling_village, name="赵大海")

    found = volunteers.volunteer_create(by=worker, person=person, name="ignored", skills="驾驶")

    assert (found.name, found.region, found.person) == ("赵大海", regions.sibling_village, person)


def test_the_form_finds_the_person_by_exact_id_number_in_scope(client, worker, regions):
    person = PersonFactory(region=regions.village, name="赵大海")
    login(client, worker)

    response = client.post(
        reverse("community:volunteer_new"),
        {"id_number": person.id_number, "joined_on": "2024-03-01", "skills": "辅导"},
    )

    volunteer = Volunteer.objects.get()
    assert response.status_code == 302
    assert (volunteer.person, volunteer.name, volunteer.region) == (
        person,
        "赵大海",
        regions.village,
    )


def test_a_person_of_another_township_cannot_be_picked(client, worker, regions):
    far = PersonFactory(region=regions.far_village)
    login(client, worker)

    response = client.post(
        reverse("community:volunteer_new"), {"id_number": far.id_number, "joined_on": "2024-03-01"}
    )

    assert response.status_code == 200
    assert 'data-field-error="id_number"' in response.content.decode()
    assert not Volunteer.objects.exists()


def test_someone_outside_the_registry_needs_name_phone_and_village(worker, regions):
    with pytest.raises(ValidationError) as exc:
        volunteers.volunteer_create(by=worker, name="", phone="", region=None)

    assert set(exc.value.message_dict) == {"name", "phone", "region"}


def test_a_township_is_not_a_village(worker, regions):
    with pytest.raises(ValidationError) as exc:
        volunteers.volunteer_create(by=worker, name="甲", phone="139", region=regions.township)

    assert "region" in exc.value.message_dict


def test_registered_needs_the_national_number(worker, regions):
    with pytest.raises(ValidationError) as exc:
        volunteers.volunteer_create(
            by=worker, name="甲", phone="139", region=regions.village, registered=True
        )

    assert set(exc.value.message_dict) == {"national_number"}


def test_the_database_refuses_a_registered_volunteer_without_number(regions):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_volunteer(regions.village, registered=True, number="")


def test_a_volunteer_not_registered_keeps_no_number(worker, regions):
    found = volunteers.volunteer_create(
        by=worker, name="甲", phone="139", region=regions.village, national_number="X1"
    )

    assert found.national_number == ""


def test_a_worker_cannot_register_a_volunteer_in_another_township(outsider, regions):
    with pytest.raises(ValidationError) as exc:
        volunteers.volunteer_create(by=outsider, name="甲", phone="139", region=regions.village)

    assert "region" in exc.value.message_dict


def test_a_stale_edit_changes_nothing(worker, volunteer):
    volunteers.volunteer_update(
        by=worker, volunteer_id=volunteer.pk, version=1, changes={"skills": "急救"}
    )

    with pytest.raises(ValidationError) as exc:
        volunteers.volunteer_update(
            by=worker, volunteer_id=volunteer.pk, version=1, changes={"skills": "烹饪"}
        )

    assert exc.value.code == "stale"
    volunteer.refresh_from_db()
    assert (volunteer.skills, volunteer.version) == ("急救", 2)


def test_the_edit_form_registers_a_volunteer_with_their_number(client, worker, volunteer):
    login(client, worker)
    url = reverse("community:volunteer_edit", args=[volunteer.pk])
    data = {
        "name": volunteer.name,
        "phone": volunteer.phone,
        "region": volunteer.region_id,
        "joined_on": "2024-01-01",
        "is_active": "on",
        "registered": "on",
        "version": volunteer.version,
        "username": "vol",
    }

    refused = client.post(url, data)
    saved = client.post(url, {**data, "national_number": "13010023456"})

    assert 'data-field-error="national_number"' in refused.content.decode()
    assert saved.status_code == 302
    volunteer.refresh_from_db()
    assert (volunteer.registered, volunteer.national_number) == (True, "13010023456")


def test_only_an_account_with_the_volunteer_role_can_be_linked(worker, make_user, regions):
    staff = make_user(Role.VILLAGE_ASSISTANT)

    with pytest.raises(ValidationError) as exc:
        volunteers.volunteer_create(
            by=worker, name="甲", phone="139", region=regions.village, user=staff
        )

    assert "user" in exc.value.message_dict


# Who sees whom -------------------------------------------------------------------------------


def test_the_register_lists_volunteers_in_scope_with_their_approved_hours(
    client, worker, regions, volunteer, district_admin
):
    make_volunteer(regions.far_village, name="远方人")
    task = make_task(regions.village, worker)
    Assignment.objects.create(
        task=task,
        volunteer=volunteer,
        status="assigned",
        hours=Decimal("3.5"),
        hours_status="approved",
    )
    other = make_task(regions.village, worker, title="另一个")
    Assignment.objects.create(
        task=other,
        volunteer=volunteer,
        status="assigned",
        hours=Decimal("2"),
        hours_status="logged",
    )
    login(client, worker)

    page = client.get(reverse("community:volunteers")).content.decode()

    assert "王小红" in page and "远方人" not in page
    assert ">3.5</td>" in page


def test_the_register_filters_by_registration(client, worker, regions):
    make_volunteer(regions.village, name="有号", registered=True, number="N1")
    make_volunteer(regions.village, name="无号")
    login(client, worker)

    page = client.get(reverse("community:volunteers"), {"registered": "1"}).content.decode()

    assert "有号" in page and "无号" not in page


def test_the_register_takes_a_bounded_number_of_queries(
    client, worker, regions, django_assert_max_num_queries
):
    for n in range(15):
        volunteer = make_volunteer(regions.village, name=f"志愿者{n}")
        task = make_task(regions.village, worker, title=f"任务{n}")
        Assignment.objects.create(
            task=task, volunteer=volunteer, status="assigned", hours=1, hours_status="approved"
        )
    login(client, worker)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("community:volunteers"))

    assert response.status_code == 200


def test_a_worker_of_another_township_gets_404(client, outsider, volunteer):
    login(client, outsider)

    for name in ("community:volunteer", "community:volunteer_edit", "community:certificate"):
        assert client.get(reverse(name, args=[volunteer.pk])).status_code == 404


def test_a_viewer_gets_404(client, make_user, volunteer):
    login(client, make_user(Role.VIEWER))

    assert client.get(reverse("community:volunteers")).status_code == 404
    assert client.get(reverse("community:volunteer", args=[volunteer.pk])).status_code == 404


def test_a_volunteer_sees_only_their_own_record(client, volunteer_user, volunteer, regions):
    other = make_volunteer(regions.village, name="别人")
    login(client, volunteer_user)

    assert client.get(reverse("community:volunteer", args=[volunteer.pk])).status_code == 200
    assert client.get(reverse("community:volunteer", args=[other.pk])).status_code == 404
    assert client.get(reverse("community:volunteer_edit", args=[volunteer.pk])).status_code == 404
    assert client.get(reverse("community:volunteers")).status_code == 302


def test_the_detail_shows_approved_hours_and_trainings(client, worker, volunteer, regions):
    from shegong.community import training

    course = training.course_create(
        by=worker, title="急救培训", region=regions.township, audience="both"
    )
    session = training.session_add(
        by=worker, course=course, date=dt.date(2025, 3, 1), topic="心肺复苏", hours=Decimal(2)
    )
    training.attendance_set(by=worker, session=session, staff_ids=[], volunteer_ids=[volunteer.pk])
    login(client, worker)

    page = client.get(reverse("community:volunteer", args=[volunteer.pk])).content.decode()

    assert "急救培训" in page and "心肺复苏" in page
