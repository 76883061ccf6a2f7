"""Inspections and their rectification items: who records, reports and checks them, and the
version that keeps two people from overwriting each other."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.casework.models import Notification
from shegong.institutions import inspections
from shegong.institutions.models import (
    Inspection,
    Institution,
    RectificationFollowUp,
    RectificationItem,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def record(by, institution, *, items=None, **fields) -> Inspection:
    values = {
        "inspected_on": days(-10),
        "inspectors": "李明、王芳",
        "findings": "消防通道堵塞；应急预案未更新。",
        "items": [
            {"description": "清理消防通道", "deadline": days(20)},
            {"description": "更新应急预案", "deadline": days(-1)},
        ]
        if items is None
        else items,
    }
    values.update(fields)
    return inspections.inspection_create(by=by, institution=institution, **values)


@pytest.fixture
def inspection(district_admin, institution, operator) -> Inspection:
    return record(district_admin, institution)


@pytest.fixture
def item(inspection) -> RectificationItem:
    return inspection.items.get(description="清理消防通道")


@pytest.fixture
def reported(item, operator) -> RectificationItem:
    return inspections.item_report_done(by=operator, item=item, note="已清理", version=1)


def test_the_district_records_an_inspection_with_its_items(district_admin, institution):
    inspection = record(district_admin, institution)

    assert inspection.recorded_by == district_admin
    assert list(inspection.items.values_list("description", "status")) == [
        ("更新应急预案", "open"),
        ("清理消防通道", "open"),
    ]


def test_the_village_director_records_inspections_in_their_village(village_director, institution):
    assert record(village_director, institution).institution == institution


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"inspected_on": days(1)}, "inspected_on"),
        ({"findings": "  "}, "findings"),
        ({"inspectors": ""}, "inspectors"),
        ({"items": [{"description": "整改", "deadline": days(-11)}]}, "items"),
        ({"items": [{"description": " ", "deadline": days(5)}]}, "items"),
    ],
)
def test_it_refuses_a_bad_inspection_and_records_nothing(
    district_admin, institution, fields, field
):
    with pytest.raises(ValidationError) as refused:
        record(district_admin, institution, **fields)

    assert field in refused.value.message_dict
    assert not Inspection.objects.exists()


def test_the_deadline_error_names_the_row_and_the_dates(district_admin, institution):
    items = [
        {"description": "整改一", "deadline": days(1)},
        {"description": "整改二", "deadline": days(-30)},
    ]
    with pytest.raises(ValidationError) as refused:
        record(district_admin, institution, items=items)

    (message,) = refused.value.message_dict["items"]
    assert "2" in message and str(days(-30)) in message and str(days(-10)) in message


def test_an_operator_cannot_record_an_inspection(operator, institution):
    with pytest.raises(PermissionDenied):
        record(operator, institution)


def test_a_village_director_of_another_village_cannot_record_one(make_user, regions, institution):
    neighbour = make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village)

    with pytest.raises(PermissionDenied):
        record(neighbour, institution)


def test_the_operator_reports_an_item_put_right(reported, operator):
    reported.refresh_from_db()

    assert (reported.status, reported.reported_on, reported.version) == ("reported", TODAY, 2)
    log = reported.follow_ups.get()
    assert (log.status, log.note, log.by) == ("reported", "已清理", operator)


def test_the_district_accepts_a_reported_item(reported, district_admin):
    inspections.item_verify(by=district_admin, item=reported, note="", accepted=True, version=2)

    reported.refresh_from_db()
    assert (reported.status, reported.verified_on, reported.version) == ("verified", TODAY, 3)


def test_a_refused_item_is_open_again_with_the_reason(reported, district_admin):
    inspections.item_verify(
        by=district_admin, item=reported, note="通道仍有杂物", accepted=False, version=2
    )

    reported.refresh_from_db()
    assert (reported.status, reported.reported_on) == ("open", None)
    assert reported.follow_ups.last().note == "通道仍有杂物"


def test_a_refusal_needs_a_reason(reported, district_admin):
    with pytest.raises(ValidationError) as refused:
        inspections.item_verify(
            by=district_admin, item=reported, note=" ", accepted=False, version=2
        )

    assert "note" in refused.value.message_dict
    reported.refresh_from_db()
    assert reported.status == "reported"


def test_an_operator_cannot_check_their_own_item(reported, operator):
    with pytest.raises(PermissionDenied):
        inspections.item_verify(by=operator, item=reported, note="", accepted=True, version=2)

    reported.refresh_from_db()
    assert reported.status == "reported"


def test_a_stale_version_is_refused_and_changes_nothing(reported, district_admin):
    with pytest.raises(ValidationError, match="其他人修改了该整改事项"):
        inspections.item_verify(by=district_admin, item=reported, note="", accepted=True, version=1)

    reported.refresh_from_db()
    assert (reported.status, reported.version) == ("reported", 2)
    assert reported.follow_ups.count() == 1


def test_an_open_item_cannot_be_verified(item, district_admin):
    with pytest.raises(ValidationError, match="尚未报告整改完成"):
        inspections.item_verify(by=district_admin, item=item, note="", accepted=True, version=1)


def test_a_verified_item_cannot_be_reported_again(reported, district_admin, operator):
    inspections.item_verify(by=district_admin, item=reported, note="", accepted=True, version=2)

    with pytest.raises(ValidationError, match="已复查通过"):
        inspections.item_report_done(by=operator, item=reported, note="", version=3)


def test_a_note_leaves_the_item_as_it_is(item, operator):
    inspections.item_note(by=operator, item=item, note="已联系施工队")

    item.refresh_from_db()
    assert (item.status, item.version) == ("open", 1)
    assert item.follow_ups.get().status == ""


def test_a_bank_officer_cannot_touch_an_item(item, officer):
    with pytest.raises(Http404):
        inspections.item_report_done(by=officer, item=item, note="", version=1)
    with pytest.raises(Http404):
        inspections.item_note(by=officer, item=item, note="x")
    assert not RectificationFollowUp.objects.exists()


def test_overdue_items_are_open_ones_past_their_deadline(
    inspection, district_admin, operator, other_institution
):
    late = inspection.items.get(description="更新应急预案")
    on_time = inspection.items.get(description="清理消防通道")
    record(district_admin, other_institution, items=[{"description": "别处", "deadline": days(-2)}])

    mine = Institution.objects.filter(pk=inspection.institution_id)
    assert list(inspections.overdue_items(mine, TODAY)) == [late]
    assert list(inspections.overdue_items(mine, days(21))) == [late, on_time]
    inspections.item_report_done(by=operator, item=late, note="", version=1)
    assert list(inspections.overdue_items(mine, TODAY)) == []


def test_the_operators_are_told_of_an_inspection_with_items(
    district_admin, institution, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inspection = record(district_admin, institution)

    note = Notification.objects.get(user=operator)
    assert institution.name in note.title
    assert note.url.endswith(f"/institutions/{institution.pk}/inspections/")
    with django_capture_on_commit_callbacks(execute=True):
        record(district_admin, institution, items=[])
    assert Notification.objects.filter(user=operator).count() == 1
    assert inspection.items.count() == 2


def test_the_inspector_is_told_when_an_item_is_reported_done(
    item, operator, district_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inspections.item_report_done(by=operator, item=item, note="", version=1)

    note = Notification.objects.get(user=district_admin)
    assert item.description in note.title
    assert note.url.endswith(f"#item-{item.pk}")


def test_the_inspection_list_query_count_does_not_grow(
    inspection, district_admin, institution, operator, django_assert_num_queries
):
    inspections.item_note(by=operator, item=inspection.items.first(), note="a")
    record(district_admin, institution)

    # inspections, their items, the items' follow-ups (with who wrote them)
    with django_assert_num_queries(3):
        listed = list(inspections.inspection_list(institution, fetched_by=operator))
        notes = [f.note for i in listed for item in i.items.all() for f in item.follow_ups.all()]
    assert len(listed) == 2 and notes == ["a"]


def test_a_bank_officer_sees_no_inspection(inspection, officer, institution):
    assert not inspections.may_see_inspections(officer, institution)
    assert not inspections.inspection_list(institution, fetched_by=officer).exists()
