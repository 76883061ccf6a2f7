"""The checks behind ``/healthz`` and the ``shegong_*_up`` gauges.

Each check answers ``"ok"`` or ``"error: <exception class>"`` — never the exception's text, which
can carry a connection string with its password, and ``/healthz`` needs no login.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY

from shegong.ops import heartbeat


@dataclass
class Report:
    checks: dict[str, object] = field(default_factory=dict)
    heartbeat: heartbeat.Status | None = None

    @property
    def healthy(self) -> bool:
        return all(
            not (isinstance(value, str) and value.startswith("error"))
            for value in self.checks.values()
        )


def run_checks() -> Report:
    report = Report()
    report.checks["database"] = _check(_database)
    try:
        report.checks["queue_length"] = HUEY.storage.queue_size()
        report.checks["queue"] = "ok"
    except Exception as exc:
        report.checks["queue"] = _error(exc)
    if settings.REDIS_URL:
        report.checks["redis"] = _check(_redis_ping)
    try:
        report.heartbeat = heartbeat.status()
    except Exception as exc:  # the cache holding the heartbeats is unreachable
        report.checks["heartbeat"] = _error(exc)
    else:
        report.checks.update(report.heartbeat.as_checks())
    return report


def _check(probe) -> str:
    try:
        probe()
    except Exception as exc:
        return _error(exc)
    return "ok"


def _error(exc: BaseException) -> str:
    return f"error: {exc.__class__.__name__}"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


_redis_clients: dict[str, object] = {}


def _redis_ping() -> None:
    import redis

    url = settings.REDIS_URL
    client = _redis_clients.get(url)
    if client is None:
        # Short timeouts: a health check that hangs is worse than one that says "down".
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        _redis_clients[url] = client
    client.ping()
