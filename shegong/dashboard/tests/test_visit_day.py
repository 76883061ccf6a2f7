"""The visit tallies (VisitDay, VisitedMonth) equal the visits they stand for after every kind
of write: a visit recorded, moved to another day, person or programme, deleted, in bulk, in raw
SQL, and a person moved to another region — the dashboard's visit figures are counted from
them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, F
from django.db.models.functions import TruncMonth

from shegong.accounts.models import Programme
from shegong.casework.models import Visit
from shegong.dashboard import figures
from shegong.dashboard.models import VisitDay, VisitedMonth, VisitMonth
from shegong.factories import PersonFactory, UserFactory
from shegong.people.models import Person

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 5)
NEXT_DAY = DAY + dt.timedelta(days=1)


def tally() -> dict[tuple[str, dt.date], int]:
    return {
        (row.region_id, row.day): row.visit_count
        for row in VisitDay.objects.all()
        if row.visit_count
    }


def counted() -> dict[tuple[str, dt.date], int]:
    """What the tally must hold: the visits outside the closed programme, by their person's
    region and day."""
    rows = (
        Visit.objects.exclude(programme=Programme.JUVENILE)
        .values(region=F("person__region_id"), day=F("visited_on"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(row["region"], row["day"]): row["n"] for row in rows}


def visited() -> dict[tuple[dt.date, str, int], int]:
    return {
        (row.month, row.region_id, row.person_id): row.visit_count
        for row in VisitedMonth.objects.all()
    }


def visited_counted() -> dict[tuple[dt.date, str, int], int]:
    """What VisitedMonth must hold: elderly-care visits by month, person's region, person."""
    rows = (
        Visit.objects.filter(programme=Programme.ELDERLY)
        .values(month=TruncMonth("visited_on"), region=F("person__region_id"))
        .annotate(n=Count("pk"))
        .values_list("month", "region", "person_id", "n")
        .order_by()
    )
    return {(month, region, person): n for month, region, person, n in rows}


def months() -> dict[tuple[str, dt.date], int]:
    return {
        (row.region_id, row.month): row.visit_count
        for row in VisitMonth.objects.all()
        if row.visit_count
    }


def months_counted() -> dict[tuple[str, dt.date], int]:
    """What VisitMonth must hold: the day tally summed per region and month."""
    found: dict[tuple[str, dt.date], int] = {}
    for (region, day), n in counted().items():
        key = (region, day.replace(day=1))
        found[key] = found.get(key, 0) + n
    return found


def assert_exact() -> None:
    assert tally() == counted()
    assert visited() == visited_counted()
    assert months() == months_counted()


@pytest.fixture
def visit(regions):
    worker = UserFactory()

    def make(person, *, on=DAY, programme=Programme.ELDERLY) -> Visit:
        return Visit.objects.create(
            person=person, programme=programme, visited_on=on, mode="home", visited_by=worker
        )

    return make


def test_a_recorded_visit_counts_once_under_its_persons_region(regions, visit):
    ann = PersonFactory(region=regions.village)
    visit(ann)
    visit(ann)
    visit(PersonFactory(region=regions.far_village))
    assert tally() == {(regions.village.code, DAY): 2, (regions.far_village.code, DAY): 1}
    assert_exact()


def test_the_closed_programmes_visits_are_not_counted(regions, visit):
    ann = PersonFactory(region=regions.village)
    juvenile = visit(ann, programme=Programme.JUVENILE)
    assert tally() == {}
    # Moving it into a counted programme counts it, and back again uncounts it.
    Visit.objects.filter(pk=juvenile.pk).update(programme=Programme.MINORS)
    assert tally() == {(regions.village.code, DAY): 1}
    Visit.objects.filter(pk=juvenile.pk).update(programme=Programme.JUVENILE)
    assert tally() == counted() == {}
    # Minors' visits count as visits, not towards the elderly visit rate.
    assert visited() == {}
    assert_exact()


def test_a_visit_moved_to_another_day_or_person_moves_its_count(regions, visit):
    ann = PersonFactory(region=regions.village)
    bob = PersonFactory(region=regions.far_village)
    first = visit(ann)
    first.visited_on = NEXT_DAY
    first.save()
    assert tally() == {(regions.village.code, NEXT_DAY): 1}
    first.person = bob
    first.save()
    assert tally() == counted() == {(regions.far_village.code, NEXT_DAY): 1}
    assert (
        visited()
        == visited_counted()
        == {(DAY.replace(day=1), regions.far_village.code, bob.pk): 1}
    )
    assert_exact()


def test_a_saved_visit_whose_counted_columns_did_not_change_keeps_its_count(regions, visit):
    first = visit(PersonFactory(region=regions.village))
    first.observations = "精神好"
    first.save()
    assert tally() == counted() == {(regions.village.code, DAY): 1}
    assert_exact()


def test_a_deleted_visit_is_uncounted(regions, visit):
    ann = PersonFactory(region=regions.village)
    first = visit(ann)
    visit(ann)
    first.delete()
    assert tally() == {(regions.village.code, DAY): 1}
    assert visited() == {(DAY.replace(day=1), regions.village.code, ann.pk): 1}
    Visit.objects.all().delete()
    assert tally() == counted() == {}
    assert visited() == {}
    assert_exact()


def test_a_person_moved_to_another_region_takes_their_visits_along(regions, visit):
    ann = PersonFactory(region=regions.village)
    visit(ann)
    visit(ann, on=NEXT_DAY)
    visit(ann, programme=Programme.JUVENILE)
    visit(PersonFactory(region=regions.village))
    Person.objects.filter(pk=ann.pk).update(region=regions.far_village)
    assert (
        tally()
        == counted()
        == {
            (regions.village.code, DAY): 1,
            (regions.far_village.code, DAY): 1,
            (regions.far_village.code, NEXT_DAY): 1,
        }
    )
    assert visited()[(DAY.replace(day=1), regions.far_village.code, ann.pk)] == 2
    assert_exact()


def test_bulk_and_raw_sql_writes_keep_it_exact(regions, visit):
    people = [PersonFactory(region=r) for r in (regions.village, regions.sibling_village)]
    worker = UserFactory()
    Visit.objects.bulk_create(
        Visit(person=p, programme="elderly", visited_on=DAY, mode="phone", visited_by=worker)
        for p in people * 3
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE casework_visit SET visited_on = %s WHERE person_id = %s",
            [NEXT_DAY, people[0].pk],
        )
        cursor.execute("DELETE FROM casework_visit WHERE id = %s", [Visit.objects.last().pk])
    assert_exact()
    assert sum(tally().values()) == 5
    assert sum(visited().values()) == 5


def test_the_figures_count_from_the_tally_what_the_visits_say(regions, visit):
    ann = PersonFactory(region=regions.village)
    for on in (DAY, DAY, NEXT_DAY, dt.date(2026, 1, 31)):
        visit(ann, on=on)
    visit(PersonFactory(region=regions.far_village), on=DAY)
    found = figures.overview(area="130111", start=DAY, end=dt.date(2026, 3, 31))
    assert (found["visits"], found["visits_this_month"]) == (4, 4)
    found = figures.overview(area="130111100", start=dt.date(2026, 1, 1), end=DAY)
    assert (found["visits"], found["visits_this_month"]) == (3, 2)
    chart = figures.series(area="130111", start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    assert chart["visits_per_month"] == [1, 0, 4]
    rows = {
        row["code"]: row["visits"] for row in figures.breakdown(area="130111", start=DAY, end=DAY)
    }
    assert rows[regions.township.code] == 2
    assert rows[regions.other_township.code] == 1


@pytest.mark.parametrize(
    ("start", "end", "whole"),
    [
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), (dt.date(2026, 1, 1), dt.date(2026, 3, 1))),
        (dt.date(2026, 1, 15), dt.date(2026, 3, 5), (dt.date(2026, 2, 1), dt.date(2026, 2, 1))),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28), (dt.date(2026, 2, 1), dt.date(2026, 2, 1))),
        (dt.date(2026, 12, 2), dt.date(2027, 1, 30), (dt.date(2027, 1, 1), dt.date(2026, 12, 1))),
        (dt.date(2026, 3, 5), dt.date(2026, 3, 5), (dt.date(2026, 4, 1), dt.date(2026, 2, 1))),
    ],
)
def test_a_period_is_its_whole_months_and_the_days_at_either_end(start, end, whole):
    assert figures._whole_months(start, end) == whole


def test_a_period_over_months_counts_whole_months_and_edge_days_exactly(regions, visit):
    ann = PersonFactory(region=regions.village)
    bob = PersonFactory(region=regions.far_village)
    days = {
        dt.date(2026, 1, 14): ann,  # before the period
        dt.date(2026, 1, 15): ann,  # its first day
        dt.date(2026, 1, 31): bob,
        dt.date(2026, 2, 1): ann,  # the whole month
        dt.date(2026, 2, 28): bob,
        dt.date(2026, 3, 5): ann,  # its last day
        dt.date(2026, 3, 6): bob,  # after it
    }
    for on, person in days.items():
        visit(person, on=on)
    visit(bob, on=dt.date(2026, 2, 10), programme=Programme.JUVENILE)  # never counted
    assert_exact()
    start, end = dt.date(2026, 1, 15), dt.date(2026, 3, 5)
    found = figures.overview(area="130111", start=start, end=end)
    assert (found["visits"], found["visits_this_month"]) == (5, 1)
    assert figures.MONTHS_PART not in found
    rows = {r["code"]: r for r in figures.breakdown(area="130111", start=start, end=end)}
    assert rows[regions.township.code]["visits"] == 3
    assert rows[regions.other_township.code]["visits"] == 2
    assert figures.MONTHS_PART not in rows[regions.township.code]
    chart = figures.series(area="130111", start=start, end=end)
    assert chart["visits_per_month"] == [2, 2, 1]
    # Whole months only, and a period inside one month.
    whole = figures.overview(area="130111", start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    assert whole["visits"] == 7
    inside = figures.overview(area="130111100", start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 30))
    assert inside["visits"] == 2


def test_emptying_the_tallies_leaves_nothing_behind(regions, visit):
    """A whole-table delete (a test database's flush takes the month tally before the day
    tally) must not leave negative month rows that a later visit would be added to."""
    ann = PersonFactory(region=regions.village)
    visit(ann)
    visit(ann, on=NEXT_DAY)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM dashboard_visit_month")
        cursor.execute("DELETE FROM dashboard_visit_day")
        cursor.execute("DELETE FROM dashboard_visited_month")
        cursor.execute("DELETE FROM casework_visit")
    assert months() == {} and not VisitMonth.objects.exclude(visit_count=0).exists()
    visit(ann)
    assert months() == months_counted() == {(regions.village.code, DAY.replace(day=1)): 1}
