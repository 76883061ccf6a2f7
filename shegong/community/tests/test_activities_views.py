"""Activity pages: who sees what (other township, volunteer, viewer: 404), the forms, picking
participants and volunteers, closing and reopening, photos streamed after the scope check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.community import activities as services
from shegong.community.models import Activity, ActivityStatus
from shegong.factories import PersonFactory
from shegong.testing import login

from .test_activities import JPEG, PNG, add_people, close, fresh, plan, upload, volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(make_user):
    return make_user(Role.TOWNSHIP_WORKER, username="worker")


@pytest.fixture
def worker_client(client, worker):
    return login(client, worker)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(name: str, *args) -> str:
    return reverse(f"community:{name}", args=args)


# Who sees what -------------------------------------------------------------------------------


def test_the_list_shows_activities_of_the_users_area(worker_client, worker, make_user, regions):
    ours = plan(worker, regions.village, title="东庄村读书会")
    other = make_user(Role.TOWNSHIP_WORKER, region=regions.other_township)
    plan(other, regions.far_village, title="南营村义诊")

    page = worker_client.get(url("activities")).content.decode()

    assert "东庄村读书会" in page and "南营村义诊" not in page
    assert url("activity", ours.pk) in page


def test_a_village_director_sees_their_village_only(client, worker, village_director, regions):
    plan(worker, regions.village, title="东庄村读书会")
    plan(worker, regions.township, title="镇级培训")

    page = login(client, village_director).get(url("activities")).content.decode()

    assert "东庄村读书会" in page and "镇级培训" not in page


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.VIEWER, Role.INSTITUTION_OPERATOR])
def test_outsiders_get_404_for_lists_activities_and_photos(
    client, make_user, worker, regions, media, role
):
    activity = plan(worker, regions.village)
    photo = services.photo_add(by=worker, activity_id=activity.pk, file=upload(PNG))
    login(client, make_user(role))

    for address in (
        url("activities"),
        url("activity", activity.pk),
        url("activity_photo", activity.pk, photo.pk),
        url("activity_new"),
    ):
        assert client.get(address).status_code == 404, address


def test_a_worker_of_another_township_gets_404(client, make_user, worker, regions, media):
    activity = plan(worker, regions.village, head_count=3)
    photo = services.photo_add(by=worker, activity_id=activity.pk, file=upload(JPEG))
    login(client, make_user(Role.TOWNSHIP_WORKER, region=regions.other_township))

    for address in (
        url("activity", activity.pk),
        url("activity_edit", activity.pk),
        url("activity_participants", activity.pk),
        url("activity_photo", activity.pk, photo.pk),
    ):
        assert client.get(address).status_code == 404, address
    response = client.post(url("activity_close", activity.pk), {"summary": "x", "version": "1"})
    assert response.status_code == 404
    assert fresh(activity).status == ActivityStatus.PLANNED


def test_a_village_director_works_on_their_own_villages_activities_only(
    client, worker, make_user, regions
):
    activity = plan(worker, regions.sibling_village, head_count=3)
    director = make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village)
    login(client, director)

    page = client.get(url("activity", activity.pk)).content.decode()
    assert url("activity_edit", activity.pk) in page

    login(client, make_user(Role.VILLAGE_DIRECTOR, region=regions.village))
    assert client.get(url("activity", activity.pk)).status_code == 404


# Creating and editing ------------------------------------------------------------------------


def test_creating_group_work_opens_its_first_session(worker_client, regions):
    response = worker_client.post(
        url("activity_new"),
        {
            "title": "留守儿童成长小组",
            "kind": "group_work",
            "region": regions.village.code,
            "date": "2025-04-01",
            "target_group": "children",
            "head_count": "0",
        },
    )

    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("activity", activity.pk)
    assert (activity.region_id, activity.status) == (regions.village.code, "planned")
    assert list(activity.sessions.values_list("number", flat=True)) == [1]


def test_the_organising_station_is_one_the_user_may_write(worker_client, regions):
    page = worker_client.get(url("activity_new")).content.decode()
    assert regions.village.name in page and regions.far_village.name not in page

    response = worker_client.post(
        url("activity_new"),
        {
            "title": "越界",
            "kind": "lecture",
            "region": regions.far_village.code,
            "date": "2025-04-01",
            "target_group": "children",
            "head_count": "0",
        },
    )

    assert response.status_code == 200
    assert 'data-field-error="region"' in response.content.decode()
    assert not Activity.objects.exists()


def test_a_stale_edit_is_refused_with_a_clear_message(worker_client, worker, regions):
    activity = plan(worker, regions.village, title="旧标题")
    services.activity_update(
        by=worker, activity_id=activity.pk, version=activity.version, changes={"place": "村委会"}
    )
    form = {
        "title": "新标题",
        "kind": "lecture",
        "region": regions.village.code,
        "date": "2025-04-01",
        "target_group": "children",
        "head_count": "0",
        "version": str(activity.version),
    }

    response = worker_client.post(url("activity_edit", activity.pk), form)

    assert "有人在您编辑期间修改了此活动" in response.content.decode()
    assert fresh(activity).title == "旧标题"


# Participants and volunteers -----------------------------------------------------------------


def test_participants_are_found_by_name_or_id_number_in_the_users_area(
    worker_client, worker, regions
):
    activity = plan(worker, regions.village)
    ours = PersonFactory(region=regions.village, name="张小红")
    theirs = PersonFactory(region=regions.far_village, name="张小兰")

    by_name = worker_client.get(url("activity_participants", activity.pk), {"q": "张小"})
    by_number = worker_client.get(url("activity_participants", activity.pk), {"q": ours.id_number})
    not_ours = worker_client.get(url("activity_participants", activity.pk), {"q": theirs.id_number})

    assert f'value="{ours.pk}"' in by_name.content.decode()
    assert f'value="{theirs.pk}"' not in by_name.content.decode()
    assert f'value="{ours.pk}"' in by_number.content.decode()
    assert f'value="{theirs.pk}"' not in not_ours.content.decode()


def test_ticked_people_are_added(worker_client, worker, regions):
    activity = plan(worker, regions.village)
    a, b = PersonFactory.create_batch(2, region=regions.village)

    response = worker_client.post(
        url("activity_participants", activity.pk),
        {"people": [a.pk, b.pk], "version": activity.version},
    )

    assert response.status_code == 302
    assert set(activity.participants.values_list("pk", flat=True)) == {a.pk, b.pk}


def test_ticked_volunteers_are_added(worker_client, worker, regions):
    activity = plan(worker, regions.village)
    helper = volunteer(regions.village, "刘洋")

    page = worker_client.get(url("activity_volunteers", activity.pk)).content.decode()
    assert "刘洋" in page
    worker_client.post(
        url("activity_volunteers", activity.pk),
        {"volunteers": [helper.pk], "version": activity.version},
    )

    page = worker_client.get(url("activity", activity.pk)).content.decode()
    assert f'data-volunteer="{helper.pk}"' in page


# Sessions ------------------------------------------------------------------------------------


def test_attendance_is_ticked_from_the_participants(worker_client, worker, regions):
    group = plan(worker, regions.village, kind="group_work")
    child = PersonFactory(region=regions.village, name="陈小宝")
    add_people(worker, group, [child])

    page = worker_client.get(url("session_new", group.pk)).content.decode()
    assert "陈小宝" in page
    response = worker_client.post(
        url("session_new", group.pk),
        {
            "date": "2025-04-08",
            "topic": "认识情绪",
            "attendees": [child.pk],
            "head_count": "2",
            "version": fresh(group).version,
        },
    )

    assert response.status_code == 302
    second = group.sessions.get(number=2)
    assert (second.topic, list(second.attendees.all()), second.head_count) == (
        "认识情绪",
        [child],
        2,
    )


# Closing and reopening -----------------------------------------------------------------------


def test_closing_from_the_page_fixes_the_figures(worker_client, worker, regions):
    activity = plan(worker, regions.village, head_count=4)

    response = worker_client.post(
        url("activity_close", activity.pk),
        {"summary": "共有四位老人参加。", "version": activity.version},
    )

    assert response.status_code == 302
    activity = fresh(activity)
    assert (activity.status, activity.person_times, activity.summary) == (
        "closed",
        4,
        "共有四位老人参加。",
    )


def test_closing_without_anyone_says_what_is_missing(worker_client, worker, regions):
    activity = plan(worker, regions.village)

    response = worker_client.post(
        url("activity_close", activity.pk), {"summary": "未举行", "version": activity.version}
    )

    assert response.status_code == 422
    assert "请至少添加一名参与者，或填写参与人数" in response.content.decode()
    assert fresh(activity).status == ActivityStatus.PLANNED


def test_reopening_puts_a_held_activity_back_to_planned(worker_client, worker, regions):
    activity = close(worker, plan(worker, regions.village, head_count=4))

    worker_client.post(url("activity_reopen", activity.pk), {"version": activity.version})

    assert fresh(activity).status == ActivityStatus.PLANNED


def test_a_stale_reopen_changes_nothing(worker_client, worker, regions):
    activity = close(worker, plan(worker, regions.village, head_count=4))

    response = worker_client.post(
        url("activity_reopen", activity.pk), {"version": activity.version - 1}, follow=True
    )

    assert "有人在您编辑期间修改了此活动" in response.content.decode()
    assert fresh(activity).status == ActivityStatus.CLOSED


# Photos --------------------------------------------------------------------------------------


def test_a_photo_is_uploaded_and_streamed_to_who_may_see_the_activity(
    worker_client, worker, village_director, client, regions, media
):
    activity = plan(worker, regions.village)

    worker_client.post(
        url("activity_photo_add", activity.pk), {"image": upload(JPEG), "caption": "大合影"}
    )

    photo = activity.photos.get()
    page = worker_client.get(url("activity", activity.pk)).content.decode()
    assert f'src="{url("activity_photo", activity.pk, photo.pk)}"' in page
    assert "/media/" not in page
    response = login(client, village_director).get(url("activity_photo", activity.pk, photo.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == JPEG


def test_a_file_that_is_not_a_photo_is_refused_on_the_page(worker_client, worker, regions, media):
    activity = plan(worker, regions.village)

    response = worker_client.post(
        url("activity_photo_add", activity.pk),
        {"image": upload(b"<html><script>alert(1)</script></html>", "x.png")},
    )

    assert response.status_code == 422
    assert "只能上传JPEG和PNG格式的照片" in response.content.decode()
    assert not activity.photos.exists()


def test_a_photo_of_another_activity_is_not_served_through_this_one(
    worker_client, worker, regions, media
):
    first, second = plan(worker, regions.village), plan(worker, regions.village)
    photo = services.photo_add(by=worker, activity_id=second.pk, file=upload(PNG))

    assert worker_client.get(url("activity_photo", first.pk, photo.pk)).status_code == 404


# Filters and cost ----------------------------------------------------------------------------


def test_the_list_filters_by_kind_status_dates_region_and_target(worker_client, worker, regions):
    today = timezone.localdate()
    held = close(worker, plan(worker, regions.village, title="甲活动", head_count=2))
    plan(worker, regions.sibling_village, title="乙活动", kind="lecture", target_group="children")
    plan(worker, regions.township, title="丙活动", date=today - dt.timedelta(days=400))

    def titles(**params) -> set[str]:
        page = worker_client.get(url("activities"), params).context["activities"]
        return {a.title for a in page}

    assert titles() == {"甲活动", "乙活动", "丙活动"}
    assert titles(status="closed") == {held.title}
    assert titles(kind="lecture") == {"乙活动"}
    assert titles(target="children") == {"乙活动"}
    assert titles(region=regions.sibling_village.code) == {"乙活动"}
    assert titles(**{"from": (today - dt.timedelta(days=30)).isoformat()}) == {"甲活动", "乙活动"}
    assert titles(to=(today - dt.timedelta(days=30)).isoformat()) == {"丙活动"}
    bad = worker_client.get(url("activities"), {"from": "2025-13-40"})
    assert 'data-field-error="from"' in bad.content.decode()


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url("activities")).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_more_activities(worker_client, worker, regions):
    def more(n: int) -> None:
        for _ in range(n):
            activity = plan(worker, regions.village, head_count=1)
            add_people(worker, activity, PersonFactory.create_batch(2, region=regions.village))
            services.volunteers_assign(
                by=worker,
                activity_id=activity.pk,
                version=fresh(activity).version,
                volunteers=[volunteer(regions.village)],
            )

    more(2)
    few = _list_queries(worker_client)
    more(8)

    assert _list_queries(worker_client) == few
