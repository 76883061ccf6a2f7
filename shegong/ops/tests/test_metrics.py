"""/metrics: Prometheus text for the monitoring network only, labelled without personal data."""

from __future__ import annotations

import json
import time

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from shegong.devices import services as device_services
from shegong.devices import signing
from shegong.devices.models import Device, DeviceKind
from shegong.factories import PersonFactory, born_years_ago
from shegong.ops import heartbeat

pytestmark = pytest.mark.django_db
OUTSIDE = "203.0.113.5"


def samples(response) -> dict[tuple, float]:
    """{(sample name, ((label, value), …)): value} of a /metrics answer."""
    assert response.status_code == 200
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests_of(metrics: dict, view: str) -> float:
    return sum(
        value
        for (name, labels), value in metrics.items()
        if name == "shegong_http_requests_total" and ("view", view) in labels
    )


def test_it_answers_on_localhost(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    metrics = samples(response)
    assert metrics[("shegong_database_up", ())] == 1.0
    assert metrics[("shegong_queue_up", ())] == 1.0
    assert ("shegong_huey_queue_length", ()) in metrics


def test_it_is_404_from_outside(client):
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 404


def test_a_client_forwarded_by_the_local_nginx_is_judged_by_its_own_address(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE)

    assert response.status_code == 404


def test_it_answers_the_allowed_networks(client, settings):
    settings.SHEGONG_METRICS_ALLOW = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_the_bearer_token_opens_it_from_anywhere(client, settings):
    settings.SHEGONG_METRICS_TOKEN = "scrape-token-123"

    good = client.get(
        "/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer scrape-token-123"}
    )
    wrong = client.get("/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer nope"})

    assert good.status_code == 200
    assert wrong.status_code == 404


def test_no_token_configured_means_no_token_accepted(client, settings):
    settings.SHEGONG_METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, headers={"Authorization": "Bearer "})

    assert response.status_code == 404


def test_requests_are_counted_by_view_name_not_by_path(director_client, person, client):
    other = PersonFactory(region=person.region)
    before = requests_of(samples(client.get("/metrics")), "people:detail")

    director_client.get(f"/people/{person.pk}/")
    director_client.get(f"/people/{other.pk}/")

    response = client.get("/metrics")
    assert requests_of(samples(response), "people:detail") == before + 2
    text = response.content.decode()
    assert f"/people/{person.pk}/" not in text
    assert (
        'shegong_http_request_duration_seconds_bucket{le="0.005",method="GET",view="people:detail"}'
        in text
    )


def test_open_alarms_are_counted_by_severity_without_personal_data(client, village_director):
    old = PersonFactory(name="王秀英", birth_date=born_years_ago(80))
    vendor, secret = device_services.vendor_create(name="指标厂商")
    Device.objects.create(
        vendor=vendor,
        serial="SOS-M1",
        kind=DeviceKind.SOS_BUTTON,
        person=old,
        bound_by=village_director,
    )
    event = {"event_id": "m-1", "serial": "SOS-M1", "type": "sos", "data": {}}
    body = json.dumps({**event, "occurred_at": timezone.now().isoformat()}).encode()
    headers = signing.signed_headers(vendor.key, secret, body, int(time.time()))
    assert (
        client.post(
            "/api/v1/devices/events", data=body, content_type="application/json", headers=headers
        ).status_code
        == 202
    )

    response = client.get("/metrics")
    metrics = samples(response)
    assert metrics[("shegong_alarms_active", (("severity", "critical"), ("status", "open")))] == 1
    assert metrics[("shegong_alarms_active", (("severity", "high"), ("status", "open")))] == 0
    text = response.content.decode()
    assert "王秀英" not in text and "SOS-M1" not in text and old.id_number not in text


def test_heartbeat_ages_are_there_per_consumer(client):
    now = time.time()
    heartbeat.record_periodic(consumer="worker-1", now=now - 20)
    heartbeat.record_consumer(consumer="worker-2", now=now - 40)

    metrics = samples(client.get("/metrics"))

    assert 20 <= metrics[("shegong_heartbeat_age_seconds", ())] < 30
    age = metrics[("shegong_consumer_heartbeat_age_seconds", (("consumer", "worker-2"),))]
    assert 40 <= age < 50


def test_redis_is_reported_when_configured(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    metrics = samples(client.get("/metrics"))

    assert metrics[("shegong_redis_up", ())] == 0.0
    assert metrics[("shegong_up", ())] == 0.0
