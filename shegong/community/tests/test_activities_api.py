"""GET /api/v1/community/activities: scoped, filtered and paginated like people, with figures
computed in SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.community import activities as services
from shegong.factories import PersonFactory

from .test_activities import add_people, close, fresh, plan, session, volunteer

pytestmark = pytest.mark.django_db

API = "/api/v1/community/activities"


@pytest.fixture
def worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="worker")


def test_each_activity_comes_with_its_figures(client, bearer, worker, regions):
    child = PersonFactory(region=regions.village)
    group = plan(worker, regions.village, kind="group_work", title="儿童小组")
    add_people(worker, group, [child])
    session(worker, group, attendees=[child], head_count=2)
    session(worker, group, attendees=[child])
    services.volunteers_assign(
        by=worker, activity_id=group.pk, version=fresh(group).version,
        volunteers=[volunteer(regions.village), volunteer(regions.village, "乙")],
    )  # fmt: skip

    body = client.get(API, headers=bearer(worker)).json()

    assert (body["count"], body["page"]) == (1, 1)
    item = body["items"][0]
    assert item["title"] == "儿童小组"
    assert (item["kind"], item["date"], item["status"]) == (
        "group_work",
        group.date.isoformat(),
        "planned",
    )
    assert (item["participants_count"], item["person_times"], item["volunteers_count"]) == (
        1,
        4,
        2,
    )
    assert item["region_code"] == regions.village.code


def test_a_held_activity_shows_its_fixed_person_times(client, bearer, worker, regions):
    activity = close(worker, plan(worker, regions.village, head_count=9))

    item = client.get(API, headers=bearer(worker)).json()["items"][0]

    assert (item["status"], item["person_times"]) == ("closed", 9)
    assert item["id"] == activity.pk


def test_the_list_is_scoped_to_the_caller(client, bearer, worker, make_user, regions):
    plan(worker, regions.village, title="我们的")
    far = make_user(Role.TOWNSHIP_WORKER, region=regions.other_township)
    theirs = plan(far, regions.far_village, title="他们的")

    titles = [i["title"] for i in client.get(API, headers=bearer(worker)).json()["items"]]

    assert titles == ["我们的"]
    assert client.get(f"{API}/{theirs.pk}", headers=bearer(worker)).status_code == 404
    assert client.get(f"{API}/{theirs.pk}", headers=bearer(far)).status_code == 200


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER])
def test_volunteers_and_viewers_get_no_activities(client, bearer, make_user, worker, regions, role):
    activity = plan(worker, regions.village)
    user = make_user(role)

    assert client.get(API, headers=bearer(user)).json()["count"] == 0
    assert client.get(f"{API}/{activity.pk}", headers=bearer(user)).status_code == 404


def test_filters_by_kind_status_and_dates(client, bearer, worker, regions):
    today = timezone.localdate()
    close(worker, plan(worker, regions.village, title="甲", kind="lecture", head_count=1))
    plan(worker, regions.village, title="乙", kind="festival")
    plan(worker, regions.village, title="丙", kind="festival", date=today - dt.timedelta(days=60))

    def titles(**params) -> set[str]:
        body = client.get(API, params, headers=bearer(worker)).json()
        return {i["title"] for i in body["items"]}

    assert titles(kind="lecture") == {"甲"}
    assert titles(status="planned") == {"乙", "丙"}
    assert titles(**{"from": (today - dt.timedelta(days=7)).isoformat()}) == {"甲", "乙"}
    assert titles(to=(today - dt.timedelta(days=7)).isoformat()) == {"丙"}


def test_pages_of_the_configured_size(client, bearer, worker, regions, settings):
    settings.SHEGONG_PAGE_SIZE = 2
    for n in range(5):
        plan(worker, regions.village, title=f"活动{n}")

    second = client.get(API, {"page": 3}, headers=bearer(worker)).json()

    assert (second["count"], second["page"], second["page_size"]) == (5, 3, 2)
    assert len(second["items"]) == 1


def test_a_page_costs_the_same_queries_for_more_activities(client, bearer, worker, regions):
    headers = bearer(worker)

    def more(n: int) -> None:
        for _ in range(n):
            activity = plan(worker, regions.village, kind="group_work")
            add_people(worker, activity, PersonFactory.create_batch(2, region=regions.village))
            session(worker, activity, attendees=list(activity.participants.all()))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API, headers=headers).status_code == 200
        return len(captured)

    more(1)
    few = queries()
    more(6)

    assert queries() == few
