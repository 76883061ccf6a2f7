"""seed_demo fills elderly care: files for the old people, visits, and visit rates that differ."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from shegong.accounts.models import Programme
from shegong.casework.models import Visit
from shegong.elderly import visits
from shegong.elderly.models import ElderlyProfile
from shegong.people.models import Person
from shegong.regions.models import Level, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", people=1000, stdout=io.StringIO())


def test_every_old_person_has_a_file_and_the_tiered_ones_a_due_date(seeded):
    today = timezone.localdate()
    profiles = list(ElderlyProfile.objects.select_related("person"))

    assert (
        len(profiles)
        == Person.objects.filter(birth_date__lte=visits.years_before(today, 60)).count()
    )
    tiers = {p.pk: visits.visit_tier(p, today=today) for p in profiles}
    assert {visits.Tier.MONTHLY, visits.Tier.QUARTERLY, visits.Tier.NONE} <= set(tiers.values())
    for profile in profiles:
        assert (profile.next_visit_due is None) == (tiers[profile.pk] == visits.Tier.NONE)


def test_the_visit_rates_are_realistic_and_not_all_the_same(seeded):
    assert Visit.objects.filter(programme=Programme.ELDERLY).exists()
    district = Region.objects.get(level=Level.DISTRICT)

    rows, total = visits.visit_rates(
        rows=visits.rows_under((district.prefix,)), month=timezone.localdate()
    )

    assert total.monthly > 20
    assert 40 <= total.rate < 100
    assert len({row.rate for row in rows}) > 1
    assert ElderlyProfile.objects.filter(next_visit_due__lt=timezone.localdate()).exists()
