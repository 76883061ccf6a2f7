"""The figures cache: served while nothing it counts changed, recomputed exactly when
something did — through the ORM, in bulk or in raw SQL — and only for the figures that count
the changed tables."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.models.functions import Now
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shegong.casework.models import Visit
from shegong.children.models import ChildProfile
from shegong.dashboard import figures
from shegong.dashboard.models import TableGeneration
from shegong.devices.models import Alarm
from shegong.factories import PersonFactory, born_years_ago

from .conftest import START, TODAY

pytestmark = pytest.mark.django_db(transaction=False)
DISTRICT = "130111"


def overview() -> dict:
    return figures.overview(area=DISTRICT, start=START, end=TODAY)


def queries(fn) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return [query["sql"] for query in captured.captured_queries]


def generation(table: str) -> int:
    return TableGeneration.objects.get(table=table).value


def test_every_counted_table_has_a_generation_and_a_trigger(db):
    counted = set(figures.VISIT_RATE_TABLES) | set(figures.SERIES_TABLES)
    for tables in figures.SOURCE_TABLES.values():
        counted |= set(tables)
    assert counted <= set(TableGeneration.objects.values_list("table", flat=True))
    # Each source's own rows are among the tables that key it, and so is the person table
    # whenever the source finds its region through the person.
    for name, build in figures._sources(START, TODAY).items():
        source = build()
        tables = figures.SOURCE_TABLES[name]
        # The visit tally changes only with the visits and people it counts (triggers).
        counted_table = figures.TALLIES.get(source.queryset.model._meta.db_table)
        assert (counted_table or source.queryset.model._meta.db_table) in tables, name
        if source.path.startswith("person__"):
            assert "people_person" in tables, name


def generations() -> dict[str, int]:
    return dict(TableGeneration.objects.values_list("table", "value"))


def test_a_write_raises_the_generation_of_its_table_only(data, regions):
    person = PersonFactory(region=regions.village, birth_date=born_years_ago(7))
    before = generations()
    ChildProfile.objects.create(person=person, colour="red")
    after = generations()
    assert after["children_childprofile"] > before["children_childprofile"]
    assert {t: v for t, v in after.items() if t != "children_childprofile"} == {
        t: v for t, v in before.items() if t != "children_childprofile"
    }


def test_registering_people_or_saving_them_unchanged_recounts_nothing(data, regions):
    overview()
    before = generations()
    person = PersonFactory(region=regions.village, birth_date=born_years_ago(80))
    person.address = "东街 12 号"
    person.save()  # the whole row, region, birth date and status unchanged
    assert generations() == before
    again = queries(overview)
    assert len(again) == 1 and "dashboard_generation" in again[0]


@pytest.mark.parametrize(
    "change",
    [
        {"status": "deceased"},
        {"birth_date": dt.date(1950, 1, 1)},
        {"region_code": "far_village"},
        {"delete": True},
    ],
    ids=["status", "birth_date", "region", "deleted"],
)
def test_a_person_whose_counted_columns_change_recounts(data, regions, change):
    person = PersonFactory(region=regions.village, birth_date=born_years_ago(70))
    before = generation("people_person")
    if change.get("delete"):
        person.delete()
    elif "region_code" in change:
        person.region = getattr(regions, change["region_code"])
        person.save()
    else:
        for field, value in change.items():
            setattr(person, field, value)
        person.save()
    assert generation("people_person") > before


def triggers_on(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
        return {row[0] for row in cursor.fetchall()}


def test_every_counted_table_keeps_its_triggers(db):
    """A later migration that makes SQLite copy a table (adding a column does) loses its
    triggers unless it puts them back: every counted table still has them."""
    for table in figures.COUNTED_TABLES:
        assert any(name.startswith("dashboard_generation") for name in triggers_on(table)), table
    for table in ("devices_alarm", "elderly_serviceorder"):
        assert any("region" in name for name in triggers_on(table)), table
    assert any(name.startswith("dashboard_visit") for name in triggers_on("casework_visit"))


def test_a_new_alarm_or_service_order_shows_at_once(data, regions, district_admin, vendor):
    from shegong.elderly.models import ServiceOrder

    from .conftest import alarm

    before = overview()
    old = PersonFactory(region=regions.village, birth_date=born_years_ago(80))
    alarm(old, district_admin, vendor, raised_at=timezone.now())
    ServiceOrder.objects.create(
        person=old, kind="meals", requested_by=district_admin, requester_type="worker",
        due_on=TODAY,
    )  # fmt: skip
    after = overview()
    assert after["alarms_in_period"] == before["alarms_in_period"] + 1
    assert after["alarms_open"] == before["alarms_open"] + 1
    assert after["service_orders"] == before["service_orders"] + 1


def test_cached_figures_are_served_without_counting_again(data):
    first = overview()
    again = queries(overview)
    assert overview() == first
    assert len(again) == 1 and "dashboard_generation" in again[0]


def test_a_new_record_shows_at_once(data, regions):
    before = overview()
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(7))
    ChildProfile.objects.create(person=child, colour="red")
    assert overview()["colour_red"] == before["colour_red"] + 1


def test_bulk_and_raw_sql_writes_are_seen_too(data, regions, district_admin):
    before = overview()
    person = PersonFactory(region=regions.village, birth_date=born_years_ago(70))
    Visit.objects.bulk_create(
        Visit(person=person, programme="elderly", visited_on=TODAY, mode="home",
              visited_by=district_admin)
        for _ in range(3)
    )  # fmt: skip
    assert overview()["visits"] == before["visits"] + 3
    # A queryset update (no signals) and raw SQL (no ORM at all).
    Alarm.objects.filter(status="open").update(status="resolved", resolved_at=Now())
    assert overview()["alarms_open"] == 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM casework_visit WHERE person_id = %s", [person.pk])
    assert overview()["visits"] == before["visits"]


def test_a_new_visit_recounts_the_visit_figures_only(data, regions, district_admin):
    overview()
    person = PersonFactory.build(region=regions.village)  # no person written: visits only
    assert person.pk is None
    old = Visit.objects.filter(programme="elderly").first().person
    Visit.objects.create(
        person=old, programme="elderly", visited_on=TODAY, mode="phone", visited_by=district_admin
    )
    recount = queries(overview)
    # The generations, the visit tallies (whole months, days), who of the elderly due had a
    # visit — nothing else.
    assert len(recount) == 4, recount
    assert all("children_childprofile" not in sql for sql in recount)
    assert all("elderly_elderlyprofile" not in sql for sql in recount)


def test_a_visit_recorded_by_a_worker_recounts_the_visit_figures_only(data, district_admin):
    """The service also moves the file's next visit date: no figure counts it."""
    from shegong.casework.services import visit_record
    from shegong.elderly.models import ElderlyProfile

    overview()
    profile = ElderlyProfile.objects.filter(cognitive_impairment=True).first()
    due_before = profile.next_visit_due
    visit_record(
        by=district_admin, person=profile.person, programme="elderly", visited_on=TODAY,
        mode="home",
    )  # fmt: skip
    profile.refresh_from_db()
    assert profile.next_visit_due != due_before
    recount = queries(overview)
    # The generations, the visit tallies (whole months, days), who of the elderly due had a
    # visit.
    assert len(recount) == 4, recount
    assert all("elderly_elderlyprofile" not in sql for sql in recount)


def test_a_change_the_figures_count_on_a_file_recounts_them(data, regions):
    from shegong.elderly.models import ElderlyProfile

    before = overview()
    moved = ElderlyProfile.objects.filter(cognitive_impairment=True)
    moved.update(next_visit_due=TODAY + dt.timedelta(days=9))
    assert len(queries(overview)) == 1
    moved.update(cognitive_impairment=False, living_situations=[])
    assert overview()["elderly_special"] < before["elderly_special"]


def test_rolled_back_writes_leave_the_generation(data, regions):
    before = generation("people_person")
    with pytest.raises(RuntimeError), transaction.atomic():
        PersonFactory(region=regions.village)
        raise RuntimeError
    assert generation("people_person") == before


def test_the_cache_key_moves_with_the_date(data, monkeypatch):
    overview()
    tomorrow = TODAY + dt.timedelta(days=1)
    monkeypatch.setattr(figures.timezone, "localdate", lambda *args: tomorrow)
    # Ages and "this month" move with the date: a new day is counted again.
    assert len(queries(overview)) > 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_transaction_raises_each_changed_table(regions):
    """Outside the test transaction: PostgreSQL raises a table once per committed transaction
    (at commit), SQLite once per row; both before anybody can read the new rows."""
    people = [PersonFactory(region=regions.village, birth_date=born_years_ago(9)) for _ in range(3)]
    before = generation("children_childprofile"), generation("elderly_elderlyprofile")
    with transaction.atomic():
        for person in people:
            ChildProfile.objects.create(person=person, colour="blue")
    after = generation("children_childprofile"), generation("elderly_elderlyprofile")
    rows = 1 if connection.vendor == "postgresql" else len(people)
    assert after[0] - before[0] >= rows
    if connection.vendor == "postgresql":
        assert after[0] - before[0] == 1
    assert after[1] == before[1]


def test_the_worker_counts_this_months_dashboards_ahead(data, regions):
    from shegong.dashboard import warm

    assert warm.warm() == 3  # the district and its two townships
    # What a user opens next is served from the cache: only the generations are read.
    for area in ("130111", "130111100", "130111103"):
        assert (
            len(queries(lambda area=area: figures.overview(area=area, start=START, end=TODAY))) == 1
        )


def test_editing_a_persons_contact_details_recounts_nothing(data, regions):
    from shegong.people.models import Person

    overview()
    person = Person.objects.filter(region=regions.village).first()
    Person.objects.filter(pk=person.pk).update(address="新地址 1 号", phone_masked="138****0000")
    assert len(queries(overview)) == 1
    # Moving the person (a counted column) does recount.
    Person.objects.filter(pk=person.pk).update(region=regions.far_village)
    assert len(queries(overview)) > 1
