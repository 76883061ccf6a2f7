"""seed_demo fills the colour-card archive: a realistic mix, responsible staff, cases, visits."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from shegong.accounts.models import Programme
from shegong.casework.models import Case, Stage, Visit
from shegong.children import scoring
from shegong.children.models import ChildProfile, Colour, RiskAssessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", people=1000, stdout=io.StringIO())


def test_it_profiles_children_in_difficulty_with_a_realistic_colour_mix(seeded):
    profiles = ChildProfile.objects.select_related("person")
    counts = {c: profiles.filter(colour=c).count() for c in Colour.values}
    total = sum(counts.values())

    assert total == profiles.count() > 30
    assert all(p.person.is_minor and p.person.is_demo for p in profiles)
    assert 0.25 < counts["red"] / total < 0.6
    assert 0.25 < counts["orange"] / total < 0.6
    assert 0.03 < counts["blue"] / total < 0.3


def test_every_card_matches_its_latest_assessment_and_the_scoring(seeded):
    for profile in ChildProfile.objects.prefetch_related("assessments__instrument"):
        latest = profile.assessments.order_by("-assessed_at", "-id")[0]
        assert profile.colour == latest.colour
        spec = scoring.InstrumentSpec.load(latest.instrument)
        assert scoring.score(spec, latest.answers).colour == latest.computed_colour


def test_red_children_have_an_open_case_and_staff_are_responsible(seeded):
    red = ChildProfile.objects.filter(colour=Colour.RED)
    with_case = Case.objects.filter(programme=Programme.MINORS).exclude(stage=Stage.CLOSED)

    assert set(with_case.values_list("person_id", flat=True)) == set(
        red.values_list("person_id", flat=True)
    )
    assert ChildProfile.objects.filter(director__isnull=False).count() > (
        ChildProfile.objects.count() * 0.8
    )
    assert ChildProfile.objects.filter(supervisor__isnull=False).exists()


def test_there_are_visits_and_some_are_overdue(seeded):
    today = timezone.localdate()

    assert Visit.objects.filter(programme=Programme.MINORS).exists()
    assert ChildProfile.objects.filter(next_visit_due__lt=today).exists()
    assert ChildProfile.objects.filter(next_visit_due__gte=today).exists()
    assert RiskAssessment.objects.count() > ChildProfile.objects.count()  # some have history
