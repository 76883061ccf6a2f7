"""Every log line names its request (or job); the access log has one line per request, ids only."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey.contrib.djhuey import task

import shegong.wsgi  # noqa: F401 - set up logging now, not in the middle of a test
from shegong.devices import services as device_services
from shegong.devices import signing
from shegong.devices.tests.test_lean_path import call
from shegong.ops import heartbeat_tasks  # noqa: F401 - registers the task-id hooks
from shegong.ops.logs import ContextFilter, JsonFormatter

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]

job_log = logging.getLogger("shegong.tests.job")


@task()
def job_that_logs() -> None:
    job_log.info("exporting")


@pytest.fixture
def json_lines():
    """lines() → the JSON records logged since the fixture started, as production writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(), logging.getLogger("huey")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "shegong.access"]


def test_every_response_carries_a_new_request_id(client):
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]

    assert len(first) == 32 and first != second


def test_the_request_id_from_nginx_is_kept(client):
    response = client.get(
        "/accounts/login/", headers={"X-Request-ID": "0af7651916cd43dd8448eb211c80319c"}
    )

    assert response["X-Request-ID"] == "0af7651916cd43dd8448eb211c80319c"


def test_a_request_id_that_could_forge_log_lines_is_replaced(client):
    forged = 'x"}\n{"level": "INFO", "message": "forged'

    response = client.get("/accounts/login/", headers={"X-Request-ID": forged})

    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32


def test_the_access_line_is_json_with_request_id_user_and_no_query_string(
    director_client, village_director, person, json_lines
):
    response = director_client.get("/people/", {"q": person.name})

    assert response.status_code == 200
    [line] = access_lines(json_lines())
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == village_director.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/people/", 200)
    assert line["view"] == "people:list"
    assert line["duration_ms"] > 0
    assert line["level"] == "INFO" and line["timestamp"]
    # The search term is a person's name: it must not reach the logs.
    assert person.name not in json.dumps(json_lines(), ensure_ascii=False)


def test_lines_logged_during_the_request_carry_its_id_and_no_query_string(
    director_client, village_director, json_lines
):
    response = director_client.get("/people/999999/", {"q": "王秀英"})

    assert response.status_code == 404
    lines = json_lines()
    [not_found] = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["request_id"] == response["X-Request-ID"]
    assert not_found["user_id"] == village_director.pk
    assert not_found["path"] == "/people/999999/"
    # Django attaches the request object, whose repr carries the query string: left out.
    assert "request" not in not_found
    assert "王秀英" not in json.dumps(lines, ensure_ascii=False)
    assert access_lines(lines)[0]["level"] == "WARNING"


def test_a_job_logs_with_its_task_id(json_lines):
    result = job_that_logs()  # immediate mode: runs here, through the consumer's hooks

    [line] = [line for line in json_lines() if line["logger"] == "shegong.tests.job"]
    assert line["task_id"] == result.id
    assert "request_id" not in line


def test_health_probes_are_not_in_the_access_log_at_info(client, json_lines):
    client.get("/healthz")

    assert access_lines(json_lines()) == []


def test_the_lean_device_path_keeps_request_ids_and_logs_only_failures(json_lines):
    vendor, secret = device_services.vendor_create(name="日志厂商")
    body = b'{"event_id": "log-1", "serial": "NOPE", "type": "heartbeat", "data": {}}'

    bad = call(
        "/api/v1/devices/events",
        method="POST",
        body=body,
        headers={
            **signing.signed_headers(vendor.key, "wrong", body, int(time.time())),
            "X-Request-ID": "lean0001",
        },
    )

    assert bad["status"] == 401
    assert bad["headers"]["X-Request-ID"] == "lean0001"
    [line] = access_lines(json_lines())
    assert (line["request_id"], line["status"], line["level"]) == ("lean0001", 401, "WARNING")


def test_production_logs_json_lines_by_default(tmp_path):
    """DEBUG off and no SHEGONG_LOG_FORMAT: the settings choose the JSON formatter."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SHEGONG_TESTING", "SHEGONG_DEMO", "SHEGONG_LOG_FORMAT"}
    }
    env.update(
        SECRET_KEY="test-secret",
        SHEGONG_FIELD_KEY="test-field-key",
        SHEGONG_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="shegong.settings",
    )
    env.pop("DATABASE_URL", None)
    script = (
        "import django, logging; django.setup();"
        "from shegong.ops import logs; logs.request_id.set('abc123');"
        "logging.getLogger('shegong.check').warning('hello %s', 'there')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello there"
    assert (line["level"], line["logger"], line["request_id"]) == (
        "WARNING",
        "shegong.check",
        "abc123",
    )
