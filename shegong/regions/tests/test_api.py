import pytest

from shegong.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_the_region_tree_nests_townships_and_villages(client, bearer, make_user):
    response = client.get("/api/v1/regions", headers=bearer(make_user(Role.VIEWER)))

    assert response.status_code == 200
    [district] = response.json()
    assert (district["code"], district["name"], district["level"]) == (
        "130111000000",
        "栾城区",
        "district",
    )
    townships = {t["code"]: t for t in district["children"]}
    assert set(townships) == {"130111100000", "130111103000"}
    assert [v["code"] for v in townships["130111100000"]["children"]] == [
        "130111100201",
        "130111100202",
    ]
    assert [v["name"] for v in townships["130111103000"]["children"]] == ["南营村"]


def test_the_region_tree_needs_authentication(client, regions):
    assert client.get("/api/v1/regions").status_code == 401
