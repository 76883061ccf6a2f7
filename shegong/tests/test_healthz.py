import pytest
from huey.contrib.djhuey import HUEY

pytestmark = pytest.mark.django_db


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


def test_it_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_refuses_post(client):
    assert client.post("/healthz").status_code == 405
