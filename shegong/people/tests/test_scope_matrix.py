"""Every role × every people endpoint × a person in the own village, another village of the same
township, and another township: 200 when the role's area covers the person, else 404.

Registry roles read within their region (district roles: everything; township roles: their
township; village roles: their village). Every other role sees no person at all, even with a
membership at the district: out of scope answers 404, never 403.
"""

import pytest

from shegong.accounts.models import Role
from shegong.conftest import DISTRICT_ROLES, OUTSIDER_ROLES, TOWNSHIP_ROLES, VILLAGE_ROLES
from shegong.factories import PersonFactory
from shegong.testing import login

TARGETS = ["own_village", "other_village_same_township", "other_township"]
ROLES = list(Role)


def sees(role: str, target: str) -> bool:
    if role in DISTRICT_ROLES:
        return True
    if role in TOWNSHIP_ROLES:
        return target in {"own_village", "other_village_same_township"}
    if role in VILLAGE_ROLES:
        return target == "own_village"
    assert role in OUTSIDER_ROLES
    return False


@pytest.fixture
def targets(regions):
    return {
        "own_village": PersonFactory(region=regions.village, name="本村人"),
        "other_village_same_township": PersonFactory(region=regions.sibling_village, name="邻村人"),
        "other_township": PersonFactory(region=regions.far_village, name="外乡人"),
    }


def test_the_matrix_covers_every_role():
    assert set(Role) == DISTRICT_ROLES | TOWNSHIP_ROLES | VILLAGE_ROLES | OUTSIDER_ROLES
    assert {r for r in Role if any(sees(r, t) for t in TARGETS)} == (
        DISTRICT_ROLES | TOWNSHIP_ROLES | VILLAGE_ROLES
    )


# The UI


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_ui_list(client, make_user, targets, role, target):
    login(client, make_user(role))
    person = targets[target]

    response = client.get("/people/")

    if role in OUTSIDER_ROLES:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    listed = f'href="/people/{person.pk}/"' in response.content.decode()
    assert listed is sees(role, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_ui_search_by_exact_id_number(client, make_user, targets, role, target):
    login(client, make_user(role))
    person = targets[target]

    response = client.get("/people/", {"q": person.id_number})

    if role in OUTSIDER_ROLES:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert (f'href="/people/{person.pk}/"' in response.content.decode()) is sees(role, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_ui_detail(client, make_user, targets, role, target):
    login(client, make_user(role))
    person = targets[target]

    response = client.get(f"/people/{person.pk}/")

    assert response.status_code == (200 if sees(role, target) else 404)
    if response.status_code == 200:
        assert person.name in response.content.decode()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_ui_edit_form(client, make_user, targets, role, target):
    login(client, make_user(role))

    response = client.get(f"/people/{targets[target].pk}/edit/")

    assert response.status_code == (200 if sees(role, target) else 404)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_ui_reveal_id_number(client, make_user, targets, role, target):
    login(client, make_user(role))
    person = targets[target]

    response = client.post(f"/people/{person.pk}/reveal/id_number/")

    assert response.status_code == (200 if sees(role, target) else 404)
    assert (person.id_number in response.content.decode()) is sees(role, target)


# The API


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_api_list(client, make_user, bearer, targets, role, target):
    headers = bearer(make_user(role))
    person = targets[target]

    response = client.get("/api/v1/people", headers=headers)

    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert (person.pk in ids) is sees(role, target)
    if role in OUTSIDER_ROLES:
        assert response.json()["count"] == 0


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_api_search_by_exact_id_number(client, make_user, bearer, targets, role, target):
    headers = bearer(make_user(role))
    person = targets[target]

    response = client.get("/api/v1/people", {"q": person.id_number}, headers=headers)

    assert response.status_code == 200
    assert response.json()["count"] == (1 if sees(role, target) else 0)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_api_detail(client, make_user, bearer, targets, role, target):
    headers = bearer(make_user(role))
    person = targets[target]

    response = client.get(f"/api/v1/people/{person.pk}", headers=headers)

    assert response.status_code == (200 if sees(role, target) else 404)
    if response.status_code == 200:
        assert response.json()["id_number_masked"] == person.id_number_masked


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_api_patch(client, make_user, bearer, targets, role, target):
    headers = bearer(make_user(role))
    person = targets[target]

    response = client.patch(
        f"/api/v1/people/{person.pk}",
        {"version": 1, "notes": "探访"},
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == (200 if sees(role, target) else 404)
    person.refresh_from_db()
    assert (person.notes == "探访") is sees(role, target)
