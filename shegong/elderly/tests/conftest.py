"""Fixtures for elderly care: an old person in the director's village, a second assessor."""

from __future__ import annotations

import pytest

from shegong.accounts.models import Role
from shegong.elderly.standard import ITEMS
from shegong.factories import PersonFactory, born_years_ago


def items_totalling(total: int) -> dict[str, int]:
    """Item scores adding up to ``total`` (0–90): every item at its best, then lowered in order."""
    items = {item.key: item.maximum for item in ITEMS}
    excess = 90 - total
    for item in ITEMS:
        cut = min(excess, item.maximum)
        items[item.key] -= cut
        excess -= cut
    assert sum(items.values()) == total
    return items


@pytest.fixture
def old_person(regions):
    """A 72-year-old in the village director's own village."""
    return PersonFactory(region=regions.village, name="王秀英", birth_date=born_years_ago(72))


@pytest.fixture
def assistant(make_user):
    """The second assessor: the village's social-work assistant."""
    return make_user(Role.VILLAGE_ASSISTANT, username="assistant", full_name="李助理")
