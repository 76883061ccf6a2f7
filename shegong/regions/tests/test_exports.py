"""The station coverage table as .xlsx: townships, then the villages the page lists (a
township's, or only the gaps)."""

from __future__ import annotations

import pytest

from shegong.accounts.models import Role
from shegong.factories import StationFactory
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(regions, make_user):
    """东庄村 has its station and staff; 西庄村 a station and a director only; 南营村 nothing."""
    for region in (regions.village, regions.sibling_village):
        StationFactory(region=region)
    make_user(Role.VILLAGE_DIRECTOR, region=regions.village)
    make_user(Role.VILLAGE_ASSISTANT, region=regions.village)
    make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village)
    return regions


def villages(rows) -> list[str]:
    return [row[3] for row in rows if row[3]]


def test_the_coverage_export_follows_the_filters(client, village_director, staffed):
    client = login(client, village_director)
    rows = xlsx_rows(client.get("/regions/coverage/", {"export": "xlsx"}))
    assert villages(rows) == ["东庄村", "西庄村", "南营村"]
    assert {row[2] for row in rows if not row[3]} == {"栾城镇", "冶河镇"}
    township = staffed.township.code
    rows = xlsx_rows(
        client.get("/regions/coverage/", {"export": "xlsx", "township": township, "gaps": "1"})
    )
    assert villages(rows) == ["西庄村"]
    assert [row[2] for row in rows if not row[3]] == ["栾城镇"]
    assert rows[-1][7]  # what 西庄村 lacks


def test_the_coverage_export_is_for_aggregate_readers(client, make_user, village_director):
    page = login(client, village_director).get("/regions/coverage/").content.decode()
    assert "export=xlsx" in page
    volunteer = login(client, make_user(Role.VOLUNTEER))
    assert volunteer.get("/regions/coverage/", {"export": "xlsx"}).status_code == 404
