"""Each list wired to the .xlsx export: its rows within scope, its filters, its masking."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.community.models import Activity, Volunteer
from shegong.devices import services as device_services
from shegong.devices.models import Alarm, Device, DeviceKind
from shegong.elderly.models import ElderlyProfile, Level
from shegong.factories import PersonFactory, born_years_ago
from shegong.institutions.models import Institution, InstitutionType
from shegong.testing import login

HEADER_ROW = 4


def rows_of(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(row=1, column=1).value
    return list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))


@pytest.fixture
def worker(make_user, regions):
    return make_user(Role.TOWNSHIP_WORKER, region=regions.township)


@pytest.fixture
def worker_client(client, worker):
    return login(client, worker)


def test_elderly_export_is_scoped_filtered_and_masked(worker_client, regions):
    near = PersonFactory(region=regions.village, name="孙东庄", birth_date=born_years_ago(80))
    mild = PersonFactory(region=regions.village, name="周东庄", birth_date=born_years_ago(70))
    far = PersonFactory(region=regions.far_village, name="吴南营", birth_date=born_years_ago(75))
    ElderlyProfile.objects.create(person=near, level=Level.SEVERE)
    ElderlyProfile.objects.create(person=mild, level=Level.INTACT)
    ElderlyProfile.objects.create(person=far, level=Level.SEVERE)
    rows = rows_of(worker_client.get("/elderly/", {"export": "xlsx"}))
    assert sorted(row[0] for row in rows) == ["周东庄", "孙东庄"]
    assert {row[3] for row in rows} == {near.id_number_masked, mild.id_number_masked}
    rows = rows_of(worker_client.get("/elderly/", {"export": "xlsx", "level": Level.SEVERE}))
    assert [row[0] for row in rows] == ["孙东庄"]


def test_alarm_export_holds_the_alarms_in_scope(worker_client, regions, district_admin):
    vendor, _secret = device_services.vendor_create(name="厂商")
    now = timezone.now()
    for name, village in (("郑东庄", regions.village), ("冯南营", regions.far_village)):
        person = PersonFactory(region=village, name=name, phone="13700001234")
        device = Device.objects.create(
            vendor=vendor, serial=name, kind=DeviceKind.SOS_BUTTON, person=person,
            bound_by=district_admin,
        )  # fmt: skip
        Alarm.objects.create(
            person=person, device=device, kind="sos", severity="critical", raised_at=now,
            last_event_at=now,
        )  # fmt: skip
    rows = rows_of(worker_client.get("/alarms/", {"export": "xlsx"}))
    assert [row[5] for row in rows] == ["郑东庄"]
    assert rows[0][6] == "137****1234"
    assert isinstance(rows[0][0], dt.datetime)


def test_institution_export_holds_the_institutions_in_scope(worker_client, regions):
    Institution.objects.create(
        name="东庄村幸福院", credit_code="52130111MJ0000010F", kind=InstitutionType.PRIVATE,
        region=regions.village, beds_total=60,
    )  # fmt: skip
    Institution.objects.create(
        name="冶河镇敬老院", credit_code="52130111MJ0000020G", kind=InstitutionType.PUBLIC,
        region=regions.far_village, beds_total=40,
    )  # fmt: skip
    rows = rows_of(worker_client.get("/institutions/", {"export": "xlsx"}))
    assert [(row[0], row[5]) for row in rows] == [("东庄村幸福院", 60)]


def test_activity_export_applies_the_list_filters(worker_client, worker, regions):
    today = timezone.localdate()
    common = {"kind": "festival", "target_group": "elderly", "created_by": worker}
    Activity.objects.create(title="重阳节", region=regions.village, date=today, **common)
    Activity.objects.create(
        title="去年的活动", region=regions.village, date=today - dt.timedelta(days=400), **common
    )
    Activity.objects.create(title="冶河镇活动", region=regions.far_village, date=today, **common)
    rows = rows_of(worker_client.get("/community/activities/", {"export": "xlsx"}))
    assert [row[1] for row in rows] == ["重阳节", "去年的活动"]
    since = (today - dt.timedelta(days=30)).isoformat()
    rows = rows_of(worker_client.get("/community/activities/", {"export": "xlsx", "from": since}))
    assert [row[1] for row in rows] == ["重阳节"]


def make_volunteer(region, name: str, **fields) -> Volunteer:
    return Volunteer.objects.create(
        name=name, phone="13900000001", region=region, joined_on=dt.date(2024, 1, 1), **fields
    )


def test_volunteer_export_masks_phones_unless_asked_and_logged(worker_client, worker, regions):
    make_volunteer(regions.village, "李志愿", registered=True, national_number="V001")
    make_volunteer(regions.far_village, "远志愿")
    rows = rows_of(worker_client.get("/community/volunteers/", {"export": "xlsx"}))
    assert [row[0] for row in rows] == ["李志愿"]
    assert rows[0][1] != "13900000001" and "*" in rows[0][1]
    assert not AccessLog.objects.exists()
    rows = rows_of(worker_client.get("/community/volunteers/", {"export": "xlsx", "unmasked": "1"}))
    assert rows[0][1] == "13900000001"
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert (entry.user, entry.object_type, entry.field) == (worker, "community.volunteer", "phone")


@pytest.mark.parametrize(
    "url", ["/alarms/", "/institutions/", "/community/activities/", "/community/volunteers/"]
)
@pytest.mark.parametrize("role", [Role.VIEWER, Role.VOLUNTEER])
def test_viewers_and_volunteers_get_404(client, make_user, url, role):
    response = login(client, make_user(role)).get(url, {"export": "xlsx"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/elderly/", "/alarms/", "/institutions/", "/community/activities/", "/community/volunteers/"],
)
def test_each_list_offers_the_export(worker_client, url):
    assert "export=xlsx" in worker_client.get(url).content.decode()
