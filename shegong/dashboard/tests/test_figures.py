"""The dashboard figures: each counts the right rows, townships add up to the district, the
period is respected, and the queries do not grow with the data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shegong.dashboard import figures
from shegong.elderly.models import ElderlyProfile
from shegong.elderly.selectors import special_difficulty_reasons
from shegong.factories import PersonFactory, born_years_ago

from .conftest import LAST_YEAR, PER_REGION, START, TODAY, alarm, records

pytestmark = pytest.mark.django_db

DISTRICT, TOWNSHIP, VILLAGE = "130111", "130111100", "130111100201"


def times(n: int) -> dict:
    return {key: value * n for key, value in PER_REGION.items()}


def test_the_district_counts_every_record_of_its_five_regions(data):
    found = figures.overview(area=DISTRICT, start=START, end=TODAY)
    for key, expected in times(5).items():
        assert found[key] == expected, key
    assert found["stations"] == 5
    assert (found["townships"], found["villages"]) == (2, 3)
    assert found["staff"] == 4  # the volunteer is no station staff
    # township 1 short, villages 1 + 2 + 2, the other township 3, the centre complete
    assert found["staffing_gaps"] == 9
    assert found["visit_rate"] == 100
    assert found["cases_by_stage"]["intake"] == 5


def test_a_township_counts_its_villages_and_its_own_station(data):
    found = figures.overview(area=TOWNSHIP, start=START, end=TODAY)
    for key, expected in times(3).items():
        assert found[key] == expected, key
    assert (found["stations"], found["staff"], found["staffing_gaps"]) == (3, 3, 4)


def test_a_village_counts_only_itself(data):
    found = figures.overview(area=VILLAGE, start=START, end=TODAY)
    for key, expected in times(1).items():
        assert found[key] == expected, key
    assert figures.breakdown(area=VILLAGE, start=START, end=TODAY) == []


@pytest.mark.parametrize("area", [DISTRICT, TOWNSHIP])
def test_the_rows_add_up_exactly_to_the_area_for_every_additive_key(data, area):
    total = figures.overview(area=area, start=START, end=TODAY)
    rows = figures.breakdown(area=area, start=START, end=TODAY)
    for key in figures.ADDITIVE:
        assert sum(row[key] for row in rows) == total[key], key


def test_the_district_rows_are_its_townships_and_its_own_level(data, regions):
    rows = figures.breakdown(area=DISTRICT, start=START, end=TODAY)
    assert [(row["code"], row["own"]) for row in rows] == [
        ("130111100000", False),
        ("130111103000", False),
        ("130111000000", True),
    ]
    township, other, own = rows
    assert township["name"] == "栾城镇"
    assert township["visits"] == 3 and other["visits"] == 1 and own["visits"] == 1
    assert own["stations"] == 1 and own["staff"] == 1


def test_a_township_row_of_its_own_holds_its_station_and_staff(regions, staffed):
    rows = figures.breakdown(area=TOWNSHIP, start=START, end=TODAY)
    assert [(row["code"], row["own"]) for row in rows] == [
        ("130111100201", False),
        ("130111100202", False),
        ("130111100000", True),
    ]
    assert [row["stations"] for row in rows] == [1, 1, 1]
    assert [row["staff"] for row in rows] == [1, 0, 2]
    assert [row["staffing_gaps"] for row in rows] == [1, 2, 1]


def test_the_period_decides_what_happened_in_it(data):
    found = figures.overview(area=DISTRICT, start=LAST_YEAR, end=LAST_YEAR)
    for key in ("visits", "activities_held", "resource_links", "alarms_in_period"):
        assert found[key] == 5, key
    assert found["service_orders"] == found["orders_requested"] == 5
    assert found["cases_opened"] == found["cases_closed"] == 0
    assert found["person_times"] == 25
    assert found["resource_links_value"] == Decimal("500")
    # What stands now does not depend on the period.
    assert found["alarms_open"] == 5 and found["colour_red"] == 5


def test_nothing_in_an_empty_period(data):
    day = TODAY - dt.timedelta(days=100)
    found = figures.overview(area=DISTRICT, start=day, end=day)
    assert found["visits"] == found["alarms_in_period"] == found["service_orders"] == 0
    assert found["ack_median_seconds"] is None and found["ack_p90_seconds"] is None


def test_acknowledgement_times_median_and_90th_percentile(regions, district_admin, vendor):
    person = PersonFactory(region=regions.village, birth_date=born_years_ago(80))
    now = timezone.now()
    for minutes in (1, 2, 5, 10):
        alarm(
            person, district_admin, vendor, raised_at=now, status="acknowledged",
            waited=dt.timedelta(minutes=minutes),
        )  # fmt: skip
    alarm(person, district_admin, vendor, raised_at=now)  # never acknowledged: not timed
    found = figures.overview(area=DISTRICT, start=START, end=TODAY)
    assert found["ack_median_seconds"] == 210  # (120 + 300) / 2
    assert found["ack_p90_seconds"] == 600
    alarm(
        person, district_admin, vendor, raised_at=now, status="acknowledged",
        waited=dt.timedelta(minutes=3),
    )  # fmt: skip
    found = figures.overview(area=DISTRICT, start=START, end=TODAY)
    assert found["ack_median_seconds"] == 180


def test_elderly_in_special_difficulty_follow_the_rule_on_the_file(regions):
    cases = [
        (85, {}),
        (70, {"living_situations": ["empty_nest"]}),
        (70, {"cognitive_impairment": True}),
        (70, {"level": "重度失能"}),
        (70, {"level": "轻度失能"}),
        (65, {}),
        (55, {"living_situations": ["alone"]}),
    ]
    for age, fields in cases:
        person = PersonFactory(region=regions.village, birth_date=born_years_ago(age))
        ElderlyProfile.objects.create(person=person, **fields)
    expected = sum(
        1
        for profile in ElderlyProfile.objects.select_related("person")
        if special_difficulty_reasons(profile)
    )
    assert expected == 4
    assert figures.overview(area=DISTRICT, start=START, end=TODAY)["elderly_special"] == 4


def test_the_series_feed_the_charts(data):
    found = figures.series(area=DISTRICT, start=START, end=TODAY)
    assert found["months"] == [TODAY.strftime("%Y-%m")]
    cards = found["colour_cards"]
    assert [r["code"] for r in cards["regions"]] == ["130111100000", "130111103000"]
    assert cards["red"] == [3, 1]  # the district's own cards have no township bar
    assert found["visits_per_month"] == [5]
    assert found["activities_per_month"] == [5]
    assert found["alarms_per_month"]["high"] == [10]
    buckets = {b["key"]: b["count"] for b in found["ack_buckets"]}
    assert buckets == {
        "under_5m": 0, "under_15m": 5, "under_1h": 0, "over_1h": 0, "unacknowledged": 5,
    }  # fmt: skip
    levels = {row["level"]: row["count"] for row in found["ability_levels"]}
    assert levels[""] == 15


def test_a_village_chart_has_one_bar(data):
    found = figures.series(area=VILLAGE, start=START, end=TODAY)
    assert found["colour_cards"]["red"] == [1]


def _queries(area: str, *, cold: bool = True) -> int:
    if cold:  # the figures cache emptied: every figure counted in SQL
        cache.clear()
    with CaptureQueriesContext(connection) as captured:
        figures.overview(area=area, start=START, end=TODAY)
        figures.breakdown(area=area, start=START, end=TODAY)
        figures.series(area=area, start=START, end=TODAY)
    return len(captured)


def test_the_queries_do_not_grow_with_the_data(data, regions, district_admin, vendor):
    before = {area: _queries(area) for area in (DISTRICT, TOWNSHIP, VILLAGE)}
    for _ in range(4):
        for region in (regions.village, regions.sibling_village, regions.far_village):
            records(region, district_admin, vendor)
    after = {area: _queries(area) for area in (DISTRICT, TOWNSHIP, VILLAGE)}
    assert after == before
    # A village: no breakdown; a district's or township's overview adds up its breakdown's
    # rows (one grouped query a source, shared). The visit rate is two queries (who is due,
    # who was visited), the acknowledgement times and the alarm charts one (shared); visits
    # two each for the totals and the chart (the whole months, the days at either end); alarms
    # two for the totals (not resolved, raised in the period).
    assert before == {DISTRICT: 28, TOWNSHIP: 28, VILLAGE: 26}
    # Served from the figures cache: only the generations are read (one query a function).
    for area in (DISTRICT, TOWNSHIP, VILLAGE):
        _queries(area, cold=False)
    assert {area: _queries(area, cold=False) for area in (DISTRICT, TOWNSHIP, VILLAGE)} == {
        DISTRICT: 3,
        TOWNSHIP: 3,
        VILLAGE: 2,
    }
