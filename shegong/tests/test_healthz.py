import time

import pytest
from django.db import OperationalError, connection
from huey.contrib.djhuey import HUEY

from shegong.ops import heartbeat
from shegong.ops import heartbeat_tasks as tasks

pytestmark = pytest.mark.django_db

# A Redis database of these tests' own (see the helpers' rules: never FLUSHALL).
REDIS_UP = "redis://127.0.0.1:6379/13"
REDIS_DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def long_running(monkeypatch):
    """The web process has been up longer than the heartbeat threshold (no grace any more)."""
    monkeypatch.setattr(heartbeat, "STARTED_AT", time.time() - 3600)


def test_it_answers_200_when_the_database_and_queue_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["queue"]) == ("ok", "ok", "ok")
    assert isinstance(body["queue_length"], int)


def test_it_answers_503_when_the_queue_is_unreachable(client, monkeypatch):
    def unreachable():
        raise ConnectionError("queue storage is down")

    monkeypatch.setattr(HUEY.storage, "queue_size", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["queue"] == "error: ConnectionError"
    assert response.json()["database"] == "ok"


def test_it_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError("could not connect to server: password=hunter2")

    monkeypatch.setattr(connection, "cursor", refused)

    response = client.get("/healthz")

    assert response.status_code == 503
    # The class of the failure, never its text (a connection string can hold a password).
    assert response.json()["database"] == "error: OperationalError"
    assert "hunter2" not in response.content.decode()


def test_it_pings_redis_when_redis_is_configured(client, settings):
    settings.REDIS_URL = REDIS_UP

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


def test_it_answers_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = REDIS_DOWN

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["redis"] == "error: ConnectionError"


def test_it_does_not_check_redis_without_redis(client, settings):
    settings.REDIS_URL = ""

    assert "redis" not in client.get("/healthz").json()


def test_no_heartbeat_yet_is_pending_while_the_app_is_young(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["heartbeat"] == "pending"
    assert response.json()["heartbeat_age"] is None


def test_no_heartbeat_long_after_start_is_an_error(client, long_running):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["heartbeat"] == "error: missing"


def test_the_periodic_heartbeat_job_makes_it_healthy(client, long_running):
    tasks.heartbeat()  # what the consumer runs every minute (immediate mode runs it here)

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["heartbeat"] == "ok"
    assert 0 <= body["heartbeat_age"] < 5
    assert body["consumers"] == 1


def test_a_stale_heartbeat_is_an_error(client, settings, long_running):
    settings.SHEGONG_HEARTBEAT_MAX_AGE = 180
    heartbeat.record_periodic(consumer="worker-1", now=time.time() - 181)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["heartbeat"] == "error: stale"
    assert response.json()["heartbeat_age"] >= 181
    assert response.json()["consumers"] == 0


def test_the_threshold_comes_from_the_settings(client, settings, long_running):
    settings.SHEGONG_HEARTBEAT_MAX_AGE = 900
    heartbeat.record_periodic(consumer="worker-1", now=time.time() - 600)

    assert client.get("/healthz").status_code == 200


def test_a_zero_threshold_turns_the_heartbeat_check_off(client, settings, long_running):
    settings.SHEGONG_HEARTBEAT_MAX_AGE = 0

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["heartbeat"] == "off"


def test_only_live_consumers_are_counted(client, long_running):
    now = time.time()
    heartbeat.record_periodic(consumer="worker-1", now=now)
    heartbeat.record_consumer(consumer="worker-2", now=now - 10)
    heartbeat.record_consumer(consumer="worker-3", now=now - 1000)  # died a while ago

    assert client.get("/healthz").json()["consumers"] == 2


def test_a_consumer_reports_itself_from_its_start(monkeypatch):
    monkeypatch.setenv("SHEGONG_CONSUMER_NAME", "worker-7")
    try:
        tasks.start_consumer_heartbeat()  # the consumer's startup hook
        deadline = time.monotonic() + 5
        while "worker-7" not in heartbeat.status().consumers and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        tasks.stop_consumer_heartbeat()

    assert heartbeat.status().consumers["worker-7"] < 5


def test_it_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_refuses_post(client):
    assert client.post("/healthz").status_code == 405
