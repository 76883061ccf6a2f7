"""/api/v1/children: the instrument, recording an assessment, the scoped list."""

import pytest

from shegong.accounts.models import Role
from shegong.children.models import ChildProfile
from shegong.factories import PersonFactory, born_years_ago

from .answers import answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def headers(bearer, village_director):
    return bearer(village_director)


def post_answers(client, headers, person_id, answers):
    return client.post(
        f"/api/v1/children/{person_id}/assessments",
        {"answers": answers},
        content_type="application/json",
        headers=headers,
    )


def test_the_instrument_lists_items_with_keys_dimensions_emergencies_and_options(
    client, headers, instrument
):
    response = client.get("/api/v1/children/instrument", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert [d["key"] for d in body["dimensions"]] == [
        "self",
        "guardian",
        "family",
        "school",
        "society",
    ]
    mood = next(i for i in body["items"] if i["key"] == "mood")
    assert mood["dimension"] == "self"
    assert mood["emergency"] is True
    assert mood["options"][0] == {
        "value": "stable",
        "label": "情绪稳定",
        "score": 0,
        "emergency": False,
    }
    assert mood["options"][-1]["emergency"] is True


def test_posting_answers_returns_201_with_colour_total_dimensions_and_drivers(
    client, headers, child, spec
):
    response = post_answers(client, headers, child.pk, answers(spec, "low", mood="self_harm"))

    assert response.status_code == 201
    body = response.json()
    assert body["colour"] == "red"
    assert float(body["total"]) == 3
    assert set(body["dimensions"]) == {"self", "guardian", "family", "school", "society"}
    assert body["drivers"][0]["item"] == "mood"
    assert body["drivers"][0]["emergency"] is True
    assert ChildProfile.objects.get(person=child).colour == "red"


def test_missing_and_unknown_answers_are_422_naming_them(client, headers, child, spec):
    given = answers(spec)
    del given["mood"]
    given["shoe_size"] = "42"
    given["health"] = "excellent"

    response = post_answers(client, headers, child.pk, given)

    assert response.status_code == 422
    named = {error["loc"][-1] for error in response.json()["detail"]}
    assert named == {"mood", "shoe_size", "health"}
    assert not ChildProfile.objects.filter(assessments__isnull=False).exists()


def test_a_child_out_of_scope_is_404_whatever_the_answers(client, headers, regions, spec):
    other = PersonFactory(region=regions.sibling_village, birth_date=born_years_ago(8))

    assert post_answers(client, headers, other.pk, answers(spec)).status_code == 404
    assert post_answers(client, headers, other.pk, {}).status_code == 404
    assert post_answers(client, headers, 999999, answers(spec)).status_code == 404


def test_a_volunteer_gets_404(client, bearer, make_user, child, spec):
    volunteer = make_user(Role.VOLUNTEER, region=child.region)

    response = post_answers(client, bearer(volunteer), child.pk, answers(spec))

    assert response.status_code == 404


def test_the_list_filters_by_colour_and_is_scoped(
    client, headers, bearer, make_user, regions, spec
):
    red = PersonFactory(region=regions.village, name="红孩", birth_date=born_years_ago(8))
    blue = PersonFactory(region=regions.village, name="蓝孩", birth_date=born_years_ago(8))
    far = PersonFactory(region=regions.far_village, name="远孩", birth_date=born_years_ago(8))
    post_answers(client, headers, red.pk, answers(spec, "high"))
    post_answers(client, headers, blue.pk, answers(spec, "low"))
    post_answers(client, bearer(make_user(Role.CENTER_WORKER)), far.pk, answers(spec, "high"))

    response = client.get("/api/v1/children", {"colour": "red"}, headers=headers)

    body = response.json()
    assert body["count"] == 1
    assert [(i["name"], i["colour"], i["person_id"]) for i in body["items"]] == [
        ("红孩", "red", red.pk)
    ]
    everyone = client.get("/api/v1/children", headers=headers).json()
    assert {i["name"] for i in everyone["items"]} == {"红孩", "蓝孩"}
    assert everyone["page_size"] == 25
