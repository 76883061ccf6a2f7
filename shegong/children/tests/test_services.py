"""Recording assessments: overrides, versions, schedules, notifications, cases, visits."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from shegong.accounts.models import Programme, Role
from shegong.casework import services as casework
from shegong.casework.models import Case, CaseEvent, Notification, Stage, VisitMode
from shegong.children import scoring, services
from shegong.children.models import ChildProfile, Colour, Instrument, Option, RiskAssessment
from shegong.factories import PersonFactory, born_years_ago

from .answers import answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(child, village_director, supervisor, instrument):
    profile = services.profile_ensure(by=village_director, person=child)
    profile.director, profile.supervisor = village_director, supervisor
    profile.save()
    return profile


def record(by, person, spec, level="low", **chosen):
    return services.assessment_record(by=by, person=person, answers=answers(spec, level, **chosen))


def test_a_blue_assessment_sets_the_card_and_its_schedule(village_director, child, spec):
    assessment = record(village_director, child, spec)

    profile = ChildProfile.objects.get(person=child)
    today = timezone.localdate()
    assert (assessment.colour, assessment.computed_colour) == (Colour.BLUE, Colour.BLUE)
    assert profile.colour == Colour.BLUE
    assert profile.next_visit_due == today + dt.timedelta(days=30)
    assert profile.next_assessment_due == today + dt.timedelta(days=182)


def test_an_override_needs_a_written_reason(village_director, child, spec):
    assessment = record(village_director, child, spec)

    with pytest.raises(ValidationError) as caught:
        services.assessment_override(
            by=village_director, assessment_id=assessment.pk, colour=Colour.ORANGE, reason="  "
        )

    assert "reason" in caught.value.message_dict
    assessment.refresh_from_db()
    assert assessment.colour == Colour.BLUE


def test_an_override_is_recorded_with_who_and_why_and_changes_the_card(
    village_director, child, spec
):
    assessment = record(village_director, child, spec)

    services.assessment_override(
        by=village_director,
        assessment_id=assessment.pk,
        colour=Colour.ORANGE,
        reason="父亲刚入狱，情况未稳定",
    )

    assessment.refresh_from_db()
    assert assessment.computed_colour == Colour.BLUE
    assert assessment.colour == Colour.ORANGE
    assert assessment.is_override
    assert assessment.override_reason == "父亲刚入狱，情况未稳定"
    assert assessment.overridden_by == village_director
    profile = ChildProfile.objects.get(person=child)
    assert profile.colour == Colour.ORANGE
    assert profile.next_visit_due == timezone.localdate() + dt.timedelta(days=14)


def test_an_override_at_recording_time_needs_a_reason_too(village_director, child, spec):
    with pytest.raises(ValidationError):
        services.assessment_record(
            by=village_director,
            person=child,
            answers=answers(spec),
            override_colour=Colour.RED,
        )
    assert not RiskAssessment.objects.exists()


def test_only_the_latest_assessment_can_be_overridden(village_director, child, spec):
    first = record(village_director, child, spec)
    record(village_director, child, spec, "high")

    with pytest.raises(ValidationError):
        services.assessment_override(
            by=village_director, assessment_id=first.pk, colour=Colour.RED, reason="旧的"
        )


def test_the_database_refuses_an_override_without_a_reason(village_director, child, spec):
    assessment = record(village_director, child, spec)

    with pytest.raises(Exception):  # noqa: B017 - IntegrityError, backend-specific subclass
        RiskAssessment.objects.filter(pk=assessment.pk).update(colour=Colour.RED)


def test_an_assessment_keeps_its_instrument_version_after_a_new_one_is_published(
    district_admin, village_director, child, instrument, spec
):
    old = record(village_director, child, spec, health="severe")
    draft = services.instrument_draft(by=district_admin, source=instrument)
    Option.objects.filter(item__dimension__instrument=draft, value="severe").update(
        label="新措辞：重病", score=3
    )
    services.instrument_publish(by=district_admin, instrument=draft)

    new = record(village_director, child, scoring.InstrumentSpec.load(draft), health="severe")

    assert old.instrument == instrument
    assert new.instrument == draft
    assert Instrument.objects.get(is_current=True) == draft
    old_spec = scoring.InstrumentSpec.load(RiskAssessment.objects.get(pk=old.pk).instrument)
    assert old_spec.items["health"].options["severe"][0] == "重病或重度残疾"


def test_a_published_version_cannot_be_edited(district_admin, instrument):
    with pytest.raises(ValidationError):
        services.instrument_update(
            by=district_admin,
            instrument_id=instrument.pk,
            data={"name": "x", "red_from": 40, "orange_from": 20},
        )


def test_only_the_district_admin_drafts_an_instrument(village_director, instrument):
    with pytest.raises(ValidationError):
        services.instrument_draft(by=village_director, source=instrument)


def test_red_to_blue_moves_the_visit_and_reassessment_dates(profile, village_director, child, spec):
    record(village_director, child, spec, "high")
    red = ChildProfile.objects.get(pk=profile.pk)
    today = timezone.localdate()
    assert red.colour == Colour.RED
    assert (red.next_visit_due, red.next_assessment_due) == (
        today + dt.timedelta(days=7),
        today + dt.timedelta(days=30),
    )

    record(village_director, child, spec, "low")

    blue = ChildProfile.objects.get(pk=profile.pk)
    assert blue.colour == Colour.BLUE
    assert (blue.next_visit_due, blue.next_assessment_due) == (
        today + dt.timedelta(days=30),
        today + dt.timedelta(days=182),
    )


def test_a_grade_change_notifies_the_people_responsible(
    profile, village_director, supervisor, child, spec, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(village_director, child, spec, "high")

    titles = {(n.user, n.title) for n in Notification.objects.all()}
    assert any(user == supervisor and "李小花" in title for user, title in titles)
    # the director assessed the child and saw the colour: no message to themselves
    assert not any(user == village_director for user, _title in titles)
    # the supervisor reviews a grade that went up
    assert Notification.objects.filter(user=supervisor, key__startswith="colour-up:").exists()


def test_a_red_card_opens_a_case_owned_by_the_director(profile, village_director, child, spec):
    record(village_director, child, spec, "high")

    case = Case.objects.get(person=child, programme=Programme.MINORS)
    assert case.stage == Stage.INTAKE
    assert case.owner == village_director
    assert CaseEvent.objects.filter(case=case, kind="opened").exists()


def test_a_second_red_assessment_does_not_open_a_second_case(
    profile, village_director, child, spec
):
    record(village_director, child, spec, "high")
    record(village_director, child, spec, "low")
    record(village_director, child, spec, "high")

    assert Case.objects.filter(person=child).count() == 1


def test_orange_and_blue_open_no_case(profile, village_director, child, spec):
    record(village_director, child, spec, "low")

    assert not Case.objects.exists()


def test_a_visit_moves_the_next_visit_date(profile, village_director, child, spec):
    record(village_director, child, spec, "high")  # red: weekly
    visited = timezone.localdate()
    ChildProfile.objects.filter(pk=profile.pk).update(next_visit_due=visited - dt.timedelta(days=3))

    casework.visit_record(
        by=village_director,
        person=child,
        programme=Programme.MINORS,
        visited_on=visited,
        mode=VisitMode.HOME,
    )

    profile.refresh_from_db()
    assert profile.next_visit_due == visited + dt.timedelta(days=7)


def test_a_visit_with_an_earlier_next_date_brings_the_due_date_forward(
    profile, village_director, child, spec
):
    record(village_director, child, spec, "low")  # blue: monthly
    today = timezone.localdate()

    casework.visit_record(
        by=village_director,
        person=child,
        programme=Programme.MINORS,
        visited_on=today,
        mode=VisitMode.PHONE,
        next_visit_on=today + dt.timedelta(days=3),
    )

    profile.refresh_from_db()
    assert profile.next_visit_due == today + dt.timedelta(days=3)


def test_a_file_is_only_for_a_minor(village_director, regions, instrument):
    adult = PersonFactory(region=regions.village, birth_date=born_years_ago(30))

    with pytest.raises(ValidationError):
        services.profile_ensure(by=village_director, person=adult)


def test_an_outsider_cannot_assess_a_child_of_another_village(make_user, regions, spec):
    other = make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village)
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(9))

    with pytest.raises(Http404):
        services.assessment_record(by=other, person=child, answers=answers(spec))


def test_a_stale_profile_edit_is_refused(profile, village_director):
    services.profile_update(
        by=village_director, person_id=profile.person_id, version=profile.version, changes={}
    )

    with pytest.raises(services.StaleProfile):
        services.profile_update(
            by=village_director,
            person_id=profile.person_id,
            version=profile.version,
            changes={"school": "东庄小学"},
        )


def test_the_responsible_director_must_hold_the_role_in_the_village(
    profile, village_director, make_user, regions
):
    elsewhere = make_user(Role.VILLAGE_DIRECTOR, region=regions.far_village)

    with pytest.raises(ValidationError) as caught:
        services.profile_update(
            by=village_director,
            person_id=profile.person_id,
            version=profile.version,
            changes={"director": elsewhere},
        )

    assert "director" in caught.value.message_dict


def test_the_rules_can_be_changed_by_the_district_admin(district_admin, instrument):
    services.rules_update(by=district_admin, changes={Colour.BLUE: {"visit_every_days": 20}})

    assert services.rule_for(Colour.BLUE).visit_every_days == 20
