"""Prometheus metrics: request counts and latencies, and the health of what the app depends on.

Request metrics are labelled by the URL pattern's view name (``people:detail``), never by the raw
path: one series per person would be unbounded and would put record ids into the monitoring
system. Nothing here carries personal data — view names, methods, status codes, severities and
the names operators give their consumers.

Under gunicorn every worker is its own process with its own counters. When
``PROMETHEUS_MULTIPROC_DIR`` is set (deploy/shegong-web.service sets it), prometheus_client keeps
the counters in files in that directory and a scrape adds up all workers'; gunicorn's
``child_exit`` hook (deploy/gunicorn.conf.py) retires the files of a worker that exits. Without
it (``runserver``, tests, one worker) the process's own registry is served.

The gauges (database up, queue length, open alarms, heartbeat ages) are measured at scrape time
by :class:`LiveCollector`, so they are right whichever worker answers.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter(
    "shegong_http_requests",
    "HTTP requests answered, by view name, method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "shegong_http_request_duration_seconds",
    "Time from the first middleware to the response, by view name and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    # Methods outside the usual set would let a client mint new series.
    if method not in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}:
        method = "other"
    REQUESTS.labels(view, method, str(status)).inc()
    LATENCY.labels(view, method).observe(seconds)


class LiveCollector:
    """Gauges read when Prometheus scrapes: they describe the system, not this process."""

    def collect(self) -> Iterable[Metric]:
        from shegong.ops import health

        report = health.run_checks()
        yield _gauge("shegong_up", "1 when /healthz would answer 200.", report.healthy)
        yield _gauge(
            "shegong_database_up", "1 when the database answers.", report.checks["database"] == "ok"
        )
        yield _gauge(
            "shegong_queue_up", "1 when the job queue answers.", report.checks["queue"] == "ok"
        )
        if "redis" in report.checks:
            yield _gauge(
                "shegong_redis_up", "1 when Redis answers PING.", report.checks["redis"] == "ok"
            )
        if isinstance(report.checks.get("queue_length"), int):
            yield _gauge(
                "shegong_huey_queue_length",
                "Jobs waiting in the Huey queue.",
                report.checks["queue_length"],
            )
        beat = report.heartbeat
        if beat is not None:
            if beat.age is not None:
                yield _gauge(
                    "shegong_heartbeat_age_seconds",
                    "Seconds since a consumer last ran the periodic heartbeat job.",
                    beat.age,
                )
            family = GaugeMetricFamily(
                "shegong_consumer_heartbeat_age_seconds",
                "Seconds since each Huey consumer process last reported itself alive.",
                labels=["consumer"],
            )
            for name, age in sorted(beat.consumers.items()):
                family.add_metric([name], age)
            yield family
        yield from _alarm_gauges()


def _gauge(name: str, documentation: str, value: float | bool) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def _alarm_gauges() -> Iterable[Metric]:
    from django.db.models import Count

    from shegong.devices.models import ALARM_ACTIVE, Alarm, Severity

    family = GaugeMetricFamily(
        "shegong_alarms_active",
        "Alarms not resolved yet, by severity and status (open = nobody acknowledged it).",
        labels=["severity", "status"],
    )
    try:
        rows = (
            Alarm.objects.filter(status__in=ALARM_ACTIVE)
            .values_list("severity", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts = {(severity, status): n for severity, status, n in rows}
    except Exception:  # the database is down: shegong_database_up says so
        return
    # Every combination, zeros included, so that alert rules see a series drop to 0.
    for severity in Severity.values:
        for status in ALARM_ACTIVE:
            family.add_metric([severity, str(status)], counts.get((severity, status), 0))
    yield family


def render() -> bytes:
    """The exposition text: this process's (or all workers') counters, then the live gauges."""
    live = CollectorRegistry(auto_describe=False)
    live.register(LiveCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        MultiProcessCollector(workers)
        return generate_latest(workers) + generate_latest(live)
    return generate_latest(REGISTRY) + generate_latest(live)


def client_address(request: HttpRequest) -> str:
    """The caller's address; behind the local nginx, the one nginx appended to X-Forwarded-For.

    Only a proxy on this host is believed: a client talking to gunicorn directly could write any
    X-Forwarded-For it likes, but gunicorn listens on 127.0.0.1 or a unix socket.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_local_proxy(remote):
        return forwarded.split(",")[-1].strip()
    return remote


def _is_local_proxy(remote: str) -> bool:
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return True  # a unix socket: only processes on this host can connect


def may_read(request: HttpRequest) -> bool:
    """From an allowed network (``SHEGONG_METRICS_ALLOW``) or with ``SHEGONG_METRICS_TOKEN``."""
    token = settings.SHEGONG_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and constant_time_compare(header[7:], token):
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in allowed_networks())


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in settings.SHEGONG_METRICS_ALLOW]
