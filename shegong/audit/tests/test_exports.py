"""The change history and the access log as .xlsx: the administrator's filtered list, nobody
else's."""

from __future__ import annotations

import pytest

from shegong.people import services
from shegong.testing import login, xlsx_rows

pytestmark = pytest.mark.django_db


def test_the_change_export_applies_the_filters(client, district_admin, village_director, person):
    updated = services.person_update(
        by=village_director, person_id=person.pk, version=1, changes={"notes": "新备注"}
    )
    client = login(client, district_admin)
    rows = xlsx_rows(client.get("/audit/", {"export": "xlsx", "person": updated.pk}))
    assert rows and {row[4] for row in rows} == {str(person.pk)}
    assert any("新备注" in (row[6] or "") for row in rows)
    rows = xlsx_rows(client.get("/audit/", {"export": "xlsx", "person": "999999"}))
    assert rows == []


def test_the_access_export_holds_the_filtered_log(client, district_admin, village_director, person):
    login(client, village_director).post(f"/people/{person.pk}/reveal/id_number/")
    client = login(client, district_admin)
    rows = xlsx_rows(client.get("/audit/access/", {"export": "xlsx", "user": village_director.pk}))
    assert [(row[3], row[6]) for row in rows] == [(person.name, "id_number")]
    rows = xlsx_rows(client.get("/audit/access/", {"export": "xlsx", "user": district_admin.pk}))
    assert rows == []


@pytest.mark.parametrize("url", ["/audit/", "/audit/access/"])
def test_only_administrators_export(client, district_admin, village_director, url):
    assert "export=xlsx" in login(client, district_admin).get(url).content.decode()
    assert login(client, village_director).get(url, {"export": "xlsx"}).status_code == 404
