"""The user list as .xlsx: the users an administrator manages (their area), filtered."""

from __future__ import annotations

import pytest

from shegong.accounts.models import Role
from shegong.factories import RegionFactory
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db


def test_the_user_export_holds_the_users_of_the_area(client, make_user, district_admin, regions):
    make_user(Role.VILLAGE_DIRECTOR, region=regions.village, username="dongzhuang")
    make_user(Role.TOWNSHIP_WORKER, region=regions.other_township, username="yehe")
    make_user(Role.TOWNSHIP_WORKER, region=RegionFactory(code="130112100000"), username="elsewhere")
    client = login(client, district_admin)
    rows = xlsx_rows(client.get("/accounts/users/", {"export": "xlsx"}))
    assert [row[0] for row in rows] == ["admin", "dongzhuang", "yehe"]
    assert "东庄村" in rows[1][2]
    rows = xlsx_rows(client.get("/accounts/users/", {"export": "xlsx", "q": "dong"}))
    assert [row[0] for row in rows] == ["dongzhuang"]
    assert "export=xlsx" in client.get("/accounts/users/").content.decode()


def test_only_administrators_export_users(client, village_director):
    response = login(client, village_director).get("/accounts/users/", {"export": "xlsx"})
    assert response.status_code == 404
