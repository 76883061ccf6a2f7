"""Activity services: the person-times rule, sessions and attendance, closing and reopening,
version checks, and who may organise what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.community import activities as services
from shegong.community import activities_selectors as selectors
from shegong.community.models import (
    Activity,
    ActivityStatus,
    Assignment,
    AssignmentStatus,
    Organisation,
    Volunteer,
)
from shegong.community.volunteers import activity_volunteers
from shegong.factories import PersonFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


# Helpers shared with the other activity test modules ------------------------------------------


def plan(by, region, **fields) -> Activity:
    values = {
        "title": "重阳节敬老活动",
        "kind": "festival",
        "date": timezone.localdate(),
        "target_group": "elderly",
    }
    values.update(fields)
    return services.activity_create(by=by, region=region, **values)


def fresh(activity: Activity) -> Activity:
    return Activity.objects.get(pk=activity.pk)


def add_people(by, activity: Activity, people) -> Activity:
    return services.participants_add(
        by=by, activity_id=activity.pk, version=fresh(activity).version, people=people
    )


def close(by, activity: Activity, summary: str = "活动顺利举行。") -> Activity:
    return services.activity_close(
        by=by, activity_id=activity.pk, version=fresh(activity).version, summary=summary
    )


def session(by, activity: Activity, attendees=(), head_count: int = 0, **fields):
    return services.session_add(
        by=by,
        activity_id=activity.pk,
        version=fresh(activity).version,
        date=fields.pop("date", timezone.localdate()),
        attendees=attendees,
        head_count=head_count,
        **fields,
    )


def volunteer(region, name: str = "志愿者甲", **fields) -> Volunteer:
    return Volunteer.objects.create(
        name=name, phone="13800000000", region=region, joined_on=dt.date(2024, 1, 1), **fields
    )


def upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.fixture
def worker(make_user):
    """A township social worker of 栾城镇."""
    return make_user(Role.TOWNSHIP_WORKER, username="worker")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# The person-times rule -----------------------------------------------------------------------


def test_one_person_at_three_sessions_is_three_person_times_and_one_person(worker, regions):
    child = PersonFactory(region=regions.village)
    group = plan(worker, regions.village, kind="group_work", target_group="children")
    add_people(worker, group, [child])
    services.session_update(
        by=worker,
        activity_id=group.pk,
        version=fresh(group).version,
        number=1,
        date=group.date,
        attendees=[child],
    )
    session(worker, group, attendees=[child])
    session(worker, group, attendees=[child])

    counted = selectors.beneficiaries(group)

    assert (counted.sessions, counted.person_times, counted.people) == (3, 3, 1)


def test_without_sessions_person_times_are_participants_plus_head_count(worker, regions):
    lecture = plan(worker, regions.township, kind="lecture", head_count=20)
    add_people(worker, lecture, PersonFactory.create_batch(3, region=regions.village))

    counted = selectors.beneficiaries(lecture)

    assert (counted.sessions, counted.person_times, counted.people) == (0, 23, 23)


def test_with_sessions_each_session_counts_its_attendance_and_head_count(worker, regions):
    a, b = PersonFactory.create_batch(2, region=regions.village)
    group = plan(worker, regions.village, kind="lecture", head_count=50)
    add_people(worker, group, [a, b])
    session(worker, group, attendees=[a, b], head_count=4)
    session(worker, group, attendees=[a], head_count=6)

    counted = selectors.beneficiaries(group)

    # 2 + 4 and 1 + 6; the activity's own head count is for an activity without sessions.
    assert counted.person_times == 13
    # Two registry people, and the largest group of people counted by head.
    assert counted.people == 2 + 6


def test_lists_count_by_the_same_rule(worker, regions):
    a, b = PersonFactory.create_batch(2, region=regions.village)
    plain = plan(worker, regions.village, head_count=5)
    add_people(worker, plain, [a])
    group = plan(worker, regions.village, kind="group_work")
    add_people(worker, group, [a, b])
    session(worker, group, attendees=[a, b], head_count=1)

    listed = {
        row.pk: row.counted_person_times
        for row in selectors.activity_list(fetched_by=worker, filters=selectors.ActivityFilters())
    }

    assert listed == {
        plain.pk: selectors.beneficiaries(plain).person_times,
        group.pk: selectors.beneficiaries(group).person_times,
    }
    assert listed == {plain.pk: 6, group.pk: 3}


# Sessions ------------------------------------------------------------------------------------


def test_group_work_starts_with_its_first_session(worker, regions):
    group = plan(worker, regions.village, kind="group_work", date=dt.date(2025, 3, 2))

    assert list(group.sessions.values_list("number", "date")) == [(1, dt.date(2025, 3, 2))]


def test_other_activities_start_without_sessions(worker, regions):
    assert not plan(worker, regions.village, kind="lecture").sessions.exists()


def test_session_numbers_follow_on(worker, regions):
    group = plan(worker, regions.village, kind="group_work")

    assert session(worker, group).number == 2
    assert session(worker, group).number == 3


def test_only_participants_can_attend_a_session(worker, regions):
    member, stranger = PersonFactory.create_batch(2, region=regions.village)
    group = plan(worker, regions.village, kind="group_work")
    add_people(worker, group, [member])

    with pytest.raises(ValidationError) as refused:
        session(worker, group, attendees=[member, stranger])

    assert "attendees" in refused.value.message_dict
    assert group.sessions.count() == 1


def test_a_participant_who_attended_is_untick_first_before_removal(worker, regions):
    child = PersonFactory(region=regions.village, name="王小明")
    group = plan(worker, regions.village, kind="group_work")
    add_people(worker, group, [child])
    session(worker, group, attendees=[child])

    with pytest.raises(ValidationError, match="王小明"):
        services.participant_remove(
            by=worker, activity_id=group.pk, version=fresh(group).version, person_id=child.pk
        )

    assert group.participants.filter(pk=child.pk).exists()


def test_only_the_last_session_can_be_deleted(worker, regions):
    group = plan(worker, regions.village, kind="group_work")
    session(worker, group)

    with pytest.raises(ValidationError):
        services.session_delete(
            by=worker, activity_id=group.pk, version=fresh(group).version, number=1
        )
    services.session_delete(by=worker, activity_id=group.pk, version=fresh(group).version, number=2)

    assert list(group.sessions.values_list("number", flat=True)) == [1]


# Closing, reopening, cancelling ----------------------------------------------------------------


def test_closing_fixes_the_person_times(worker, regions):
    activity = plan(worker, regions.village, head_count=7)
    add_people(worker, activity, PersonFactory.create_batch(2, region=regions.village))

    close(worker, activity)

    activity = fresh(activity)
    assert (activity.status, activity.person_times) == (ActivityStatus.CLOSED, 9)
    assert activity.summary == "活动顺利举行。"


def test_closing_needs_a_summary(worker, regions):
    activity = plan(worker, regions.village, head_count=7)

    with pytest.raises(ValidationError) as refused:
        close(worker, activity, summary="  ")

    assert "summary" in refused.value.message_dict
    assert fresh(activity).status == ActivityStatus.PLANNED


def test_closing_needs_someone_who_took_part(worker, regions):
    activity = plan(worker, regions.village)

    with pytest.raises(ValidationError) as refused:
        close(worker, activity)

    assert "head_count" in refused.value.message_dict


def test_closing_group_work_needs_attendance(worker, regions):
    group = plan(worker, regions.village, kind="group_work")
    add_people(worker, group, [PersonFactory(region=regions.village)])

    with pytest.raises(ValidationError) as refused:
        close(worker, group)

    assert "attendees" in refused.value.message_dict


def test_an_activity_is_closed_once_it_was_held(worker, regions):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    activity = plan(worker, regions.village, head_count=3, date=tomorrow)

    with pytest.raises(ValidationError) as refused:
        close(worker, activity)

    assert "date" in refused.value.message_dict


def test_a_held_activity_is_reopened_before_it_changes(worker, regions):
    activity = plan(worker, regions.village, head_count=3)
    close(worker, activity)

    with pytest.raises(ValidationError, match="请先重新打开"):
        services.activity_update(
            by=worker,
            activity_id=activity.pk,
            version=fresh(activity).version,
            changes={"head_count": 30},
        )
    services.activity_reopen(by=worker, activity_id=activity.pk, version=fresh(activity).version)
    assert (fresh(activity).status, fresh(activity).person_times) == (ActivityStatus.PLANNED, 0)

    services.activity_update(
        by=worker,
        activity_id=activity.pk,
        version=fresh(activity).version,
        changes={"head_count": 30},
    )
    close(worker, activity)
    assert fresh(activity).person_times == 30


def test_a_cancelled_activity_cannot_be_closed(worker, regions):
    activity = plan(worker, regions.village, head_count=3)
    services.activity_cancel(by=worker, activity_id=activity.pk, version=fresh(activity).version)

    with pytest.raises(ValidationError, match="此活动已取消"):
        close(worker, activity)

    listed = selectors.activity_list(fetched_by=worker, filters=selectors.ActivityFilters()).get()
    assert listed.counted_person_times == 0


def test_a_stale_version_changes_nothing(worker, regions):
    activity = plan(worker, regions.village, head_count=3)
    seen = activity.version
    services.activity_update(
        by=worker, activity_id=activity.pk, version=seen, changes={"title": "新的标题"}
    )

    for attempt in (
        lambda: services.activity_update(
            by=worker, activity_id=activity.pk, version=seen, changes={"title": "旧的标题"}
        ),
        lambda: services.activity_close(
            by=worker, activity_id=activity.pk, version=seen, summary="好"
        ),
        lambda: services.session_add(
            by=worker, activity_id=activity.pk, version=seen, date=activity.date
        ),
    ):
        with pytest.raises(ValidationError, match="有人在您编辑期间修改了此活动"):
            attempt()

    activity = fresh(activity)
    assert (activity.title, activity.status, activity.sessions.count()) == (
        "新的标题",
        "planned",
        0,
    )


# Who may organise what -----------------------------------------------------------------------


def test_a_worker_organises_for_their_township_and_its_villages(worker, regions):
    codes = [r.code for r in selectors.organising_regions(worker)]

    assert codes == [regions.township.code, regions.village.code, regions.sibling_village.code]


def test_nobody_organises_outside_their_area(worker, regions):
    with pytest.raises(ValidationError) as refused:
        plan(worker, regions.far_village)

    assert "region" in refused.value.message_dict


def test_an_activity_of_another_township_cannot_be_changed(worker, make_user, regions):
    other = make_user(Role.TOWNSHIP_WORKER, region=regions.other_township)
    activity = plan(other, regions.far_village, head_count=3)

    with pytest.raises(Http404):
        close(worker, activity)


def test_participants_come_from_the_users_area(worker, regions):
    activity = plan(worker, regions.township)
    outsider = PersonFactory(region=regions.far_village)

    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        add_people(worker, activity, [outsider])

    assert not activity.participants.exists()


def test_organisations_from_the_library_take_part(worker, regions):
    charity = Organisation.objects.create(
        name="爱心基金会", kind="charity", region=regions.district
    )

    activity = plan(worker, regions.village, organisations=[charity])

    assert list(activity.organisations.all()) == [charity]


# Volunteers ----------------------------------------------------------------------------------


def test_volunteers_are_put_on_the_activity_and_counted_in_lists(worker, regions):
    activity = plan(worker, regions.village)
    first, second = volunteer(regions.village, "李华"), volunteer(regions.sibling_village, "赵敏")

    services.volunteers_assign(
        by=worker, activity_id=activity.pk, version=activity.version, volunteers=[first, second]
    )
    Assignment.objects.filter(volunteer=second).update(status=AssignmentStatus.WITHDRAWN)

    listed = selectors.activity_list(fetched_by=worker, filters=selectors.ActivityFilters()).get()
    assert list(activity_volunteers(activity)) == [first]
    assert listed.volunteers_count == 1


# Photos --------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [PNG, JPEG])
def test_jpeg_and_png_photos_are_kept_under_a_name_of_our_own(worker, regions, media, content):
    activity = plan(worker, regions.village)

    photo = services.photo_add(
        by=worker, activity_id=activity.pk, file=upload(content, "../../etc/x.gif"), caption="合影"
    )

    assert photo.image.name.startswith(f"community/photos/{activity.pk}/")
    assert photo.image.name.endswith(".png" if content == PNG else ".jpg")
    assert photo.image.read() == content


@pytest.mark.parametrize(
    "content",
    [b"GIF89a" + b"\0" * 10, b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.4", b""],
)
def test_other_files_are_refused_whatever_their_name(worker, regions, media, content):
    activity = plan(worker, regions.village)

    with pytest.raises(ValidationError) as refused:
        services.photo_add(by=worker, activity_id=activity.pk, file=upload(content, "photo.jpg"))

    assert "image" in refused.value.message_dict
    assert not activity.photos.exists()


def test_photos_larger_than_five_megabytes_are_refused(worker, regions, media):
    activity = plan(worker, regions.village)
    big = JPEG + b"\0" * (5 * 1024 * 1024)

    with pytest.raises(ValidationError, match="5 MB"):
        services.photo_add(by=worker, activity_id=activity.pk, file=upload(big))


def test_deleting_a_photo_removes_its_file(
    worker, regions, media, django_capture_on_commit_callbacks
):
    activity = plan(worker, regions.village)
    photo = services.photo_add(by=worker, activity_id=activity.pk, file=upload(PNG))
    path = media / photo.image.name

    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(by=worker, activity_id=activity.pk, photo_id=photo.pk)

    assert not path.exists()
    assert not activity.photos.exists()


def test_magic_bytes_decide_the_type():
    assert services.photo_type(PNG[:8]) == ("png", "image/png")
    assert services.photo_type(JPEG[:8]) == ("jpg", "image/jpeg")
    assert services.photo_type(b"BM\0\0\0\0\0\0") is None


def test_cancelling_an_activity_cancels_its_help_task(district_admin, regions):
    from shegong.community import activities as services
    from shegong.community import volunteers as volunteer_services
    from shegong.community.models import Activity, TaskStatus, Volunteer

    activity = Activity.objects.create(
        title="重阳节敬老活动", kind="festival", region=regions.village, date=dt.date(2026, 12, 20),
        target_group="elderly", created_by=district_admin,
    )  # fmt: skip
    helper = Volunteer.objects.create(
        name="志愿者甲", region=regions.village, joined_on=dt.date(2026, 1, 1)
    )
    task = volunteer_services.assign_to_activity(
        by=district_admin, activity=activity, volunteers=[helper]
    )

    services.activity_cancel(by=district_admin, activity_id=activity.pk, version=activity.version)

    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
