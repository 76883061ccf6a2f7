import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shegong.accounts.models import Role
from shegong.factories import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def current_code(device: TOTPDevice) -> str:
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{token:0{device.digits}d}"


def test_the_login_page_is_in_chinese(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.content.decode()


def test_a_user_logs_in_with_the_right_password(client, village_director):
    response = log_in(client, "director")

    assert response.status_code == 302
    assert logged_in(client)


def test_a_wrong_password_is_refused(client, village_director):
    response = log_in(client, "director", "Wrong-password-1")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not logged_in(client)


def test_the_account_locks_after_five_failed_attempts(client, village_director):
    for _ in range(5):
        log_in(client, "director", "Wrong-password-1")

    response = log_in(client, "director")

    assert response.status_code == 429
    assert not logged_in(client)


def test_four_failed_attempts_do_not_lock_the_account(client, village_director):
    for _ in range(4):
        log_in(client, "director", "Wrong-password-1")

    log_in(client, "director")

    assert logged_in(client)


def test_the_lock_is_per_account_not_per_office_address(client, make_user, village_director):
    make_user(Role.VILLAGE_ASSISTANT, username="colleague")
    for _ in range(5):
        log_in(client, "director", "Wrong-password-1")

    colleague = Client()
    log_in(colleague, "colleague")

    assert logged_in(colleague)


def test_a_deactivated_user_cannot_log_in(client, village_director):
    village_director.is_active = False
    village_director.save()

    log_in(client, "director")

    assert not logged_in(client)


# Idle timeout


def test_the_session_expires_after_30_idle_minutes():
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is True


def test_every_request_extends_the_session(director_client):
    key = director_client.session.session_key
    Session.objects.filter(pk=key).update(
        expire_date=timezone.now() + timezone.timedelta(minutes=1)
    )

    director_client.get("/people/")

    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert remaining > timezone.timedelta(minutes=29)


def test_an_idle_session_is_logged_out(director_client):
    key = director_client.session.session_key
    Session.objects.filter(pk=key).update(
        expire_date=timezone.now() - timezone.timedelta(seconds=1)
    )

    response = director_client.get("/people/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Second factor for district administrators


def test_a_district_admin_is_sent_to_the_second_factor(client, district_admin, settings):
    settings.DEMO_MODE = False
    log_in(client, "admin")

    response = client.get("/people/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/?next=/people/"


def test_a_district_admin_enrols_an_authenticator_and_reaches_the_pages(
    client, district_admin, settings
):
    settings.DEMO_MODE = False
    log_in(client, "admin")

    enrol = client.get("/accounts/otp/?next=/people/")
    device = TOTPDevice.objects.get(user=district_admin)
    verified = client.post("/accounts/otp/", {"token": current_code(device), "next": "/people/"})

    assert enrol.context["enrolling"]
    assert "<svg" in enrol.content.decode()
    assert verified.status_code == 302
    assert verified["Location"] == "/people/"
    assert client.get("/people/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_an_enrolled_district_admin_enters_the_current_code(client, district_admin, settings):
    settings.DEMO_MODE = False
    device = TOTPDevice.objects.create(user=district_admin, name="phone", confirmed=True)
    log_in(client, "admin")

    prompt = client.get("/accounts/otp/")
    client.post("/accounts/otp/", {"token": current_code(device)})

    assert not prompt.context["enrolling"]
    assert "<svg" not in prompt.content.decode()
    assert client.get("/audit/").status_code == 200


def test_a_wrong_code_is_refused(client, district_admin, settings):
    settings.DEMO_MODE = False
    device = TOTPDevice.objects.create(user=district_admin, name="phone", confirmed=True)
    log_in(client, "admin")
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/otp/", {"token": wrong, "next": "/people/"})

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get("/people/").status_code == 302


def test_the_second_factor_does_not_redirect_to_another_site(client, district_admin, settings):
    settings.DEMO_MODE = False
    device = TOTPDevice.objects.create(user=district_admin, name="phone", confirmed=True)
    log_in(client, "admin")

    response = client.post(
        "/accounts/otp/", {"token": current_code(device), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_a_demo_district_admin_is_not_asked_in_demo_mode(client, district_admin, settings):
    settings.DEMO_MODE = True
    district_admin.is_demo_account = True
    district_admin.save()
    log_in(client, "admin")

    assert client.get("/people/").status_code == 200


def test_a_demo_district_admin_is_asked_outside_demo_mode(client, district_admin, settings):
    settings.DEMO_MODE = False
    district_admin.is_demo_account = True
    district_admin.save()
    log_in(client, "admin")

    assert client.get("/people/").status_code == 302


def test_a_real_district_admin_is_asked_even_in_demo_mode(client, district_admin, settings):
    settings.DEMO_MODE = True
    log_in(client, "admin")

    assert client.get("/people/").status_code == 302


def test_other_roles_are_not_asked_for_a_second_factor(client, village_director, settings):
    settings.DEMO_MODE = False
    log_in(client, "director")

    assert client.get("/people/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/accounts/users/", "/accounts/users/new/", "/audit/", "/regions/"]
)
def test_a_district_admin_without_the_second_factor_reaches_no_page(
    client, district_admin, settings, path
):
    settings.DEMO_MODE = False
    log_in(client, "admin")

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/")


def test_a_district_admin_without_the_second_factor_cannot_reset_a_password(
    client, district_admin, make_user, settings
):
    settings.DEMO_MODE = False
    worker = make_user(Role.VILLAGE_ASSISTANT)
    log_in(client, "admin")

    client.post(f"/accounts/users/{worker.pk}/password/")

    worker.refresh_from_db()
    assert worker.check_password(PASSWORD)


def test_login_logout_and_the_second_factor_page_stay_reachable(client, district_admin, settings):
    settings.DEMO_MODE = False
    log_in(client, "admin")

    assert client.get("/accounts/otp/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/login/").status_code == 200
