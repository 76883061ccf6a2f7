"""The task workflow: sign up, assign or decline, log hours, approve or reject. Only approved
hours count; illegal moves are refused and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.casework.models import Notification
from shegong.community import volunteers_selectors as selectors
from shegong.community import volunteers_tasks as tasks
from shegong.community.models import Assignment

from .helpers_volunteers import assigned, make_task, make_volunteer, signed_up

# Sign-up and assignment ----------------------------------------------------------------------


def test_a_volunteer_signs_up_and_the_organiser_accepts(
    organiser, task, volunteer, vol_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assignment = signed_up(task, vol_user)

    tasks.confirm(by=organiser, assignment=assignment, version=assignment.version)

    assignment.refresh_from_db()
    assert assignment.status == "assigned"
    assert Notification.objects.filter(user=organiser).count() == 1


def test_signing_up_twice_is_refused(task, volunteer, vol_user):
    signed_up(task, vol_user)

    with pytest.raises(ValidationError):
        signed_up(task, vol_user)

    assert Assignment.objects.count() == 1


def test_signing_up_on_a_full_task_is_refused(regions, organiser, task, volunteer, vol_user):
    for name in ("甲", "乙"):
        assigned(organiser, task, make_volunteer(regions.village, name=name))

    with pytest.raises(ValidationError):
        signed_up(task, vol_user)


def test_sign_ups_count_against_the_places(regions, organiser, volunteer, vol_user, make_user):
    task = make_task(regions.township, organiser, slots=1)
    signed_up(task, vol_user)

    with pytest.raises(ValidationError):
        assigned(organiser, task, make_volunteer(regions.village, name="乙"))


def test_a_task_of_another_township_is_not_open_to_the_volunteer(regions, outsider, vol_user):
    far = make_task(regions.other_township, outsider)

    with pytest.raises(ValidationError):
        tasks.sign_up(by=vol_user, task=far)


def test_a_district_task_is_open_to_every_village(regions, district_admin, volunteer, vol_user):
    wide = make_task(regions.district, district_admin)

    assert tasks.sign_up(by=vol_user, task=wide).status == "signed_up"


def test_a_closed_task_takes_no_sign_ups(organiser, task, volunteer, vol_user):
    tasks.task_set_status(by=organiser, task=task, version=task.version, status="closed")

    with pytest.raises(ValidationError):
        signed_up(task, vol_user)


def test_a_volunteer_signs_up_again_after_withdrawing(task, volunteer, vol_user):
    assignment = signed_up(task, vol_user)
    tasks.withdraw(by=vol_user, assignment=assignment, version=assignment.version)

    again = signed_up(task, vol_user)

    assert (again.pk, again.status) == (assignment.pk, "signed_up")


def test_the_organiser_declines_a_sign_up(organiser, task, volunteer, vol_user):
    assignment = signed_up(task, vol_user)

    tasks.decline(by=organiser, assignment=assignment, version=assignment.version)

    assignment.refresh_from_db()
    assert assignment.status == "withdrawn"


def test_a_volunteer_cannot_accept_their_own_sign_up(task, volunteer, vol_user):
    assignment = signed_up(task, vol_user)

    with pytest.raises(ValidationError):
        tasks.confirm(by=vol_user, assignment=assignment, version=assignment.version)


def test_a_stale_decision_is_refused(organiser, task, volunteer, vol_user):
    assignment = signed_up(task, vol_user)
    tasks.confirm(by=organiser, assignment=assignment, version=assignment.version)

    with pytest.raises(ValidationError) as exc:
        tasks.decline(by=organiser, assignment=assignment, version=assignment.version)

    assert exc.value.code == "stale"
    assignment.refresh_from_db()
    assert assignment.status == "assigned"


# Hours ---------------------------------------------------------------------------------------


def test_hours_are_logged_approved_and_counted(
    organiser, task, volunteer, vol_user, django_capture_on_commit_callbacks
):
    assignment = assigned(organiser, task, volunteer)

    with django_capture_on_commit_callbacks(execute=True):
        assignment = tasks.log_hours(
            by=vol_user, assignment=assignment, version=assignment.version, hours="2.5"
        )
    assert selectors.approved_hours_total(volunteer) == 0
    with django_capture_on_commit_callbacks(execute=True):
        tasks.approve_hours(by=organiser, assignment=assignment, version=assignment.version)

    assignment.refresh_from_db()
    assert (assignment.hours_status, assignment.approved_by) == ("approved", organiser)
    assert selectors.approved_hours_total(volunteer) == Decimal("2.5")
    assert Notification.objects.filter(user=organiser).count() == 1  # hours logged
    assert Notification.objects.filter(user=vol_user).count() == 1  # approved


def test_rejected_hours_do_not_count_and_need_a_note(
    organiser, task, volunteer, vol_user, django_capture_on_commit_callbacks
):
    assignment = assigned(organiser, task, volunteer)
    assignment = tasks.log_hours(
        by=vol_user, assignment=assignment, version=assignment.version, hours=8
    )

    with pytest.raises(ValidationError) as exc:
        tasks.reject_hours(by=organiser, assignment=assignment, version=assignment.version, note="")
    assert "note" in exc.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        tasks.reject_hours(
            by=organiser, assignment=assignment, version=assignment.version, note="只来了半天"
        )

    assignment.refresh_from_db()
    assert (assignment.hours_status, assignment.hours_note) == ("rejected", "只来了半天")
    assert selectors.approved_hours_total(volunteer) == 0
    assert Notification.objects.filter(user=vol_user).count() == 1


def test_rejected_hours_can_be_logged_again(organiser, task, volunteer, vol_user):
    a = assigned(organiser, task, volunteer)
    a = tasks.log_hours(by=vol_user, assignment=a, version=a.version, hours=8)
    a = tasks.reject_hours(by=organiser, assignment=a, version=a.version, note="太多")

    a = tasks.log_hours(by=vol_user, assignment=a, version=a.version, hours=4)

    assert (a.hours, a.hours_status) == (Decimal(4), "logged")


def test_approving_before_hours_are_logged_is_refused(organiser, task, volunteer):
    assignment = assigned(organiser, task, volunteer)

    with pytest.raises(ValidationError):
        tasks.approve_hours(by=organiser, assignment=assignment, version=assignment.version)


@pytest.mark.parametrize("hours", ["0", "0.4", "24.5", "abc", "1.3", "-2"])
def test_hours_outside_half_an_hour_to_a_day_are_refused(
    organiser, task, volunteer, vol_user, hours
):
    assignment = assigned(organiser, task, volunteer)

    with pytest.raises(ValidationError) as exc:
        tasks.log_hours(by=vol_user, assignment=assignment, version=assignment.version, hours=hours)

    assert "hours" in exc.value.message_dict


def test_hours_on_a_sign_up_or_a_withdrawn_assignment_are_refused(task, volunteer, vol_user):
    assignment = signed_up(task, vol_user)
    with pytest.raises(ValidationError):
        tasks.log_hours(by=vol_user, assignment=assignment, version=assignment.version, hours=2)

    tasks.withdraw(by=vol_user, assignment=assignment, version=assignment.version)
    assignment.refresh_from_db()
    with pytest.raises(ValidationError):
        tasks.log_hours(by=vol_user, assignment=assignment, version=assignment.version, hours=2)


def test_hours_of_a_future_task_are_refused(regions, organiser, volunteer, vol_user):
    later = make_task(regions.village, organiser, date=timezone.localdate() + dt.timedelta(days=3))
    assignment = assigned(organiser, later, volunteer)

    with pytest.raises(ValidationError):
        tasks.log_hours(by=vol_user, assignment=assignment, version=assignment.version, hours=2)


def test_the_volunteer_cannot_approve_their_own_hours(organiser, task, volunteer, vol_user):
    a = assigned(organiser, task, volunteer)
    a = tasks.log_hours(by=vol_user, assignment=a, version=a.version, hours=3)

    with pytest.raises(ValidationError):
        tasks.approve_hours(by=vol_user, assignment=a, version=a.version)


def test_staff_of_the_tasks_region_may_approve_for_the_organiser(
    organiser, colleague, regions, volunteer, vol_user
):
    village_task = make_task(regions.village, organiser)
    a = assigned(organiser, village_task, volunteer)
    a = tasks.log_hours(by=organiser, assignment=a, version=a.version, hours=3)

    tasks.approve_hours(by=colleague, assignment=a, version=a.version, note="好")

    a.refresh_from_db()
    assert a.approved_by == colleague


def test_staff_of_another_township_cannot_approve(organiser, outsider, task, volunteer, vol_user):
    a = assigned(organiser, task, volunteer)
    a = tasks.log_hours(by=vol_user, assignment=a, version=a.version, hours=3)

    with pytest.raises(ValidationError):
        tasks.approve_hours(by=outsider, assignment=a, version=a.version)


def test_another_volunteer_cannot_log_hours_on_my_assignment(
    organiser, task, volunteer, regions, make_user
):
    other_user = make_user(Role.VOLUNTEER)
    make_volunteer(regions.village, user=other_user, name="别人")
    a = assigned(organiser, task, volunteer)

    with pytest.raises(Http404):
        tasks.log_hours(by=other_user, assignment=a, version=a.version, hours=3)
