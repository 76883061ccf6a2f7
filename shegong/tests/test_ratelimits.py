"""Rate limits per client address: the login form (on top of django-axes' lock-out per user
name), and where the client's address comes from behind nginx."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from shegong.factories import PASSWORD
from shegong.ratelimits import client_ip

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str = "wrong-password", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_one_address_gets_the_configured_number_of_login_attempts_a_minute(
    client, village_director, rate_window
):
    # The default: 30 a minute from one address (a township office shares one NAT address).
    for n in range(30):
        assert attempt(client, f"nobody-{n}").status_code == 200  # the form, with its error

    refused = attempt(client, "director", PASSWORD)

    assert refused.status_code == 429
    assert 'id="rate-limited"' in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "_auth_user_id" not in client.session  # even the right password waits
    # Another address is not held up.
    other = Client(REMOTE_ADDR="10.20.30.40")
    assert attempt(other, "director", PASSWORD).status_code == 302


def test_a_refused_attempt_does_not_count_towards_the_account_lock_out(
    client, village_director, settings, rate_window
):
    settings.SHEGONG_RATE_LOGIN = "2/m"
    attempt(client, "director")
    attempt(client, "director")
    assert attempt(client, "director").status_code == 429
    assert AccessAttempt.objects.get(username="director").failures_since_start == 2


def test_the_login_page_itself_is_never_limited(client, settings, rate_window):
    settings.SHEGONG_RATE_LOGIN = "1/m"
    attempt(client, "nobody")
    assert attempt(client, "nobody").status_code == 429
    assert client.get(LOGIN).status_code == 200


def test_the_rate_comes_from_the_environment(settings, rate_window):
    settings.SHEGONG_RATE_LOGIN = "3/h"
    client = Client()
    statuses = [attempt(client, f"nobody-{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


# ---- the client's address -----------------------------------------------------------------------


def request(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_a_proxy_the_address_is_the_connections(settings):
    settings.SHEGONG_BEHIND_PROXY = False
    # A client reaching gunicorn directly could write any X-Forwarded-For.
    assert client_ip(request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_nginx_the_address_is_the_one_nginx_added(settings):
    settings.SHEGONG_BEHIND_PROXY = True
    # The client forged the first entry; nginx appended the address it saw.
    assert client_ip(request("127.0.0.1", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(request("127.0.0.1")) == "127.0.0.1"  # a probe from the machine itself
    assert client_ip(request("127.0.0.1", "not-an-address")) == "127.0.0.1"


def test_behind_nginx_each_client_address_has_its_own_login_limit(settings, rate_window):
    settings.SHEGONG_BEHIND_PROXY = True
    settings.SHEGONG_RATE_LOGIN = "2/m"
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    office_a = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    office_b = {"HTTP_X_FORWARDED_FOR": "198.51.100.8"}
    assert [attempt(proxy, "x", **office_a).status_code for _ in range(3)] == [200, 200, 429]
    assert attempt(proxy, "x", **office_b).status_code == 200


def test_ipv6_clients_are_counted_by_their_network(settings, rate_window):
    settings.SHEGONG_RATE_LOGIN = "2/m"
    # Addresses within one /64 belong to one subscriber, who can pick any of them.
    assert attempt(Client(REMOTE_ADDR="2001:db8::1"), "x").status_code == 200
    assert attempt(Client(REMOTE_ADDR="2001:db8::2"), "x").status_code == 200
    assert attempt(Client(REMOTE_ADDR="2001:db8::3"), "x").status_code == 429
    assert attempt(Client(REMOTE_ADDR="2001:db8:0:1::1"), "x").status_code == 200
