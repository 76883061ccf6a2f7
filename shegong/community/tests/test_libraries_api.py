"""GET /api/v1/community/organisations and /professionals: the district library, paginated like
people; viewers get the count only; anyone else 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.community import libraries_links
from shegong.community.models import Incubation, Organisation, Professional
from shegong.testing import login

pytestmark = pytest.mark.django_db

ORGANISATIONS = "/api/v1/community/organisations"
PROFESSIONALS = "/api/v1/community/professionals"


@pytest.fixture
def library(regions, district_admin, person):
    charity = Organisation.objects.create(
        name="爱心基金会", kind="charity", region=regions.district
    )
    club = Organisation.objects.create(
        name="东庄老年协会", kind="community", region=regions.village
    )
    Organisation.objects.create(
        name="冶河镇康复中心", kind="rehabilitation", region=regions.far_village, status="paused"
    )
    Incubation.objects.create(organisation=club, started_on=timezone.localdate(), mentor="王老师")
    Professional.objects.create(
        name="李医生", profession="doctor", region=regions.township, organisation=charity
    )
    Professional.objects.create(name="赵律师", profession="lawyer", region=regions.far_village)
    libraries_links.link_create(
        by=district_admin,
        recipient=libraries_links.Recipient(person=person),
        organisation=charity,
        professional=None,
        kind="goods",
        description="米面油",
        quantity=Decimal(1),
        given_on=timezone.localdate(),
    )
    return {"charity": charity, "club": club}


def test_an_organisation_has_its_links_count_and_linked(client, bearer, village_director, library):
    body = client.get(ORGANISATIONS, headers=bearer(village_director)).json()

    assert (body["count"], body["page"], body["page_size"]) == (3, 1, 25)
    by_name = {item["name"]: item for item in body["items"]}
    assert set(by_name) == {"爱心基金会", "东庄老年协会", "冶河镇康复中心"}
    charity = by_name["爱心基金会"]
    assert (charity["links_count"], charity["linked"], charity["region_code"]) == (
        1,
        True,
        "130111000000",
    )
    assert charity["incubation_stage"] is None
    club = by_name["东庄老年协会"]
    assert (club["links_count"], club["linked"], club["incubation_stage"]) == (0, False, "seed")
    assert {
        "id",
        "kind",
        "status",
        "region_name",
        "contact_name",
        "contact_phone",
        "services",
        "service_area",
        "joined_on",
    } <= set(charity)


def test_organisations_filter_by_kind_status_and_name(client, bearer, district_admin, library):
    headers = bearer(district_admin)

    def names(**params) -> set[str]:
        body = client.get(ORGANISATIONS, params, headers=headers).json()
        return {item["name"] for item in body["items"]}

    assert names(kind="community") == {"东庄老年协会"}
    assert names(status="paused") == {"冶河镇康复中心"}
    assert names(q="基金") == {"爱心基金会"}


def test_organisations_are_paginated_like_people(client, bearer, district_admin, regions):
    for n in range(30):
        Organisation.objects.create(name=f"组织{n:02d}", kind="charity", region=regions.district)
    headers = bearer(district_admin)

    first = client.get(ORGANISATIONS, headers=headers).json()
    second = client.get(ORGANISATIONS, {"page": 2}, headers=headers).json()

    assert (len(first["items"]), len(second["items"])) == (25, 5)
    assert second["count"] == 30 and second["page"] == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert client.get(ORGANISATIONS, {"page": 0}, headers=headers).status_code == 422


def test_professionals_list_and_filter(client, bearer, village_director, library):
    headers = bearer(village_director)

    body = client.get(PROFESSIONALS, headers=headers).json()
    lawyers = client.get(PROFESSIONALS, {"profession": "lawyer"}, headers=headers).json()

    assert body["count"] == 2 and body["page_size"] == 25
    doctor = next(item for item in body["items"] if item["name"] == "李医生")
    assert (doctor["organisation_name"], doctor["region_code"]) == ("爱心基金会", "130111100000")
    assert "phone" not in doctor
    assert [item["name"] for item in lawyers["items"]] == ["赵律师"]
    assert client.get(PROFESSIONALS, {"q": "赵"}, headers=headers).json()["count"] == 1


def test_a_viewer_gets_the_count_without_items(client, bearer, make_user, library):
    headers = bearer(make_user(Role.VIEWER))

    body = client.get(ORGANISATIONS, {"kind": "charity"}, headers=headers).json()

    assert (body["items"], body["count"]) == ([], 1)
    assert client.get(PROFESSIONALS, headers=headers).json() == {
        "items": [],
        "count": 2,
        "page": 1,
        "page_size": 25,
    }


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.AGENCY_LIAISON, Role.BANK_OFFICER])
def test_anyone_else_gets_404(client, bearer, make_user, library, role):
    headers = bearer(make_user(role))

    assert client.get(ORGANISATIONS, headers=headers).status_code == 404
    assert client.get(PROFESSIONALS, headers=headers).status_code == 404


def test_the_browser_session_works_and_anonymous_is_refused(client, village_director, library):
    assert client.get(ORGANISATIONS).status_code == 401

    login(client, village_director)

    assert client.get(ORGANISATIONS).json()["count"] == 3
