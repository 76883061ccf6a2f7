"""Production settings (DEBUG off): HTTPS only, secure cookies, HSTS — and `check --deploy`
finds nothing to complain about. Load balancers still probe /healthz and /metrics over http."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db

HTTPS_FROM_NGINX = {"HTTP_X_FORWARDED_PROTO": "https"}


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    # Nothing of the test run's environment (SHEGONG_TESTING, DJANGO_ALLOW_ASYNC_UNSAFE …).
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        SHEGONG_FIELD_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="shegong.example.gov.cn",
        SHEGONG_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="shegong.settings",
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "SECURE_REDIRECT_EXEMPT",
    "SHEGONG_BEHIND_PROXY"]}))
"""


def production_settings(env: dict[str, str]) -> dict:
    shown = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


@pytest.mark.parametrize("redis", [False, True], ids=["embedded", "redis"])
def test_check_deploy_is_clean_with_production_settings(tmp_path, redis):
    extra = {"REDIS_URL": "redis://127.0.0.1:6379/14"} if redis else {}
    checked = manage(production_env(tmp_path, **extra), "check", "--deploy", "--fail-level", "INFO")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_production_turns_on_https_only_cookies_hsts_and_the_redirect(tmp_path):
    shown = production_settings(production_env(tmp_path))
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] is shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert shown["SECURE_REFERRER_POLICY"] == "same-origin"
    assert shown["SECURE_REDIRECT_EXEMPT"] == [r"^healthz$", r"^metrics$"]


def test_each_can_be_turned_off_for_a_server_on_plain_http(tmp_path):
    env = production_env(
        tmp_path,
        SHEGONG_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        SHEGONG_HSTS_SECONDS="0",
        SHEGONG_BEHIND_PROXY="0",
    )
    shown = production_settings(env)
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SESSION_COOKIE_SECURE"] is shown["CSRF_COOKIE_SECURE"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0
    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    # And check --deploy says so, rather than staying quiet.
    checked = manage(env, "check", "--deploy")
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in checked.stderr + checked.stdout


def test_development_and_tests_are_not_production(settings):
    # These tests run with SHEGONG_TESTING: plain http, as the browser tests need.
    assert settings.SECURE_SSL_REDIRECT is False
    assert settings.SESSION_COOKIE_SECURE is False


# ---- the redirect, as gunicorn behind nginx answers ---------------------------------------------


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.ALLOWED_HOSTS = ["shegong.example.gov.cn"]
    return Client(HTTP_HOST="shegong.example.gov.cn")


def test_plain_http_pages_redirect_to_https(https_only):
    response = https_only.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://shegong.example.gov.cn/accounts/login/"


def test_pages_over_https_carry_hsts(https_only):
    response = https_only.get("/accounts/login/", **HTTPS_FROM_NGINX)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_load_balancers_probe_healthz_and_metrics_over_plain_http(https_only):
    # /healthz answers 200 or 503 (its checks); /metrics may not exist: never a redirect.
    assert https_only.get("/healthz").status_code in (200, 503)
    assert https_only.get("/metrics").status_code not in (301, 302)
