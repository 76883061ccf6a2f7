"""Fixtures shared by the volunteer-task tests: an organiser in the township, a colleague in the
village, an outsider in another township, and a volunteer (with an account) of the village."""

from __future__ import annotations

import pytest

from shegong.accounts.models import Role

from .helpers_volunteers import make_task, make_volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="organiser")


@pytest.fixture
def colleague(make_user, regions):
    return make_user(Role.VILLAGE_DIRECTOR, region=regions.village, username="colleague")


@pytest.fixture
def outsider(make_user, regions):
    return make_user(Role.TOWNSHIP_WORKER, region=regions.other_township, username="outsider")


@pytest.fixture
def vol_user(make_user):
    return make_user(Role.VOLUNTEER, username="vol")


@pytest.fixture
def volunteer(regions, vol_user):
    return make_volunteer(regions.village, user=vol_user, name="王小红")


@pytest.fixture
def task(regions, organiser):
    return make_task(regions.township, organiser, slots=2)
