"""GET /api/v1/stats/overview: figures within the caller's area, for viewers too, 404 outside."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shegong.accounts.models import Role
from shegong.dashboard import figures
from shegong.people.models import Person
from shegong.testing import login

from .conftest import START, TODAY, records

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/overview"


def test_a_district_user_gets_the_district_by_default(client, data, district_admin, bearer):
    response = client.get(URL, headers=bearer(district_admin))
    assert response.status_code == 200
    body = response.json()
    assert body["region"] == {"code": "130111000000", "name": "栾城区", "level": "district"}
    assert (body["from"], body["to"][:7]) == (START.isoformat(), TODAY.strftime("%Y-%m"))
    assert body["figures"]["visits"] == 5
    assert body["additive"] == list(figures.ADDITIVE)
    for key in ("visits", "stations", "alarms_open"):
        assert sum(row[key] for row in body["breakdown"]) == body["figures"][key]


def test_a_township_worker_sees_their_township(client, data, make_user, bearer):
    worker = make_user(Role.TOWNSHIP_WORKER)
    response = client.get(URL, headers=bearer(worker))
    assert response.json()["region"]["code"] == "130111100000"
    response = client.get(URL, {"region": "130111100201"}, headers=bearer(worker))
    assert response.status_code == 200
    assert response.json()["figures"]["visits"] == 1
    assert response.json()["breakdown"] == []


@pytest.mark.parametrize("region", ["130111103000", "130111000000", "130111103201", "999999"])
def test_outside_the_area_is_404(client, data, make_user, bearer, region):
    worker = make_user(Role.TOWNSHIP_WORKER)
    assert client.get(URL, {"region": region}, headers=bearer(worker)).status_code == 404


def test_a_viewer_gets_figures_and_no_personal_data(client, data, make_user, regions):
    viewer = make_user(Role.VIEWER, region=regions.district)
    login(client, viewer)
    response = client.get(URL, {"region": "130111100000"})
    assert response.status_code == 200
    assert response.json()["figures"]["colour_red"] == 3
    text = response.content.decode()
    for person in Person.objects.all()[:20]:
        assert person.name not in text
        assert person.id_number_masked not in text


@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.AGENCY_LIAISON, Role.INSTITUTION_OPERATOR, Role.BANK_OFFICER]
)
def test_roles_without_figures_get_404(client, data, make_user, bearer, role):
    assert client.get(URL, headers=bearer(make_user(role))).status_code == 404


def test_without_credentials_401(client, data):
    assert client.get(URL).status_code == 401


def test_a_period_is_chosen(client, data, district_admin, bearer):
    response = client.get(
        URL, {"from": "2020-01-01", "to": "2020-01-31"}, headers=bearer(district_admin)
    )
    body = response.json()
    assert (body["from"], body["to"]) == ("2020-01-01", "2020-01-31")
    assert body["figures"]["visits"] == 0


@pytest.mark.parametrize(
    ("params", "name"),
    [({"from": "2025-13-01"}, "from"), ({"to": "yesterday"}, "to"),
     ({"from": "2025-02-01", "to": "2025-01-01"}, "from")],
)  # fmt: skip
def test_bad_dates_are_422_naming_the_parameter(client, district_admin, bearer, params, name):
    response = client.get(URL, params, headers=bearer(district_admin))
    assert response.status_code == 422
    assert name in [error["loc"][-1] for error in response.json()["detail"]]


def test_the_queries_do_not_grow_with_the_data(
    client, data, district_admin, bearer, regions, vendor
):
    headers = bearer(district_admin)

    def count() -> int:
        cache.clear()  # cold: every figure counted in SQL
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, headers=headers).status_code == 200
        return len(captured)

    # Once ahead: after a flush by an earlier transactional test, the first request puts the
    # table generations back (one more query, once).
    count()
    before = count()
    for _ in range(4):
        for region in (regions.village, regions.far_village, regions.district):
            records(region, district_admin, vendor)
    assert count() == before
