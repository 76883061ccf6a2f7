"""The people sub-lists as .xlsx: the probable duplicates (two rows a pair, ID numbers masked
unless revealed) and the earlier roster imports, within the user's area."""

from __future__ import annotations

import datetime as dt

import pytest

from shegong.accounts.models import Role
from shegong.audit.models import AccessAction, AccessLog
from shegong.factories import PersonFactory
from shegong.people.models import ImportJob
from shegong.people.tests.rosters import id_number
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db

BORN = dt.date(1950, 3, 5)


def twin(region, sequence: int):
    return PersonFactory(
        region=region, name="张建国", birth_date=BORN, sex="M" if sequence % 2 else "F",
        id_number=id_number(BORN, sequence),
    )  # fmt: skip


@pytest.fixture
def township_worker(make_user, regions):
    return make_user(Role.TOWNSHIP_WORKER, region=regions.township)


def test_the_duplicates_export_has_a_row_per_record_masked_unless_revealed(
    client, township_worker, regions
):
    a, b = twin(regions.village, 13), twin(regions.sibling_village, 57)
    twin(regions.far_village, 91)  # the same again, out of the township's area
    client = login(client, township_worker)
    rows = xlsx_rows(client.get("/people/duplicates/", {"export": "xlsx"}))
    assert [(row[0], row[2], row[6]) for row in rows] == [
        (1, a.pk, a.id_number_masked),
        (1, b.pk, b.id_number_masked),
    ]
    assert not AccessLog.objects.exists()
    rows = xlsx_rows(client.get("/people/duplicates/", {"export": "xlsx", "unmasked": "1"}))
    assert {row[6] for row in rows} == {a.id_number, b.id_number}
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert (entry.object_type, entry.field) == ("people.person", "id_number")


def test_the_imports_export_holds_the_imports_in_the_area(
    client, township_worker, district_admin, regions
):
    for name, region in (
        ("东庄村花名册.xlsx", regions.village),
        ("南营村.xlsx", regions.far_village),
    ):
        ImportJob.objects.create(
            region=region, file="imports/x.xlsx", original_name=name, created_by=district_admin,
            count_new=3,
        )  # fmt: skip
    client = login(client, township_worker)
    rows = xlsx_rows(client.get("/people/imports/", {"export": "xlsx"}))
    assert [(row[0], row[1], row[5]) for row in rows] == [("东庄村花名册.xlsx", "东庄村", 3)]
    assert "export=xlsx" in client.get("/people/imports/").content.decode()


def test_a_viewer_gets_no_export(client, make_user):
    client = login(client, make_user(Role.VIEWER))
    for url in ("/people/duplicates/", "/people/imports/"):
        assert client.get(url, {"export": "xlsx"}).status_code == 404
