import io

import pytest
from django.core.management import call_command

from shegong.accounts.models import Role, User
from shegong.people import idnumbers
from shegong.people.models import Person
from shegong.regions.models import Level, Region, Station

pytestmark = pytest.mark.django_db

DEMO_ROLES = {
    "demo-district": Role.DISTRICT_ADMIN,
    "demo-center": Role.CENTER_WORKER,
    "demo-township": Role.TOWNSHIP_SUPERVISOR,
    "demo-village": Role.VILLAGE_DIRECTOR,
    "demo-volunteer": Role.VOLUNTEER,
    "demo-viewer": Role.VIEWER,
    "demo-juvenile": Role.CENTER_WORKER,
    "demo-procuratorate": Role.AGENCY_LIAISON,
    "demo-institution": Role.INSTITUTION_OPERATOR,
    "demo-bank": Role.BANK_OFFICER,
}


@pytest.fixture
def seeded():
    call_command("seed_demo", people=200, stdout=io.StringIO())


def test_it_creates_the_district_its_townships_and_173_generated_villages(seeded):
    assert Region.objects.filter(level=Level.DISTRICT).get().code == "130111000000"
    townships = Region.objects.filter(level=Level.TOWNSHIP)
    assert townships.count() == 7
    assert "栾城镇" in set(townships.values_list("name", flat=True))
    villages = Region.objects.filter(level=Level.VILLAGE)
    assert villages.count() == 173
    assert not villages.filter(is_generated=False).exists()
    assert not villages.filter(parent__level=Level.VILLAGE).exists()


def test_it_sets_up_stations_for_the_centre_and_every_township(seeded):
    assert Station.objects.filter(region__level=Level.DISTRICT).count() == 1
    assert Station.objects.filter(region__level=Level.TOWNSHIP).count() == 7
    assert Station.objects.filter(region__level=Level.VILLAGE).count() > 150


def test_it_creates_the_demo_accounts(seeded, settings):
    accounts = User.objects.filter(is_demo_account=True)

    assert set(accounts.values_list("username", flat=True)) == set(DEMO_ROLES)
    for user in accounts:
        assert [m.role for m in user.memberships.all()] == [DEMO_ROLES[user.username]]
        assert user.check_password(settings.SHEGONG_DEMO_PASSWORD)


def test_the_demo_township_and_village_accounts_sit_in_the_first_township(seeded):
    township = User.objects.get(username="demo-township").memberships.get().region
    village = User.objects.get(username="demo-village").memberships.get().region

    assert township.name == "栾城镇"
    assert village.parent == township


PLANTED = "演示：重复登记（身份证号录入错误）"


def test_it_generates_demo_people_with_valid_unique_id_numbers(seeded):
    people = list(Person.objects.exclude(notes=PLANTED))

    assert len(people) == 200
    assert all(p.is_demo for p in people)
    numbers = [p.id_number for p in people]
    assert len(set(numbers)) == 200
    for person, number in zip(people, numbers, strict=True):
        parsed = idnumbers.parse(number)
        assert (parsed.sex, parsed.birth_date) == (person.sex, person.birth_date)
        assert person.id_number_masked == number[:6] + "********" + number[-4:]


def test_demo_people_live_in_generated_villages(seeded):
    assert not Person.objects.exclude(region__level=Level.VILLAGE).exists()
    assert not Person.objects.exclude(region__is_generated=True).exists()


def test_if_empty_adds_nothing_the_second_time(seeded):
    regions, people, users = Region.objects.count(), Person.objects.count(), User.objects.count()

    call_command("seed_demo", people=200, if_empty=True, stdout=io.StringIO())

    assert (Region.objects.count(), Person.objects.count(), User.objects.count()) == (
        regions,
        people,
        users,
    )


def test_it_plants_a_few_mistyped_duplicates_for_the_review_page(seeded):
    planted = list(Person.objects.filter(notes=PLANTED))

    assert 1 <= len(planted) <= 6
    for twin in planted:
        original = Person.objects.exclude(pk=twin.pk).get(
            name=twin.name, birth_date=twin.birth_date, region=twin.region
        )
        differing = [i for i in range(17) if twin.id_number[i] != original.id_number[i]]
        assert len(differing) == 1


def test_it_seeds_institutions_with_contracts_ledgers_and_warnings(seeded):
    from shegong.accounts import scope
    from shegong.demo.institutions import generate_institutions
    from shegong.institutions.models import Contract, CustodyAccount, Institution
    from shegong.institutions.selectors import custody_summary

    operator = User.objects.get(username="demo-institution")
    officer = User.objects.get(username="demo-bank")
    assert Institution.objects.filter(is_demo=True).count() == 3
    (own,) = scope.visible(Institution.objects.all(), operator)
    assert scope.visible(CustodyAccount.objects.all(), officer).count() == 3
    assert Contract.objects.filter(resident__institution=own).exists()
    codes = {w["code"] for w in custody_summary(own.custody_account)["warnings"]}
    assert {"advance_evidence_overdue", "refund_late"} <= codes
    closing = Institution.objects.get(is_demo=True, status="closing")
    assert "closure_announced" in {
        w["code"] for w in custody_summary(closing.custody_account)["warnings"]
    }
    # An inspection with items in each state, and a statement with one difference (a bank charge).
    from shegong.institutions import reconcile
    from shegong.institutions.models import RectificationItem

    statuses = set(
        RectificationItem.objects.filter(inspection__institution=own).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"open", "reported", "verified"}
    statement = own.custody_account.statements.get()
    differences = reconcile.reconciliation(statement)["differences"]
    assert [d["code"] for d in differences if not d.get("informational")] == ["bank_only"]
    assert generate_institutions() == 0


def test_it_seeds_community_linkage_with_figures_for_every_demo_area(seeded):
    import datetime as dt

    from django.utils import timezone

    from shegong.community.models import Activity, Assignment, Volunteer
    from shegong.community.overview import community_overview, overview_area
    from shegong.community.volunteers_selectors import open_tasks_for
    from shegong.demo.community import generate_community

    today = timezone.localdate()
    period = {"start": today - dt.timedelta(days=366), "end": today}
    district = community_overview(area=("130111",), **period).figures
    for name in ("enterprises_linked", "charities_linked", "professionals", "links"):
        assert getattr(district, name) > 0, name
    assert 0 < district.volunteers_registered < district.volunteers
    assert district.activities_held > 0 and district.person_times > 0
    assert district.volunteer_hours > 0
    assert not Activity.objects.filter(status="closed", person_times=0).exists()
    for name in ("demo-township", "demo-village"):
        area = overview_area(User.objects.get(username=name))
        figures = community_overview(area=area, **period).figures
        assert figures.activities_held and figures.volunteers and figures.links, name
    volunteer = Volunteer.objects.get(user__username="demo-volunteer")
    assert volunteer.region == User.objects.get(username="demo-volunteer").memberships.get().region
    mine = Assignment.objects.filter(volunteer=volunteer, status="assigned")
    assert mine.filter(hours_status="approved").exists()
    assert mine.filter(task__date__gt=today).exists()
    assert open_tasks_for(volunteer).exists()
    assert generate_community() == 0
