"""Builders shared by the volunteer, task and training tests (plain functions; the fixtures
are in conftest.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shegong.community import volunteers_tasks as tasks
from shegong.community.models import Assignment, Volunteer, VolunteerTask


def make_volunteer(region, *, user=None, name="李志愿", registered=False, number="", **fields):
    return Volunteer.objects.create(
        name=name,
        phone=fields.pop("phone", "13900000001"),
        region=region,
        user=user,
        registered=registered,
        national_number=number,
        joined_on=fields.pop("joined_on", dt.date(2024, 1, 1)),
        **fields,
    )


def make_task(region, organiser, *, title="陪伴老人", slots=2, date=None, **fields):
    return VolunteerTask.objects.create(
        title=title,
        kind=fields.pop("kind", "visit"),
        region=region,
        date=date or timezone.localdate(),
        slots=slots,
        organiser=organiser,
        **fields,
    )


def signed_up(task, volunteer_user) -> Assignment:
    return tasks.sign_up(by=volunteer_user, task=task)


def assigned(organiser, task, volunteer) -> Assignment:
    return tasks.assign(by=organiser, task=task, volunteer=volunteer)
