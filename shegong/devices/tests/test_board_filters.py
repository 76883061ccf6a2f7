"""The alarm board with the dashboard's filters (status, region, raised from/to): a plain list of
the alarms that match, its count the dashboard's figure, exported with the same rows (masking is
tested with the other exports); without a filter it stays the live board."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.devices import services
from shegong.devices.models import Outcome
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login, xlsx_rows

from .conftest import bind, raise_alarm

pytestmark = pytest.mark.django_db

BOARD = "/alarms/"


def found(client, **params) -> list[int]:
    response = client.get(BOARD, params)
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert 'id="found-alarms"' in html
    return sorted(int(pk) for pk in re.findall(r'data-alarm="(\d+)"', html))


def total(client, **params) -> int:
    html = client.get(BOARD, params).content.decode()
    return int(re.search(r'id="alarm-count" data-total="(\d+)"', html).group(1))


@pytest.fixture
def alarms(vendor, device, old_person, regions, village_director):
    """In the director's village: one open, one acknowledged, one resolved, one raised 40 days
    ago (open); in the sibling village: one open."""
    now = timezone.now()
    open_ = raise_alarm(vendor, "sos", now=now - dt.timedelta(minutes=30))
    acknowledged = raise_alarm(vendor, "fall", now=now - dt.timedelta(minutes=20))
    services.alarm_acknowledge(by=village_director, alarm_id=acknowledged.pk, now=now)
    resolved = raise_alarm(vendor, "gas", now=now - dt.timedelta(minutes=10))
    services.alarm_resolve(
        by=village_director, alarm_id=resolved.pk, outcome=Outcome.FALSE_ALARM, now=now
    )
    old = raise_alarm(vendor, "smoke", now=now - dt.timedelta(days=40))
    neighbour = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(81))
    bind(vendor, neighbour, "SOS-0002", by=village_director)
    sibling = raise_alarm(vendor, "sos", serial="SOS-0002", now=now - dt.timedelta(minutes=5))
    return {
        "open": open_,
        "acknowledged": acknowledged,
        "resolved": resolved,
        "old": old,
        "sibling": sibling,
    }


@pytest.fixture
def township(client, make_user):
    return login(client, make_user(Role.TOWNSHIP_WORKER))


def pks(alarms, *names) -> list[int]:
    return sorted(alarms[name].pk for name in names)


def test_without_a_filter_the_board_stays_live(township, alarms):
    html = township.get(BOARD).content.decode()
    assert 'id="alarm-board"' in html and "hx-trigger" in html
    assert 'id="found-alarms"' not in html
    assert '<details class="mb-3" id="alarm-filter">' in html  # the filter, folded away


def test_the_status_filter_matches_the_dashboards_figures(township, alarms):
    assert found(township, status="unacknowledged") == pks(alarms, "open", "old", "sibling")
    assert found(township, status="unresolved") == pks(
        alarms, "open", "acknowledged", "old", "sibling"
    )
    assert found(township, status="open") == found(township, status="unresolved")
    assert found(township, status="resolved") == pks(alarms, "resolved")
    assert total(township, status="unacknowledged") == 3
    html = township.get(BOARD, {"status": "resolved"}).content.decode()
    assert "hx-trigger" not in html  # a filtered list does not refresh itself under the reader
    assert '<details class="mb-3" id="alarm-filter" open>' in html


def test_the_region_and_dates_filters(township, alarms, regions):
    village = regions.village.prefix
    assert found(township, region=village) == pks(alarms, "open", "acknowledged", "resolved", "old")
    assert found(township, region=regions.sibling_village.prefix) == pks(alarms, "sibling")
    today = timezone.localdate().isoformat()
    assert found(township, region=village, **{"from": today, "to": today}) == pks(
        alarms, "open", "acknowledged", "resolved"
    )
    month_ago = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert found(township, to=month_ago) == pks(alarms, "old")
    html = township.get(BOARD, {"from": "not a date"}).content.decode()
    assert 'data-field-error="from"' in html


def test_a_day_runs_from_local_midnight_to_midnight(township, vendor, device):
    day = timezone.localdate() - dt.timedelta(days=3)
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    before = raise_alarm(vendor, "sos", now=midnight - dt.timedelta(minutes=1))
    services.alarm_resolve(
        by=device.bound_by, alarm_id=before.pk, outcome=Outcome.FALSE_ALARM, now=midnight
    )
    inside = raise_alarm(vendor, "fall", now=midnight + dt.timedelta(minutes=1))
    assert found(township, **{"from": day.isoformat(), "to": day.isoformat()}) == [inside.pk]


def test_the_export_holds_the_filtered_rows(township, alarms, regions):
    query = {"export": "xlsx", "status": "unacknowledged", "region": regions.village.prefix}
    rows = xlsx_rows(township.get(BOARD, query))
    assert len(rows) == 2  # the open one and the old one of the village
    assert {row[5] for row in rows} == {alarms["open"].person.name}


def test_outside_the_users_area_nothing_is_found(client, make_user, alarms, regions):
    far = login(client, make_user(Role.VILLAGE_DIRECTOR, region=regions.far_village))
    assert found(far, status="unresolved") == []
    assert found(far, region=regions.village.prefix) == []
