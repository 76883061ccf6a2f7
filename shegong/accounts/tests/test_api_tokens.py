import io

import pytest
from django.core.management import CommandError, call_command

from shegong.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def create_token(username: str) -> str:
    out = io.StringIO()
    call_command("create_api_token", username, stdout=out)
    return out.getvalue().strip()


def test_the_command_prints_a_token_that_authenticates(client, village_director, person):
    token = create_token("director")

    response = client.get("/api/v1/people", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [person.pk]
    assert ApiToken.objects.get(user=village_director).last_used_at is not None


def test_only_a_hash_of_the_token_is_stored(village_director):
    token = create_token("director")

    stored = ApiToken.objects.get(user=village_director)
    assert stored.key_hash == ApiToken.hash(token)
    assert token not in stored.key_hash


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        create_token("nobody")


def test_no_token_is_401(client):
    assert client.get("/api/v1/people").status_code == 401


def test_a_wrong_token_is_401(client, village_director):
    create_token("director")

    response = client.get("/api/v1/people", headers={"Authorization": "Bearer sg_not-a-token"})

    assert response.status_code == 401


def test_a_revoked_token_is_401(client, village_director):
    token = create_token("director")
    ApiToken.objects.filter(user=village_director).update(revoked=True)

    response = client.get("/api/v1/people", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_the_token_of_a_deactivated_user_is_401(client, village_director):
    token = create_token("director")
    village_director.is_active = False
    village_director.save()

    response = client.get("/api/v1/people", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_a_token_works_for_writes_without_csrf(client, village_director, regions):
    token = create_token("director")

    response = client.patch(
        "/api/v1/people/1",
        {"version": 1},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 404  # authenticated; there is simply no person 1
