"""Heartbeats of the Huey consumers, kept in the shared cache (Redis in production).

Two kinds, because "a consumer process is running" and "jobs get scheduled and run" fail apart:

* the **periodic heartbeat**: a job the scheduler enqueues every minute (``shegong/ops/tasks.py``)
  and whichever consumer takes it records; its age is what ``/healthz`` judges. It goes stale
  when no consumer schedules periodic jobs, none takes jobs off the queue, or the queue is so far
  behind that the job expires (2 minutes) before it runs.
* a **consumer heartbeat** per consumer process, written every 30 seconds by a thread the
  consumer starts: ``/healthz`` counts the live ones and ``/metrics`` gives each one's age, so an
  alert can name the second consumer that died while the first one keeps the periodic heartbeat
  fresh. Consumers are named by ``SHEGONG_CONSUMER_NAME`` (the systemd units set ``worker-1``,
  ``worker-2``), else host and process id; a consumer silent for an hour is forgotten.

A fresh install has no heartbeat yet: for the first ``SHEGONG_HEARTBEAT_MAX_AGE`` seconds after
the web process started, "no heartbeat" is ``pending`` and healthy; after that it is an error,
exactly as a stale one is. A consumer started with the web gets its first periodic heartbeat in
within seconds (Huey checks periodic jobs as it starts, then every minute).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

PERIODIC_KEY = "ops:heartbeat:periodic"
CONSUMERS_KEY = "ops:heartbeat:consumers"
CONSUMER_BEAT_SECONDS = 30
FORGET_SECONDS = 60 * 60
# When this process started: the grace period of a fresh install is measured from here.
STARTED_AT = time.time()


@dataclass
class Status:
    state: str  # ok · pending (none yet, within the grace period) · stale · missing · off
    age: float | None  # seconds since the last periodic heartbeat
    consumers: dict[str, float] = field(default_factory=dict)  # name → seconds since its beat
    max_age: int = 0

    def as_checks(self) -> dict[str, object]:
        if self.state == "stale":
            verdict = "error: stale"
        elif self.state == "missing":
            verdict = "error: missing"
        else:
            verdict = self.state
        alive = sum(1 for age in self.consumers.values() if not self.max_age or age <= self.max_age)
        return {
            "heartbeat": verdict,
            "heartbeat_age": None if self.age is None else round(self.age, 1),
            "consumers": alive,
        }


def consumer_name() -> str:
    return os.environ.get("SHEGONG_CONSUMER_NAME") or f"{socket.gethostname()}-{os.getpid()}"


def record_periodic(*, consumer: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    cache.set(PERIODIC_KEY, {"at": now, "consumer": consumer}, timeout=None)
    record_consumer(consumer=consumer, now=now)


def record_consumer(*, consumer: str, now: float | None = None) -> None:
    # Read, update, write: two consumers beating in the same millisecond may lose one entry,
    # which its next beat 30 seconds later puts back — well within any threshold.
    now = time.time() if now is None else now
    beats = cache.get(CONSUMERS_KEY) or {}
    beats = {name: at for name, at in beats.items() if now - at < FORGET_SECONDS}
    beats[consumer] = now
    cache.set(CONSUMERS_KEY, beats, timeout=FORGET_SECONDS)


def status(*, now: float | None = None) -> Status:
    now = time.time() if now is None else now
    max_age = settings.SHEGONG_HEARTBEAT_MAX_AGE
    periodic = cache.get(PERIODIC_KEY)
    consumers = {name: max(now - at, 0.0) for name, at in (cache.get(CONSUMERS_KEY) or {}).items()}
    age = None if periodic is None else max(now - periodic["at"], 0.0)
    if not max_age:
        state = "off"
    elif age is not None:
        state = "ok" if age <= max_age else "stale"
    else:
        state = "pending" if now - STARTED_AT <= max_age else "missing"
    return Status(state=state, age=age, consumers=consumers, max_age=max_age)


_beating = threading.Lock()
_beat_thread: threading.Thread | None = None
_stop = threading.Event()


def start_consumer_beat(*, every: float = CONSUMER_BEAT_SECONDS) -> None:
    """Start this process's heartbeat thread once (Huey calls startup hooks in every worker)."""
    global _beat_thread
    with _beating:
        if _beat_thread is not None and _beat_thread.is_alive():
            return
        _stop.clear()
        _beat_thread = threading.Thread(
            target=_beat_until_stopped,
            args=(consumer_name(), every),
            name="shegong-heartbeat",
            daemon=True,
        )
        _beat_thread.start()


def stop_consumer_beat() -> None:
    """Stop the heartbeat thread (the consumer shuts down; tests)."""
    global _beat_thread
    with _beating:
        _stop.set()
        if _beat_thread is not None:
            _beat_thread.join(timeout=5)
        _beat_thread = None


def _beat_until_stopped(name: str, every: float) -> None:
    while not _stop.is_set():
        try:
            record_consumer(consumer=name)
        except Exception:
            logger.exception("consumer heartbeat not recorded")
        _stop.wait(every)
