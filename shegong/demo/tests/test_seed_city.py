"""seed_demo --districts N --history: a city of generated districts, each a copy of 栾城区's
generated people and records in its own villages, with new valid ID numbers; the dashboard
of each district counts the same figures as 栾城区's."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from shegong.casework.models import Visit
from shegong.dashboard import figures
from shegong.devices.models import Alarm
from shegong.elderly.models import ServiceOrder
from shegong.people import crypto, idnumbers
from shegong.people.models import Person
from shegong.regions.models import Level, Region, under_prefix

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    out = io.StringIO()
    call_command("seed_demo", people=1200, districts=3, history=True, stdout=out)
    return out.getvalue()


def test_a_city_of_districts_each_a_copy_of_the_first(city):
    districts = list(Region.objects.filter(level=Level.DISTRICT).order_by("code"))
    assert [d.code for d in districts] == ["130111000000", "130191000000", "130192000000"]
    assert [d.is_generated for d in districts] == [False, True, True]
    per_district = {
        d.prefix: Person.objects.filter(under_prefix("region_id", d.prefix)).count()
        for d in districts
    }
    assert len(set(per_district.values())) == 1 and per_district["130111"] >= 400
    # The same townships and villages by number, under each district's own code.
    villages = {
        d.prefix: sorted(
            r.code[6:]
            for r in Region.objects.filter(under_prefix("code", d.prefix), level=Level.VILLAGE)
        )
        for d in districts
    }
    assert villages["130191"] == villages["130111"] == villages["130192"]


def test_copied_people_have_their_own_valid_id_numbers(city):
    copied = Person.objects.filter(under_prefix("region_id", "130191")).order_by("pk")[:50]
    for person in copied:
        number = crypto.decrypt(person.id_number_encrypted)
        parsed = idnumbers.parse(number)  # raises on a bad check digit or date
        assert parsed.birth_date == person.birth_date
        assert number[:6] == "130191"
        assert crypto.blind_index(number) == person.id_number_hash
        assert person.id_number_masked == crypto.mask_id_number(number)
    hashes = Person.objects.values("id_number_hash").annotate(n=Count("pk")).filter(n__gt=1)
    assert not hashes.exists()


def test_history_and_dashboards_match_across_the_city(city):
    assert Visit.objects.count() > Person.objects.count()  # three years of visits
    assert Alarm.objects.exists() and ServiceOrder.objects.exists()
    today = timezone.localdate()
    start = today.replace(day=1)
    first = figures.overview(area="130111", start=start, end=today)
    copy = figures.overview(area="130192", start=start, end=today)
    for key in ("colour_red", "children_special", "elderly_special", "visits"):
        assert copy[key] == first[key], key
