"""The community lists as .xlsx: the district's library (organisations, professionals), resource
links, volunteer tasks and training courses within the user's area, and a volunteer's own tasks;
phones masked unless revealed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.community import training
from shegong.community.models import Organisation, Professional, ResourceLink
from shegong.factories import PersonFactory, RegionFactory
from shegong.testing import login, xlsx_rows

from .helpers_volunteers import assigned, make_task, make_volunteer

pytestmark = pytest.mark.django_db


def export(client, url: str, **params):
    return client.get(url, {"export": "xlsx", **params})


@pytest.fixture
def elsewhere():
    """A village of another district: outside every library and area of the test users."""
    return RegionFactory(code="130112100201", name="别区村")


@pytest.fixture
def library(regions, elsewhere):
    for name, kind, region in (
        ("栾城区爱心基金会", "charity", regions.district),
        ("东庄村老年协会", "community", regions.village),
        ("别区企业", "enterprise", elsewhere),
    ):
        Organisation.objects.create(
            name=name, kind=kind, region=region, contact_phone="13911112222"
        )
    for name, region in (("李医生", regions.township), ("外区医生", elsewhere)):
        Professional.objects.create(
            name=name, profession="doctor", region=region, phone="13800001111"
        )


@pytest.mark.parametrize(
    ("url", "expected", "phone_at"),
    [
        ("/community/organisations/", ["东庄村老年协会", "栾城区爱心基金会"], 7),
        ("/community/professionals/", ["李医生"], 7),
    ],
)
def test_the_library_exports_the_districts_entries_phones_masked(
    client, organiser, library, url, expected, phone_at
):
    client = login(client, organiser)
    rows = xlsx_rows(export(client, url))
    assert [row[0] for row in rows] == expected
    assert {row[phone_at] for row in rows} <= {"139****2222", "138****1111"}
    rows = xlsx_rows(export(client, url, unmasked="1"))
    assert {row[phone_at] for row in rows} <= {"13911112222", "13800001111"}
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, field="phone").count() == 1


def test_the_organisation_export_applies_the_filters(client, organiser, library):
    rows = xlsx_rows(export(login(client, organiser), "/community/organisations/", kind="charity"))
    assert [row[0] for row in rows] == ["栾城区爱心基金会"]


@pytest.mark.parametrize("url", ["/community/organisations/", "/community/professionals/"])
def test_a_viewer_sees_figures_but_gets_no_export(client, make_user, url):
    client = login(client, make_user(Role.VIEWER))
    assert client.get(url).status_code == 200
    assert export(client, url).status_code == 404


def test_the_link_export_holds_the_links_in_the_area(client, organiser, regions):
    charity = Organisation.objects.create(
        name="栾城区爱心基金会", kind="charity", region=regions.district
    )
    for name, village, kind in (
        ("李小花", regions.village, "goods"),
        ("王奶奶", regions.sibling_village, "money"),
        ("远方人", regions.far_village, "goods"),
    ):
        ResourceLink.objects.create(
            organisation=charity, person=PersonFactory(region=village, name=name), region=village,
            kind=kind, description="米面", quantity=Decimal(1), value=Decimal(100),
            given_on=dt.date(2026, 3, 1), recorded_by=organiser,
        )  # fmt: skip
    client = login(client, organiser)
    rows = xlsx_rows(export(client, "/community/links/"))
    assert sorted(row[2] for row in rows) == ["李小花", "王奶奶"]
    assert {(row[1], row[4]) for row in rows} == {("栾城区爱心基金会", "栾城镇")}
    rows = xlsx_rows(export(client, "/community/links/", kind="money"))
    assert [row[2] for row in rows] == ["王奶奶"]


def test_the_task_export_holds_the_filtered_tasks_in_the_area(client, organiser, regions):
    make_task(regions.village, organiser, title="陪伴老人")
    make_task(regions.village, organiser, title="打扫院子", kind="other")
    make_task(regions.far_village, organiser, title="冶河镇的任务")
    client = login(client, organiser)
    rows = xlsx_rows(export(client, "/community/tasks/"))
    assert sorted(row[1] for row in rows) == ["打扫院子", "陪伴老人"]
    rows = xlsx_rows(export(client, "/community/tasks/", q="陪伴"))
    assert [(row[1], row[3], row[4]) for row in rows] == [("陪伴老人", "栾城镇", "东庄村")]


def test_the_training_export_holds_the_courses_in_the_area(client, organiser, outsider, regions):
    course = training.course_create(
        by=organiser, title="儿童保护培训", region=regions.township, audience="both"
    )
    for day in (2, 9):
        training.session_add(
            by=organiser, course=course, date=dt.date(2025, 4, day), topic="发现与报告",
            hours=Decimal(3),
        )  # fmt: skip
    training.course_create(
        by=outsider, title="冶河镇培训", region=regions.other_township, audience="both"
    )
    rows = xlsx_rows(export(login(client, organiser), "/community/trainings/"))
    assert [(row[0], row[4], row[5]) for row in rows] == [("儿童保护培训", 2, 6)]


def test_a_volunteer_exports_their_own_tasks_only(client, organiser, regions, volunteer, vol_user):
    served = PersonFactory(region=regions.village, name="张大爷", phone="13811112222")
    mine = make_task(regions.village, organiser, title="陪伴老人", person=served)
    theirs = make_task(regions.village, organiser, title="别人的任务")
    assigned(organiser, mine, volunteer)
    assigned(organiser, theirs, make_volunteer(regions.village, name="另一位"))
    client = login(client, vol_user)
    rows = xlsx_rows(export(client, "/community/my-tasks/"))
    assert [(row[1], row[5], row[6]) for row in rows] == [("陪伴老人", "张大爷", "东庄村")]
    assert "13811112222" not in str(rows)
    assert export(client, "/community/tasks/").status_code == 404
    assert export(client, "/community/links/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/community/organisations/",
        "/community/professionals/",
        "/community/links/",
        "/community/tasks/",
        "/community/trainings/",
    ],
)
def test_each_list_offers_the_export(client, organiser, url):
    assert "export=xlsx" in login(client, organiser).get(url).content.decode()
