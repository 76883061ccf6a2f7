"""Retention: people who left longer ago than SHEGONG_RETENTION_DAYS are anonymised, the
figures stay exactly as they were, and an open matter holds a person."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone, translation

from shegong.casework.models import Case, CaseNote, Stage, Visit
from shegong.dashboard import figures
from shegong.dashboard.tests.conftest import records
from shegong.devices import services as device_services
from shegong.factories import HouseholdFactory, PersonFactory, RelationFactory
from shegong.people import crypto, personal_data, retention, services
from shegong.people.models import Person, PersonStatus, Relation
from shegong.people.selectors import _years_ago
from shegong.people.tests.test_personal_data import Builder

TODAY = timezone.localdate()
DAYS = 1826
LONG_AGO = TODAY - dt.timedelta(days=DAYS + 1)


@pytest.fixture
def admin(district_admin):
    return district_admin


@pytest.fixture(autouse=True)
def retention_settings(settings):
    settings.SHEGONG_RETENTION_DAYS = DAYS
    settings.SHEGONG_RETENTION_DECEASED = True


def departed(person: Person, *, left_on=LONG_AGO, status=PersonStatus.MOVED) -> Person:
    Person.objects.filter(pk=person.pk).update(status=status, left_on=left_on)
    person.refresh_from_db()
    return person


def test_every_model_reached_from_a_person_says_what_of_it_is_personal():
    """A new model pointing at a person (or at their records) fails here until SCRUB lists
    what anonymisation clears in it ({} when nothing)."""
    missing = sorted(set(personal_data.reachable_models()) - set(retention.SCRUB))
    assert not missing, f"add these to people.retention.SCRUB: {missing}"


def test_it_clears_name_numbers_contacts_notes_and_keeps_what_figures_count(regions, admin):
    household = HouseholdFactory(region=regions.village, address="东庄村3号")
    person = PersonFactory(
        region=regions.village,
        name="王秀兰",
        birth_date=dt.date(1950, 3, 5),
        phone="13812345678",
        address="东庄村3号",
        notes="儿子在外打工",
        household=household,
        categories=["dibao"],
    )
    number = person.id_number
    relative = PersonFactory(region=regions.village, name="王强")
    RelationFactory(person=person, relative=relative, kind="child", notes="电话13900000000")
    case = Case.objects.create(
        person=person, programme="elderly", owner=admin, reason="独居", stage=Stage.CLOSED
    )
    CaseNote.objects.create(case=case, text="王秀兰说腿疼", author=admin)
    visit = Visit.objects.create(
        person=person,
        programme="elderly",
        visited_on=TODAY,
        mode="home",
        visited_by=admin,
        observations="家中整洁",
    )
    departed(person)

    run = retention.anonymise_departed()

    assert run.anonymised == [person.pk]
    person.refresh_from_db()
    assert person.name == retention.ANONYMISED_NAME
    assert person.id_number_encrypted == "" and person.id_number_masked == ""
    assert person.id_number_hash != crypto.blind_index(number)
    assert person.phone == "" and person.phone_hash == "" and person.address == ""
    assert person.notes == "" and person.household is None
    assert person.birth_date == dt.date(1950, 7, 1)
    assert person.anonymised_at is not None
    # What the figures count stays.
    assert person.region_id == regions.village.code and person.status == PersonStatus.MOVED
    assert person.category_codes == ["dibao"]
    visit.refresh_from_db()
    assert visit.visited_on == TODAY and visit.observations == ""
    assert CaseNote.objects.get(case=case).text == retention.REDACTED
    assert not Relation.objects.filter(person=person).exists()
    assert Person.objects.get(pk=relative.pk).name == "王强"
    household.refresh_from_db()
    assert household.address == ""


def test_the_history_keeps_the_fact_of_changes_but_not_the_values(regions, admin):
    person = services.person_create(
        by=admin,
        data={
            "name": "赵桂英",
            "id_number": "130111195003051222",
            "region_code": regions.village.code,
            "phone": "13812345678",
        },
    )
    services.person_update(
        by=admin, person_id=person.pk, version=1, changes={"status": PersonStatus.MOVED}
    )
    person.refresh_from_db()
    assert person.left_on == TODAY  # the service records the day
    departed(person)

    retention.anonymise_departed()

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_pk=str(person.pk)
    )
    text = " ".join(f"{e.object_repr} {e.changes} {e.changes_text}" for e in entries)
    for secret in ("赵桂英", "130111195003051222", "1222", "13812345678", "5678"):
        assert secret not in text
    assert any(e.changes.get("status", [None, None])[1] == "moved" for e in entries)
    # One entry says it was anonymised, with no personal data in it.
    last = entries.order_by("-timestamp", "-pk").first()
    assert set(last.changes) == {"anonymised_at"}
    assert last.object_repr == f"#{person.pk}"


def test_the_retention_boundary_is_exact(regions):
    on_the_day = departed(PersonFactory(region=regions.village), left_on=TODAY - dt.timedelta(DAYS))
    a_day_more = departed(
        PersonFactory(region=regions.village), left_on=TODAY - dt.timedelta(DAYS + 1)
    )
    unknown = departed(PersonFactory(region=regions.village), left_on=None)

    run = retention.anonymise_departed()

    assert run.anonymised == [a_day_more.pk]
    assert run.unknown_left_on == 1
    assert Person.objects.get(pk=on_the_day.pk).anonymised_at is None
    assert Person.objects.get(pk=unknown.pk).anonymised_at is None


def test_deceased_people_follow_the_setting(regions, settings):
    dead = departed(PersonFactory(region=regions.village), status=PersonStatus.DECEASED)
    settings.SHEGONG_RETENTION_DECEASED = False
    assert retention.anonymise_departed().anonymised == []
    settings.SHEGONG_RETENTION_DECEASED = True
    assert retention.anonymise_departed().anonymised == [dead.pk]


def test_active_people_are_never_touched(regions):
    active = PersonFactory(region=regions.village)
    Person.objects.filter(pk=active.pk).update(left_on=LONG_AGO)
    assert retention.anonymise_departed().anonymised == []


def test_an_open_case_a_juvenile_referral_or_money_in_custody_holds_a_person(regions, admin):
    from shegong.juvenile.models import Agency, Referral

    with_case = departed(PersonFactory(region=regions.village))
    Case.objects.create(person=with_case, programme="elderly", owner=admin)
    minor = departed(PersonFactory(region=regions.village, birth_date=dt.date(2010, 1, 1)))
    agency = Agency.objects.create(name="检察院", kind="procuratorate", region=regions.district)
    Referral.objects.create(
        agency=agency,
        region=regions.village,
        case_number="1",
        minor_name="某",
        sex="M",
        birth_date=minor.birth_date,
        id_number_encrypted=crypto.encrypt(minor.id_number),
        case_summary="—",
        procedural_status="investigation",
        due_on=TODAY,
        referred_by=admin,
    )
    in_custody = departed(PersonFactory(region=regions.village))
    _contract_with_balance(in_custody, regions, admin)
    free = departed(PersonFactory(region=regions.village))

    run = retention.anonymise_departed()

    assert run.anonymised == [free.pk]
    assert set(run.held) == {with_case.pk, minor.pk, in_custody.pk}
    assert len(run.held_by_reason) == 3
    for pk in run.held:
        assert Person.objects.get(pk=pk).anonymised_at is None


def _contract_with_balance(person, regions, admin):
    from shegong.institutions.models import Contract, LedgerEntry, Resident

    build = Builder(region=regions.village, user=admin, other=person)
    resident = build.row(Resident, person=person)
    contract = build.row(Contract, resident=resident)
    build.row(LedgerEntry, contract=contract, kind="payment_in", amount=Decimal("100"))


def test_running_it_again_changes_nothing(regions):
    person = departed(PersonFactory(region=regions.village))
    assert retention.anonymise_departed().anonymised == [person.pk]
    entries = LogEntry.objects.count()
    stamp = Person.objects.get(pk=person.pk).anonymised_at

    assert retention.anonymise_departed().anonymised == []
    assert LogEntry.objects.count() == entries
    assert Person.objects.get(pk=person.pk).anonymised_at == stamp


def test_a_dry_run_counts_and_changes_nothing(regions):
    person = departed(PersonFactory(region=regions.village, name="孙丽"))
    out = io.StringIO()
    with translation.override("en"):
        call_command("anonymise_departed", "--dry-run", stdout=out)
        assert "1 would be anonymised" in out.getvalue()
        assert Person.objects.get(pk=person.pk).name == "孙丽"
        assert Person.objects.get(pk=person.pk).anonymised_at is None
        call_command("anonymise_departed", stdout=out)
        assert "1 anonymised" in out.getvalue()
    assert Person.objects.get(pk=person.pk).name == retention.ANONYMISED_NAME


@pytest.mark.parametrize("years", [18, 60, 80])
def test_a_birthday_near_an_age_limit_stays_on_its_side(years):
    limit = _years_ago(years, TODAY)
    for born in (limit, limit + dt.timedelta(days=1), limit - dt.timedelta(days=1)):
        coarse = retention.coarsen_birth_date(born, TODAY)
        assert coarse.year == born.year
        for age in retention.AGE_LIMITS:
            line = _years_ago(age, TODAY)
            assert (coarse <= line) == (born <= line)


@pytest.fixture
def vendor(db):
    return device_services.vendor_create(name="测试厂商")[0]


def test_the_dashboard_figures_are_identical_before_and_after(regions, admin, vendor):
    for region in (regions.village, regions.sibling_village):
        records(region, admin, vendor)
    # People born on either side of every age limit, so coarsening is tested where it bites.
    for years in retention.AGE_LIMITS:
        limit = _years_ago(years, TODAY)
        for born in (limit, limit + dt.timedelta(days=1)):
            PersonFactory(region=regions.village, birth_date=born, categories=["dibao"])
    Case.objects.filter(person__region=regions.village).exclude(stage=Stage.CLOSED).update(
        stage=Stage.CLOSED, closed_at=timezone.now() - dt.timedelta(days=800)
    )
    village_people = Person.objects.filter(region=regions.village)
    half = list(village_people.order_by("pk").values_list("pk", flat=True))[::2]
    village_people.filter(pk__in=half).update(status=PersonStatus.DECEASED, left_on=LONG_AGO)
    village_people.exclude(pk__in=half).update(status=PersonStatus.MOVED, left_on=LONG_AGO)
    periods = [
        (TODAY.replace(day=1), TODAY),
        (TODAY - dt.timedelta(days=500), TODAY),
        (TODAY - dt.timedelta(days=500), TODAY - dt.timedelta(days=300)),
    ]
    areas = [regions.district.prefix, regions.township.prefix, regions.village.code]

    def counted():
        return [
            (
                figures.overview(area=area, start=start, end=end),
                figures.breakdown(area=area, start=start, end=end),
                figures.series(area=area, start=start, end=end),
            )
            for area in areas
            for start, end in periods
        ]

    before = counted()
    run = retention.anonymise_departed()
    assert len(run.anonymised) == village_people.count() > 10
    assert counted() == before
