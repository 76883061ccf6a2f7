import re

import pytest
from django.test import Client

from shegong.accounts.models import Membership, Role, User
from shegong.conftest import OUTSIDER_ROLES, REGISTRY_ROLES
from shegong.factories import PASSWORD, PersonFactory, RegionFactory, UserFactory
from shegong.testing import login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Xq7-plmoknbv"


def can_log_in(username: str, password: str) -> bool:
    browser = Client()
    browser.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in browser.session


@pytest.fixture
def worker(make_user):
    return make_user(Role.VILLAGE_ASSISTANT, username="worker")


def test_the_user_list_shows_users_with_their_roles(admin_client, worker):
    response = admin_client.get("/accounts/users/")

    assert response.status_code == 200
    assert "worker" in response.content.decode()
    assert "admin" in [u.username for u in response.context["users"]]


def test_the_user_list_searches_by_name(admin_client, worker, make_user):
    make_user(Role.VIEWER, username="leader")

    response = admin_client.get("/accounts/users/", {"q": "lead"})

    assert [u.username for u in response.context["users"]] == ["leader"]


def test_an_admin_creates_a_user_who_can_then_log_in(admin_client, regions):
    response = admin_client.post(
        "/accounts/users/new/",
        {
            "username": "newbie",
            "full_name": "新社工",
            "password": NEW_PASSWORD,
            "role": Role.VILLAGE_DIRECTOR,
            "region_code": regions.village.code,
        },
    )

    user = User.objects.get(username="newbie")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{user.pk}/"
    assert [(m.role, m.region_id) for m in user.memberships.all()] == [
        (Role.VILLAGE_DIRECTOR, regions.village.code)
    ]
    assert can_log_in("newbie", NEW_PASSWORD)


def test_a_new_user_needs_a_strong_password(admin_client, regions):
    response = admin_client.post(
        "/accounts/users/new/",
        {
            "username": "newbie",
            "full_name": "新社工",
            "password": "short",
            "role": Role.VILLAGE_DIRECTOR,
            "region_code": regions.village.code,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(username="newbie").exists()


def test_a_taken_user_name_is_refused(admin_client, regions, worker):
    response = admin_client.post(
        "/accounts/users/new/",
        {
            "username": "worker",
            "full_name": "重名",
            "password": NEW_PASSWORD,
            "role": Role.VIEWER,
            "region_code": regions.district.code,
        },
    )

    assert response.context["form"].errors["username"]
    assert User.objects.filter(username="worker").count() == 1


def test_an_admin_adds_and_removes_a_membership(admin_client, regions, worker):
    admin_client.post(
        f"/accounts/users/{worker.pk}/memberships/",
        {"role": Role.TOWNSHIP_WORKER, "region_code": regions.township.code},
    )
    added = Membership.objects.get(user=worker, role=Role.TOWNSHIP_WORKER)
    assert added.region == regions.township

    admin_client.post(f"/accounts/users/{worker.pk}/memberships/{added.pk}/remove/")

    assert list(worker.memberships.values_list("role", flat=True)) == [Role.VILLAGE_ASSISTANT]


def test_a_new_membership_widens_what_the_user_sees(admin_client, regions, worker, bearer):
    far = PersonFactory(region=regions.far_village)
    headers = bearer(worker)
    assert Client().get(f"/api/v1/people/{far.pk}", headers=headers).status_code == 404

    admin_client.post(
        f"/accounts/users/{worker.pk}/memberships/",
        {"role": Role.TOWNSHIP_WORKER, "region_code": regions.other_township.code},
    )

    assert Client().get(f"/api/v1/people/{far.pk}", headers=headers).status_code == 200


def test_removing_a_membership_of_another_user_is_404(admin_client, worker, make_user):
    other = make_user(Role.VIEWER)
    membership = other.memberships.get()

    response = admin_client.post(f"/accounts/users/{worker.pk}/memberships/{membership.pk}/remove/")

    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_deactivated_user_cannot_log_in(admin_client, worker):
    assert can_log_in("worker", PASSWORD)

    admin_client.post(f"/accounts/users/{worker.pk}/active/")

    worker.refresh_from_db()
    assert not worker.is_active
    assert not can_log_in("worker", PASSWORD)


def test_a_deactivated_user_is_logged_out_of_an_open_session(admin_client, worker):
    session = login(Client(), worker)

    admin_client.post(f"/accounts/users/{worker.pk}/active/")

    assert session.get("/people/").status_code == 302


def test_a_user_can_be_reactivated(admin_client, worker):
    admin_client.post(f"/accounts/users/{worker.pk}/active/")
    admin_client.post(f"/accounts/users/{worker.pk}/active/")

    worker.refresh_from_db()
    assert worker.is_active


def test_an_admin_cannot_deactivate_themself(admin_client, district_admin):
    admin_client.post(f"/accounts/users/{district_admin.pk}/active/")

    district_admin.refresh_from_db()
    assert district_admin.is_active


def test_a_reset_password_is_shown_once_and_then_works(admin_client, worker):
    response = admin_client.post(f"/accounts/users/{worker.pk}/password/", follow=True)

    match = re.search(
        r'id="new-password".*?<code[^>]*>([^<]+)</code>', response.content.decode(), re.S
    )
    assert match, "the new password is shown"
    new_password = match.group(1).strip()
    assert can_log_in("worker", new_password)
    assert not can_log_in("worker", PASSWORD)
    assert new_password not in admin_client.get(f"/accounts/users/{worker.pk}/").content.decode()


@pytest.mark.parametrize("role", sorted((REGISTRY_ROLES | OUTSIDER_ROLES) - {Role.DISTRICT_ADMIN}))
def test_user_administration_is_404_for_everyone_but_the_district_admin(
    client, make_user, worker, role
):
    login(client, make_user(role))

    assert client.get("/accounts/users/").status_code == 404
    assert client.get(f"/accounts/users/{worker.pk}/").status_code == 404
    assert client.get("/accounts/users/new/").status_code == 404
    assert client.post(f"/accounts/users/{worker.pk}/password/").status_code == 404
    assert client.post(f"/accounts/users/{worker.pk}/active/").status_code == 404
    worker.refresh_from_db()
    assert worker.is_active


def test_a_user_without_any_role_sees_nothing(client, db):
    login(client, UserFactory())

    assert client.get("/people/").status_code == 404
    assert client.get("/accounts/users/").status_code == 404


def test_a_district_admin_cannot_take_over_a_superuser(admin_client, db):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)

    assert "root" not in [u.username for u in admin_client.get("/accounts/users/").context["users"]]
    assert admin_client.get(f"/accounts/users/{superuser.pk}/").status_code == 404
    assert admin_client.post(f"/accounts/users/{superuser.pk}/password/").status_code == 404
    assert admin_client.post(f"/accounts/users/{superuser.pk}/active/").status_code == 404
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)
    assert superuser.is_active


def test_an_admin_of_another_district_cannot_see_or_manage_our_users(client, worker, make_user):
    other_district = RegionFactory(code="130102000000", name="长安区")
    login(client, make_user(Role.DISTRICT_ADMIN, region=other_district))

    assert "worker" not in [u.username for u in client.get("/accounts/users/").context["users"]]
    assert client.post(f"/accounts/users/{worker.pk}/password/").status_code == 404
    assert client.post(f"/accounts/users/{worker.pk}/active/").status_code == 404
    worker.refresh_from_db()
    assert worker.is_active and worker.check_password(PASSWORD)


def test_an_admin_cannot_grant_a_role_outside_their_district(admin_client, worker):
    other_village = RegionFactory(code="130102001201", name="外区村")

    admin_client.post(
        f"/accounts/users/{worker.pk}/memberships/",
        {"role": Role.DISTRICT_ADMIN, "region_code": other_village.code},
    )

    assert not worker.memberships.filter(region=other_village).exists()
