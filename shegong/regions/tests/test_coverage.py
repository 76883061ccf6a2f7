import pytest

from shegong.accounts.models import Role
from shegong.factories import StationFactory
from shegong.regions import selectors
from shegong.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(regions, make_user):
    """栾城镇 fully staffed with a station; 东庄村 staffed with a station; 西庄村 has a station
    and a director but no assistant; 冶河镇 and 南营村 have nothing."""
    for region in (regions.district, regions.township, regions.village, regions.sibling_village):
        StationFactory(region=region)
    make_user(Role.TOWNSHIP_SUPERVISOR, region=regions.township)
    make_user(Role.TOWNSHIP_WORKER, region=regions.township)
    make_user(Role.TOWNSHIP_WORKER, region=regions.township)
    make_user(Role.VILLAGE_DIRECTOR, region=regions.village)
    make_user(Role.VILLAGE_ASSISTANT, region=regions.village)
    make_user(Role.VILLAGE_DIRECTOR, region=regions.sibling_village)
    return regions


def rows(coverage):
    return {row.region.code: row for row in coverage.rows}


def test_a_fully_staffed_township_and_village_have_no_gaps(staffed):
    result = rows(selectors.coverage())

    assert result[staffed.township.code].complete
    assert result[staffed.village.code].complete


def test_a_township_needs_a_supervisor_and_two_social_workers(staffed, make_user):
    staffed.township.memberships.filter(role=Role.TOWNSHIP_WORKER).first().delete()

    row = rows(selectors.coverage())[staffed.township.code]

    assert row.gaps == [(Role.TOWNSHIP_WORKER, 1)]
    assert not row.complete


def test_a_village_needs_a_director_and_an_assistant(staffed):
    row = rows(selectors.coverage())[staffed.sibling_village.code]

    assert row.station is not None
    assert row.gaps == [(Role.VILLAGE_ASSISTANT, 1)]


def test_a_missing_station_is_a_gap_even_when_staffed(staffed, make_user):
    make_user(Role.VILLAGE_DIRECTOR, region=staffed.far_village)
    make_user(Role.VILLAGE_ASSISTANT, region=staffed.far_village)

    row = rows(selectors.coverage())[staffed.far_village.code]

    assert row.gaps == []
    assert row.station is None
    assert not row.complete


def test_an_empty_township_misses_every_role(staffed):
    row = rows(selectors.coverage())[staffed.other_township.code]

    assert row.gaps == [(Role.TOWNSHIP_SUPERVISOR, 1), (Role.TOWNSHIP_WORKER, 2)]


def test_inactive_staff_do_not_count(staffed):
    staffed.village.memberships.filter(role=Role.VILLAGE_ASSISTANT).update(is_active=False)

    assert rows(selectors.coverage())[staffed.village.code].gaps == [(Role.VILLAGE_ASSISTANT, 1)]


def test_the_summary_counts_stations_and_complete_regions(staffed):
    summary = selectors.coverage().summary("village")

    assert summary == {"total": 3, "with_station": 2, "fully_staffed": 1, "gaps": 2}


def test_the_coverage_can_be_narrowed_to_a_township(staffed):
    result = selectors.coverage(township=staffed.other_township.code)

    assert {row.region.code for row in result.rows} == {"130111103000", "130111103201"}


def test_the_coverage_page_shows_gaps_to_a_viewer(client, make_user, staffed):
    login(client, make_user(Role.VIEWER))

    response = client.get("/regions/coverage/")

    assert response.status_code == 200
    assert response.context["village_summary"]["gaps"] == 2
    assert "南营村" in response.content.decode()


def test_the_coverage_page_can_show_only_gaps(client, make_user, staffed):
    login(client, make_user(Role.VIEWER))

    response = client.get("/regions/coverage/", {"gaps": "1"})

    shown = {row.region.name for row in response.context["villages"]}
    assert shown == {"西庄村", "南营村"}


@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.COUNSELOR, Role.AGENCY_LIAISON, Role.BANK_OFFICER]
)
def test_the_coverage_page_is_404_for_roles_without_aggregates(client, make_user, staffed, role):
    login(client, make_user(role))

    assert client.get("/regions/coverage/").status_code == 404
