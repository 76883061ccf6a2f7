import pytest

from shegong.accounts.models import Role
from shegong.factories import StationFactory
from shegong.regions.models import Station
from shegong.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client, make_user, regions):
    return login(client, make_user(Role.VIEWER))


def test_the_region_list_shows_the_district_and_its_townships(viewer_client, regions):
    response = viewer_client.get("/regions/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "栾城镇" in content and "冶河镇" in content
    counts = {t.name: t.village_count for t in response.context["townships"]}
    assert counts == {"栾城镇": 2, "冶河镇": 1}


def test_the_region_list_shows_the_villages_of_a_chosen_township(viewer_client, regions):
    response = viewer_client.get("/regions/", {"township": regions.township.code})

    assert [v.name for v in response.context["villages"]] == ["东庄村", "西庄村"]


def test_the_region_list_is_404_for_a_volunteer(client, make_user, regions):
    login(client, make_user(Role.VOLUNTEER))

    assert client.get("/regions/").status_code == 404


def test_a_station_page_shows_its_staff(viewer_client, regions, make_user):
    StationFactory(region=regions.village, rooms=["心理咨询室"])
    make_user(Role.VILLAGE_DIRECTOR, region=regions.village, full_name="赵主任")

    response = viewer_client.get(f"/regions/stations/{regions.village.code}/")

    assert response.status_code == 200
    assert "赵主任" in response.content.decode()
    assert "心理咨询室" in response.content.decode()


def test_a_missing_station_is_404(viewer_client, regions):
    assert viewer_client.get(f"/regions/stations/{regions.far_village.code}/").status_code == 404


def test_a_district_admin_sets_up_a_missing_station(admin_client, regions):
    response = admin_client.post(
        f"/regions/stations/{regions.far_village.code}/edit/",
        {
            "name": "南营村社工室",
            "serves_elderly": "on",
            "serves_minors": "on",
            "address": "南营村委会",
            "rooms_text": "综合办公室\n心理咨询室",
        },
    )

    assert response.status_code == 302
    station = Station.objects.get(region=regions.far_village)
    assert (station.name, station.rooms) == ("南营村社工室", ["综合办公室", "心理咨询室"])
    assert (station.serves_minors, station.serves_social_work) == (True, False)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TOWNSHIP_SUPERVISOR, Role.CENTER_WORKER])
def test_station_editing_is_404_for_everyone_but_the_district_admin(
    client, make_user, regions, role
):
    login(client, make_user(role))

    response = client.post(f"/regions/stations/{regions.village.code}/edit/", {"name": "x"})

    assert response.status_code == 404
    assert not Station.objects.exists()
