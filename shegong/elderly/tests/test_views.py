"""The elderly file and the assessment pages: scope, access log, two assessors, due dates."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.elderly import services
from shegong.elderly.models import AbilityAssessment, ElderlyProfile, LivingSituation
from shegong.factories import PersonFactory, born_years_ago
from shegong.people import crypto
from shegong.testing import login

from .conftest import items_totalling

pytestmark = pytest.mark.django_db


def assess_form(total=90, second=None, **extra):
    data = {f"i-{k}": str(v) for k, v in items_totalling(total).items()}
    data["risk_events_30d"] = "0"
    if second is not None:
        data["second_assessor"] = str(second.pk)
    data.update(extra)
    return data


@pytest.fixture
def elderly(village_director, old_person):
    return services.profile_ensure(by=village_director, person=old_person)


def test_the_director_assesses_on_the_web_with_a_second_assessor(
    director_client, old_person, assistant
):
    response = director_client.post(
        f"/elderly/{old_person.pk}/assess/", assess_form(50, assistant, dementia="on")
    )

    assessment = AbilityAssessment.objects.get()
    assert response.status_code == 302
    assert response.url == assessment.get_absolute_url()
    assert (assessment.total, assessment.preliminary_level, assessment.level) == (
        50,
        "中度失能",
        "重度失能",
    )
    assert assessment.second_assessor == assistant and assessment.is_signed
    page = director_client.get(response.url)
    assert "重度失能" in page.content.decode()


def test_the_web_form_requires_the_second_assessor(director_client, old_person):
    response = director_client.post(f"/elderly/{old_person.pk}/assess/", assess_form(90))

    assert response.status_code == 422
    assert 'data-field-error="second_assessor"' in response.content.decode()
    assert not AbilityAssessment.objects.exists()


def test_the_web_form_names_a_missing_item(director_client, old_person, assistant):
    data = assess_form(90, assistant)
    del data["i-memory"]

    response = director_client.post(f"/elderly/{old_person.pk}/assess/", data)

    assert response.status_code == 422
    assert 'data-field-error="memory"' in response.content.decode()


def test_an_assessment_without_a_second_signature_waits_and_the_first_cannot_countersign(
    client, village_director, assistant, old_person
):
    assessment = services.assessment_record(
        by=village_director, person=old_person, items=items_totalling(80)
    )
    login(client, village_director)

    client.post(f"/elderly/{old_person.pk}/assessments/{assessment.pk}/countersign/")

    assessment.refresh_from_db()
    assert not assessment.is_signed
    other = Client()
    login(other, assistant)
    other.post(f"/elderly/{old_person.pk}/assessments/{assessment.pk}/countersign/")
    assessment.refresh_from_db()
    assert assessment.second_assessor == assistant and assessment.is_signed


def test_reassessment_is_due_six_months_later(village_director, assistant, old_person):
    assessment = services.assessment_record(
        by=village_director,
        person=old_person,
        items=items_totalling(90),
        second_assessor=assistant,
    )

    expected = services.add_months(timezone.localdate(), 6)
    assert assessment.next_due == expected
    assert ElderlyProfile.objects.get(person=old_person).next_assessment_due == expected


def test_six_months_after_the_31st_of_august_is_the_end_of_february():
    assert services.add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert services.add_months(dt.date(2025, 3, 15), 6) == dt.date(2025, 9, 15)
    assert services.add_months(dt.date(2025, 12, 1), 6) == dt.date(2026, 6, 1)


def test_a_change_of_cognitive_state_makes_a_reassessment_due_today(
    village_director, assistant, old_person
):
    services.assessment_record(
        by=village_director, person=old_person, items=items_totalling(90), second_assessor=assistant
    )
    profile = ElderlyProfile.objects.get(person=old_person)

    services.profile_update(
        by=village_director,
        person_id=old_person.pk,
        version=profile.version,
        changes={"cognitive_impairment": True},
    )

    profile.refresh_from_db()
    assert profile.next_assessment_due == timezone.localdate()


def test_reading_the_file_is_in_the_access_log(director_client, village_director, elderly):
    response = director_client.get(f"/elderly/{elderly.person_id}/")

    assert response.status_code == 200
    entry = AccessLog.objects.get(object_type="elderly.elderlyprofile")
    assert (entry.user, entry.action, entry.person_id) == (
        village_director,
        AccessAction.READ,
        elderly.person_id,
    )


def test_reading_an_assessment_and_its_print_is_in_the_access_log(
    director_client, village_director, assistant, old_person
):
    assessment = services.assessment_record(
        by=village_director, person=old_person, items=items_totalling(40), second_assessor=assistant
    )

    director_client.get(assessment.get_absolute_url())
    printed = director_client.get(f"{assessment.get_absolute_url()}print/")

    assert printed.status_code == 200
    assert "size: A4" in printed.content.decode()
    assert AccessLog.objects.filter(person=old_person, action=AccessAction.READ).count() == 2


def test_emergency_phones_are_encrypted_and_masked(director_client, elderly):
    response = director_client.post(
        f"/elderly/{elderly.person_id}/edit/",
        {
            "version": elderly.version,
            "living_situations": [LivingSituation.ALONE],
            "chronic_conditions": "高血压",
            "care_arrangement": "儿子每周探望",
            "contact_0_name": "王强",
            "contact_0_relation": "儿子",
            "contact_0_phone": "13812345678",
        },
    )

    assert response.status_code == 302
    contact = elderly.contacts.get()
    assert contact.phone == "13812345678"
    assert "13812345678" not in contact.phone_encrypted
    assert contact.phone_hash == crypto.blind_index("13812345678")
    page = director_client.get(f"/elderly/{elderly.person_id}/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    form = director_client.get(f"/elderly/{elderly.person_id}/edit/").content.decode()
    assert "13812345678" not in form


def test_a_blank_phone_keeps_the_number_on_file(director_client, village_director, elderly):
    services.profile_update(
        by=village_director,
        person_id=elderly.person_id,
        version=elderly.version,
        changes={},
        contacts=[{"name": "王强", "relation": "儿子", "phone": "13812345678"}],
    )
    contact = elderly.contacts.get()
    elderly.refresh_from_db()

    services.profile_update(
        by=village_director,
        person_id=elderly.person_id,
        version=elderly.version,
        changes={},
        contacts=[{"id": contact.pk, "name": "王强", "relation": "长子", "phone": ""}],
    )

    kept = elderly.contacts.get()
    assert (kept.relation, kept.phone) == ("长子", "13812345678")


def test_the_special_difficulty_flag_shows_the_reasons_and_the_rule(
    director_client, village_director, elderly
):
    services.profile_update(
        by=village_director,
        person_id=elderly.person_id,
        version=elderly.version,
        changes={"living_situations": [LivingSituation.ALONE], "cognitive_impairment": True},
    )

    page = director_client.get(f"/elderly/{elderly.person_id}/").content.decode()

    assert 'data-special="yes"' in page
    assert 'id="special-rule"' in page


def test_someone_aged_80_counts_as_in_special_difficulty(village_director, regions):
    person = PersonFactory(region=regions.village, birth_date=born_years_ago(81))
    profile = services.profile_ensure(by=village_director, person=person)

    from shegong.elderly.selectors import special_difficulty_reasons

    assert special_difficulty_reasons(profile) == [str(LivingSituation.OLDEST_OLD.label)]
    younger = services.profile_ensure(
        by=village_director,
        person=PersonFactory(region=regions.village, birth_date=born_years_ago(65)),
    )
    assert special_difficulty_reasons(younger) == []


def test_a_file_in_another_village_is_404(director_client, make_user, regions):
    other = make_user(Role.VILLAGE_DIRECTOR, regions.sibling_village, username="other")
    person = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(70))
    services.profile_ensure(by=other, person=person)

    assert director_client.get(f"/elderly/{person.pk}/").status_code == 404
    assert director_client.get(f"/elderly/{person.pk}/assess/").status_code == 404
    assert director_client.get(f"/elderly/{person.pk}/edit/").status_code == 404
    assert person.name not in director_client.get("/elderly/").content.decode()


def test_a_volunteer_gets_404(client, make_user, elderly):
    login(client, make_user(Role.VOLUNTEER, username="volunteer"))

    assert client.get(f"/elderly/{elderly.person_id}/").status_code == 404
    assert client.get("/elderly/").status_code == 404
    assert not AccessLog.objects.exists()


def test_the_list_shows_the_level_and_the_flag(
    director_client, village_director, assistant, elderly
):
    services.assessment_record(
        by=village_director,
        person=elderly.person,
        items=items_totalling(20),
        second_assessor=assistant,
    )

    page = director_client.get("/elderly/").content.decode()

    assert elderly.person.name in page
    assert "level-badge" in page
