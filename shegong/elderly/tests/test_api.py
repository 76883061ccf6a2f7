"""POST /api/v1/elderly/{person_id}/assessments."""

import pytest

from shegong.accounts.models import Role
from shegong.elderly.models import AbilityAssessment, ElderlyProfile
from shegong.factories import PersonFactory, born_years_ago

from .conftest import items_totalling

pytestmark = pytest.mark.django_db

ITEM_KEYS = [
    "eating", "grooming", "bathing", "dressing_upper", "dressing_lower", "urine_control",
    "bowel_control", "toileting", "bed_mobility", "bed_chair_transfer", "walking", "stairs",
    "time_orientation", "place_orientation", "person_orientation", "memory", "comprehension",
    "expression", "aggression", "depression", "consciousness", "vision", "hearing",
    "daily_affairs", "transport", "social_interaction",
]  # fmt: skip


@pytest.fixture
def headers(bearer, village_director):
    return bearer(village_director)


def post(client, headers, person_id, body):
    return client.post(
        f"/api/v1/elderly/{person_id}/assessments",
        body,
        content_type="application/json",
        headers=headers,
    )


def body(total=90, **extra):
    return {
        "items": items_totalling(total),
        "coma": False,
        "dementia_or_mental_disorder": False,
        "risk_events_30d": 0,
        **extra,
    }


def test_the_item_keys_are_the_issues():
    assert sorted(items_totalling(90)) == sorted(ITEM_KEYS)


def test_it_returns_201_with_total_part_scores_and_both_levels(client, headers, old_person):
    response = post(client, headers, old_person.pk, body(60, dementia_or_mental_disorder=True))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["total"] == 60
    assert data["part_scores"] == {
        "self_care": 2,
        "mobility": 15,
        "mental": 28,
        "perception_social": 15,
    }
    assert data["preliminary_level"] == "中度失能"
    assert data["level"] == "重度失能"
    assert data["signed"] is False
    profile = ElderlyProfile.objects.get(person=old_person)
    assert profile.level == "重度失能"


def test_the_second_assessor_can_sign_at_once(client, headers, old_person, assistant):
    response = post(client, headers, old_person.pk, body(second_assessor_id=assistant.pk))

    assert response.status_code == 201
    assert response.json()["second_assessor_id"] == assistant.pk
    assert response.json()["signed"] is True


def test_the_director_cannot_be_their_own_second_assessor(
    client, headers, old_person, village_director
):
    response = post(client, headers, old_person.pk, body(second_assessor_id=village_director.pk))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "second_assessor"]


def test_a_missing_item_is_422_naming_it(client, headers, old_person):
    data = body()
    del data["items"]["walking"]

    response = post(client, headers, old_person.pk, data)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "walking"]]
    assert "平地行走" in detail[0]["msg"]
    assert not AbilityAssessment.objects.exists()


def test_an_out_of_range_score_is_422_naming_it(client, headers, old_person):
    data = body()
    data["items"]["stairs"] = 4

    response = post(client, headers, old_person.pk, data)

    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["body", "stairs"]]


def test_a_person_in_another_village_is_404(client, headers, regions):
    elsewhere = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(75))

    response = post(client, headers, elsewhere.pk, body())

    assert response.status_code == 404
    assert not ElderlyProfile.objects.exists()


def test_a_volunteer_gets_404(client, bearer, make_user, old_person):
    volunteer = make_user(Role.VOLUNTEER, username="volunteer")

    response = post(client, bearer(volunteer), old_person.pk, body())

    assert response.status_code == 404


def test_a_person_under_60_is_422(client, headers, regions):
    younger = PersonFactory(region=regions.village, birth_date=born_years_ago(45))

    response = post(client, headers, younger.pk, body())

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "person"]
