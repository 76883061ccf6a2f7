"""Fixtures for the minors programme: the default instrument, a child, the people around them."""

from __future__ import annotations

import pytest

from shegong.accounts.models import Role
from shegong.children import scoring, services
from shegong.factories import PersonFactory, born_years_ago


@pytest.fixture
def instrument(db):
    return services.instrument_ensure_default()


@pytest.fixture
def spec(instrument):
    return scoring.InstrumentSpec.load(instrument)


@pytest.fixture
def child(regions):
    """A ten-year-old in the village director's own village."""
    return PersonFactory(region=regions.village, name="李小花", birth_date=born_years_ago(10))


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.TOWNSHIP_SUPERVISOR, username="supervisor", full_name="赵督导")
