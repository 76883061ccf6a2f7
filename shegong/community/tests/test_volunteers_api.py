"""GET /api/v1/community/volunteers: scoped and paginated like people, with registered and
approved hours."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shegong.accounts.models import Role
from shegong.community.models import Assignment

from .helpers_volunteers import make_task, make_volunteer

pytestmark = pytest.mark.django_db

URL = "/api/v1/community/volunteers"


@pytest.fixture
def worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="worker")


def _hours(volunteer, task, hours, status):
    Assignment.objects.create(
        task=task, volunteer=volunteer, status="assigned", hours=hours, hours_status=status
    )


def test_each_volunteer_has_registered_and_approved_hours(client, bearer, worker, regions):
    registered = make_volunteer(regions.village, name="甲", registered=True, number="N001")
    plain = make_volunteer(regions.village, name="乙")
    for n, (hours, status) in enumerate([("2.5", "approved"), ("4", "approved"), ("9", "logged")]):
        _hours(
            registered, make_task(regions.village, worker, title=f"t{n}"), Decimal(hours), status
        )

    body = client.get(URL, headers=bearer(worker)).json()

    items = {i["name"]: i for i in body["items"]}
    assert (body["count"], body["page"], body["page_size"]) == (2, 1, 25)
    assert items["甲"]["registered"] is True and items["甲"]["hours"] == 6.5
    assert items["甲"]["national_number"] == "N001"
    assert items["乙"] == {**items["乙"], "registered": False, "hours": 0, "national_number": None}
    assert items["乙"]["id"] == plain.pk


def test_it_filters_by_registration(client, bearer, worker, regions):
    make_volunteer(regions.village, name="甲", registered=True, number="N001")
    make_volunteer(regions.village, name="乙")

    for value, names in (("true", ["甲"]), ("0", ["乙"]), ("", sorted(["甲", "乙"]))):
        body = client.get(URL, {"registered": value}, headers=bearer(worker)).json()
        assert sorted(i["name"] for i in body["items"]) == names


def test_it_paginates_like_people(client, bearer, worker, regions, settings):
    settings.SHEGONG_PAGE_SIZE = 2
    for n in range(5):
        make_volunteer(regions.village, name=f"志愿者{n}")

    first = client.get(URL, headers=bearer(worker)).json()
    last = client.get(URL, {"page": 3}, headers=bearer(worker)).json()

    assert (first["count"], len(first["items"]), first["page_size"]) == (5, 2, 2)
    assert (last["page"], len(last["items"])) == (3, 1)
    assert client.get(URL, {"page": 0}, headers=bearer(worker)).status_code == 422


def test_it_is_scoped(client, bearer, make_user, regions):
    make_volunteer(regions.village, name="近")
    make_volunteer(regions.far_village, name="远")
    outsider = make_user(Role.TOWNSHIP_WORKER, region=regions.other_township)
    viewer = make_user(Role.VIEWER)

    assert [i["name"] for i in client.get(URL, headers=bearer(outsider)).json()["items"]] == ["远"]
    assert client.get(URL, headers=bearer(viewer)).json()["count"] == 0


def test_a_volunteer_sees_only_themself_and_no_phone(client, bearer, make_user, regions):
    account = make_user(Role.VOLUNTEER)
    make_volunteer(regions.village, name="我", user=account)
    make_volunteer(regions.village, name="别人")

    items = client.get(URL, headers=bearer(account)).json()["items"]

    assert [i["name"] for i in items] == ["我"]
    assert items[0]["phone"] is None


def test_writers_see_the_phone(client, bearer, worker, regions):
    make_volunteer(regions.village, phone="13911112222")

    assert client.get(URL, headers=bearer(worker)).json()["items"][0]["phone"] == "13911112222"


def test_the_list_takes_a_fixed_number_of_queries(
    client, bearer, worker, regions, django_assert_max_num_queries
):
    for n in range(10):
        volunteer = make_volunteer(regions.village, name=f"志愿者{n}")
        _hours(volunteer, make_task(regions.village, worker, title=f"t{n}"), 1, "approved")
    headers = bearer(worker)

    with django_assert_max_num_queries(8):
        body = client.get(URL, headers=headers).json()

    assert all(i["hours"] == 1 for i in body["items"])
