"""The overdue visits of the visit-rate page as .xlsx: the old people of the user's area (and
of the township drilled into) whose visit is overdue, ID numbers and phones masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.elderly.models import ElderlyProfile
from shegong.factories import PersonFactory, born_years_ago
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db

URL = "/elderly/visits/"


def overdue(region, name: str, days: int) -> ElderlyProfile:
    person = PersonFactory(
        region=region, name=name, birth_date=born_years_ago(80), phone="13612345678"
    )
    return ElderlyProfile.objects.create(
        person=person, next_visit_due=timezone.localdate() - dt.timedelta(days=days)
    )


@pytest.fixture
def late(regions):
    return {
        "own": overdue(regions.village, "孙东庄", 9),
        "sibling": overdue(regions.sibling_village, "周西庄", 3),
        "far": overdue(regions.far_village, "吴南营", 5),
    }


def test_the_overdue_export_holds_the_area_longest_overdue_first(
    client, village_director, district_admin, late, regions
):
    rows = xlsx_rows(login(client, village_director).get(URL, {"export": "xlsx"}))
    own = late["own"].person
    assert [(row[0], row[1], row[2], row[6]) for row in rows] == [
        ("孙东庄", own.id_number_masked, "136****5678", 9)
    ]
    client = login(client, district_admin)
    rows = xlsx_rows(client.get(URL, {"export": "xlsx"}))
    assert [row[0] for row in rows] == ["孙东庄", "吴南营", "周西庄"]
    rows = xlsx_rows(client.get(URL, {"export": "xlsx", "region": regions.township.prefix}))
    assert [row[0] for row in rows] == ["孙东庄", "周西庄"]
    assert "export=xlsx" in client.get(URL).content.decode()


def test_a_viewer_sees_the_rates_but_gets_no_export(client, make_user, late):
    viewer = login(client, make_user(Role.VIEWER))
    assert viewer.get(URL).status_code == 200
    assert viewer.get(URL, {"export": "xlsx"}).status_code == 404
