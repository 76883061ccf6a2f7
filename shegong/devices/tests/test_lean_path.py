"""The WSGI application sends vendor device events through the lean handler (no sessions,
CSRF, language, audit actor …) and every other path through the full middleware stack."""

from __future__ import annotations

import io
import time
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from shegong.devices import signing
from shegong.devices.models import DeviceEvent

from .conftest import event_body

pytestmark = pytest.mark.django_db


def call(path: str, *, method: str = "GET", body: bytes = b"", headers=None):
    from shegong.wsgi import application

    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        {
            "PATH_INFO": path,
            "REQUEST_METHOD": method,
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
    )
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    # As Django's test client does: the request signals would close the test's connection (a
    # transaction the test still needs) at the end of the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        answer["body"] = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer


def test_a_signed_event_is_stored_through_the_lean_handler(vendor, device):
    body = event_body(type="heartbeat", event_id="lean-1")
    headers = signing.signed_headers(vendor.vendor.key, vendor.secret, body, int(time.time()))
    answer = call("/api/v1/devices/events", method="POST", body=body, headers=headers)
    assert answer["status"] == 202
    assert DeviceEvent.objects.filter(event_id="lean-1").exists()
    # No browser middleware ran: no clickjacking header, no language or cookie negotiation.
    assert "X-Frame-Options" not in answer["headers"]
    assert "Content-Language" not in answer["headers"]


def test_a_bad_signature_is_still_401_on_the_lean_path(vendor, device):
    body = event_body(type="heartbeat")
    headers = signing.signed_headers(vendor.vendor.key, "wrong", body, int(time.time()))
    assert (
        call("/api/v1/devices/events", method="POST", body=body, headers=headers)["status"] == 401
    )
    assert DeviceEvent.objects.count() == 0


def test_other_pages_keep_the_full_middleware(db):
    answer = call("/accounts/login/")
    assert answer["status"] == 200
    assert answer["headers"]["X-Frame-Options"] == "DENY"
    assert answer["headers"]["Content-Language"] == "zh-hans"
