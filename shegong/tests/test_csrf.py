"""CSRF: every POST form carries the token, and the only write that goes without CSRF
protection is the vendors' device event — machine to machine, HMAC-signed, no cookies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from shegong.api import api
from shegong.testing import login

TEMPLATES = sorted(Path(settings.BASE_DIR, "shegong").glob("**/templates/**/*.html"))
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post\b[^>]*>(.*?)</form>", re.I | re.S)

# Writes without CSRF protection, each for a reason: the vendors' signed device events.
CSRF_FREE_WRITES = {"POST /api/v1/devices/events"}


def test_every_post_form_in_every_template_has_the_token():
    forms, missing = 0, []
    for template in TEMPLATES:
        text = template.read_text()
        for match in POST_FORM.finditer(text):
            forms += 1
            if "{% csrf_token %}" not in match[1]:
                line = text.count("\n", 0, match.start()) + 1
                missing.append(f"{template.relative_to(settings.BASE_DIR)}:{line}")
    assert missing == []
    assert forms > 100  # the pattern finds the forms (there are about 130)


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _is_api_view(callback) -> bool:
    # django-ninja exempts all its views from Django's CSRF middleware and checks CSRF in its
    # cookie authentication instead (tested below through the API's own operations).
    return callback.__qualname__.startswith("PathView.get_view")


def test_no_page_outside_the_api_is_csrf_exempt():
    exempt = [
        route
        for route, callback in _patterns(get_resolver())
        if getattr(callback, "csrf_exempt", False) and not _is_api_view(callback)
    ]
    assert exempt == []


def _unsafe_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    operations = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
                url = re.sub(r"\{[^}]+\}", "1", path)
                operations.append((f"{method.upper()} {path}", url))
    return operations


@pytest.mark.django_db
def test_a_logged_in_browser_cannot_write_through_the_api_without_the_csrf_token(
    district_admin,
):
    browser = login(Client(enforce_csrf_checks=True), district_admin)
    refused, open_writes = [], []
    for name, url in _unsafe_operations():
        response = browser.generic(name.split()[0], url, "{}", content_type="application/json")
        if response.status_code == 403 and b"CSRF" in response.content:
            refused.append(name)
        else:
            open_writes.append(name)
    assert set(open_writes) == CSRF_FREE_WRITES
    assert len(refused) >= 9  # people, assessments, devices, alarms, contracts, visits …


@pytest.mark.django_db
def test_the_device_event_endpoint_answers_only_to_a_signature(district_admin):
    # Without CSRF protection it must not act for a session either: no signature, no event.
    browser = login(Client(enforce_csrf_checks=True), district_admin)
    response = browser.post("/api/v1/devices/events", "{}", content_type="application/json")
    assert response.status_code == 401
