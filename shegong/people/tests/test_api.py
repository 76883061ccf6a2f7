import datetime as dt

import pytest
from django.test import Client

from shegong.factories import PersonFactory, born_years_ago
from shegong.people import idnumbers
from shegong.people.models import Person
from shegong.testing import is_chinese, login

pytestmark = pytest.mark.django_db

NUMBER = idnumbers.make("130111", dt.date(1985, 7, 1), 123)


@pytest.fixture
def headers(bearer, village_director):
    return bearer(village_director)


def post_person(client, headers, **fields):
    return client.post("/api/v1/people", fields, content_type="application/json", headers=headers)


def wrong_check_char(number):
    return number[:17] + ("1" if number[17] != "1" else "2")


def test_the_list_returns_items_and_count_with_masked_id_numbers(client, headers, person):
    response = client.get("/api/v1/people", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert {"id", "name", "region_code", "id_number_masked", "version"} <= set(item)
    assert item == item | {
        "id": person.pk,
        "name": "张建国",
        "region_code": person.region_id,
        "id_number_masked": person.id_number_masked,
        "version": 1,
    }
    assert person.id_number not in response.content.decode()


def test_the_list_searches_by_partial_name(client, headers, regions):
    PersonFactory(region=regions.village, name="王小明")
    PersonFactory(region=regions.village, name="李四")

    response = client.get("/api/v1/people", {"q": "小明"}, headers=headers)

    assert [item["name"] for item in response.json()["items"]] == ["王小明"]


def test_the_list_searches_by_exact_id_number_in_any_spelling(client, headers, regions, person):
    PersonFactory(region=regions.village)
    full_width = person.id_number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})

    response = client.get("/api/v1/people", {"q": full_width}, headers=headers)

    assert [item["id"] for item in response.json()["items"]] == [person.pk]


def test_the_list_searches_by_phone(client, headers, regions):
    wanted = PersonFactory(region=regions.village, phone="13912345678")
    PersonFactory(region=regions.village, phone="13800000000")

    response = client.get("/api/v1/people", {"q": "139 1234 5678"}, headers=headers)

    assert [item["id"] for item in response.json()["items"]] == [wanted.pk]


def test_the_list_filters_by_category(client, bearer, district_admin, regions):
    child = PersonFactory(region=regions.village, birth_date=born_years_ago(7))
    elder = PersonFactory(region=regions.far_village, birth_date=born_years_ago(75))
    dibao = PersonFactory(region=regions.village, categories=["dibao"])
    headers = bearer(district_admin)

    def ids(category):
        response = client.get("/api/v1/people", {"category": category}, headers=headers)
        return {item["id"] for item in response.json()["items"]}

    assert ids("child") == {child.pk}
    assert ids("elderly") == {elder.pk}
    assert ids("dibao") == {dibao.pk}


def test_the_list_filters_by_region(client, bearer, district_admin, regions):
    PersonFactory(region=regions.village)
    far = PersonFactory(region=regions.far_village)

    response = client.get(
        "/api/v1/people", {"region": regions.other_township.prefix}, headers=bearer(district_admin)
    )

    assert [item["id"] for item in response.json()["items"]] == [far.pk]


def test_the_list_is_paginated(client, headers, regions, settings):
    settings.SHEGONG_PAGE_SIZE = 2
    for _ in range(5):
        PersonFactory(region=regions.village)

    first = client.get("/api/v1/people", headers=headers).json()
    last = client.get("/api/v1/people", {"page": 3}, headers=headers).json()

    assert (first["count"], len(first["items"])) == (5, 2)
    assert len(last["items"]) == 1
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in last["items"]})


def test_one_person(client, headers, person):
    response = client.get(f"/api/v1/people/{person.pk}", headers=headers)

    assert response.status_code == 200
    assert response.json()["name"] == "张建国"
    assert response.json()["region_name"] == "东庄村"


def test_a_missing_person_is_404_like_an_out_of_scope_one(client, headers, regions):
    outsider = PersonFactory(region=regions.far_village)

    missing = client.get("/api/v1/people/999999", headers=headers)
    hidden = client.get(f"/api/v1/people/{outsider.pk}", headers=headers)

    assert missing.status_code == hidden.status_code == 404
    assert missing.json() == hidden.json()


def test_post_registers_a_person(client, headers, regions):
    response = post_person(
        client,
        headers,
        name="张建国",
        id_number=NUMBER,
        region_code=regions.village.code,
        phone="13912345678",
        categories=["dibao"],
    )

    assert response.status_code == 201
    body = response.json()
    person = Person.objects.get()
    assert body["id"] == person.pk
    assert (body["sex"], body["birth_date"]) == ("M", "1985-07-01")
    assert body["id_number_masked"] == "130111********" + NUMBER[-4:]
    assert body["phone_masked"] == "139****5678"
    assert body["categories"] == ["dibao"]
    assert body["version"] == 1
    assert NUMBER not in response.content.decode()


def test_post_with_a_wrong_check_digit_is_422_on_the_id_number(client, headers, regions):
    response = post_person(
        client,
        headers,
        name="张建国",
        id_number=wrong_check_char(NUMBER),
        region_code=regions.village.code,
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "id_number"]
    assert NUMBER[17] in error["msg"]
    assert not Person.objects.exists()


def test_post_with_a_wrong_check_digit_explains_it_in_chinese(client, headers, regions):
    response = post_person(
        client,
        headers,
        name="张建国",
        id_number=wrong_check_char(NUMBER),
        region_code=regions.village.code,
    )

    assert is_chinese(response.json()["detail"][0]["msg"])


def test_post_errors_follow_the_requested_language(client, headers, regions):
    response = post_person(
        client,
        {**headers, "Accept-Language": "en"},
        name="张建国",
        id_number=wrong_check_char(NUMBER),
        region_code=regions.village.code,
    )

    assert "should be " + NUMBER[17] in response.json()["detail"][0]["msg"]


def test_post_lists_every_field_error(client, headers, regions):
    response = post_person(
        client, headers, name="", id_number=NUMBER, region_code=regions.far_village.code
    )

    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert locs == {("body", "name"), ("body", "region_code")}
    assert all(e["msg"] for e in response.json()["detail"])


def test_post_without_required_fields_is_422(client, headers):
    response = post_person(client, headers, name="张建国")

    assert response.status_code == 422


def test_post_of_an_existing_id_number_is_409(client, headers, regions, person):
    response = post_person(
        client, headers, name="重复", id_number=person.id_number, region_code=regions.village.code
    )

    assert response.status_code == 409
    assert response.json()["detail"]
    assert Person.objects.count() == 1


def test_a_409_does_not_reveal_an_existing_person_outside_the_callers_area(
    client, headers, regions
):
    hidden = PersonFactory(region=regions.far_village)

    response = post_person(
        client, headers, name="重复", id_number=hidden.id_number, region_code=regions.village.code
    )

    assert response.status_code == 409
    assert str(hidden.pk) not in str(response.json().get("existing_id"))


def test_patch_with_the_current_version_saves_and_bumps_it(client, headers, person):
    response = client.patch(
        f"/api/v1/people/{person.pk}",
        {"version": 1, "address": "东庄村8号", "categories": ["living_alone"]},
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["categories"] == ["living_alone"]
    person.refresh_from_db()
    assert (person.address, person.version) == ("东庄村8号", 2)


def test_patch_with_a_stale_version_is_409_and_changes_nothing(client, headers, person):
    client.patch(
        f"/api/v1/people/{person.pk}",
        {"version": 1, "notes": "first"},
        content_type="application/json",
        headers=headers,
    )

    response = client.patch(
        f"/api/v1/people/{person.pk}",
        {"version": 1, "notes": "second"},
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    person.refresh_from_db()
    assert (person.notes, person.version) == ("first", 2)


def test_patch_with_an_invalid_value_is_422(client, headers, person):
    response = client.patch(
        f"/api/v1/people/{person.pk}",
        {"version": 1, "sex": "F"},
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "sex"]]
    person.refresh_from_db()
    assert person.version == 1


def test_patch_without_a_version_is_422(client, headers, person):
    response = client.patch(
        f"/api/v1/people/{person.pk}",
        {"notes": "x"},
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 422


def test_patch_to_another_persons_id_number_is_409(client, headers, regions, person):
    other = PersonFactory(region=regions.village)

    response = client.patch(
        f"/api/v1/people/{other.pk}",
        {"version": 1, "id_number": person.id_number},
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 409


def test_the_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/people", "/api/v1/people/{person_id}", "/api/v1/regions"} <= set(paths)


# Session authentication (the browser)


def test_a_browser_session_reads_the_api(client, director_client, person):
    response = director_client.get("/api/v1/people")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_browser_session_must_send_the_csrf_token_to_write(village_director, regions):
    browser = login(Client(enforce_csrf_checks=True), village_director)
    browser.get("/people/")
    token = browser.cookies["csrftoken"].value
    payload = {"name": "张建国", "id_number": NUMBER, "region_code": regions.village.code}

    refused = browser.post("/api/v1/people", payload, content_type="application/json")
    accepted = browser.post(
        "/api/v1/people", payload, content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 201
    assert Person.objects.count() == 1


def test_a_district_admin_session_without_the_second_factor_is_refused(
    client, district_admin, person
):
    client.force_login(district_admin)

    response = client.get("/api/v1/people")

    assert response.status_code == 401


def test_a_district_admin_session_with_the_second_factor_is_accepted(admin_client, person):
    response = admin_client.get("/api/v1/people")

    assert response.status_code == 200
    assert response.json()["count"] == 1
