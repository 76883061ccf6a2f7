"""Group commit for quiet device events (heartbeats): many requests, one INSERT and one commit.

Each web process has one writer thread. A request hands its event to the writer and waits; the
writer takes every event waiting at that moment (up to :data:`MAX_BATCH`), stores them in one
multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` with its own connection, commits, and
wakes the requests with their answers. The vendor still gets its answer only after the event is
committed; under load the database commits (and the statement overheads) are shared by a batch.
With little traffic a batch is one event, as before.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection

from .models import Device, DeviceEvent

logger = logging.getLogger("shegong.devices")

MAX_BATCH = 64
# How long a request waits for the writer before answering 503 (the vendor retries; the same
# event_id is then stored once).
WAIT_SECONDS = 10.0


class StoreUnavailable(Exception):
    """The event could not be stored now; the vendor should retry."""


@dataclass
class _Slot:
    key: tuple[int, str]
    row: tuple
    done: threading.Event = field(default_factory=threading.Event)
    status: int | None = None
    error: BaseException | None = None


@lru_cache(maxsize=2 * MAX_BATCH)
def _sql(backend: str, rows: int) -> str:
    qn = connection.ops.quote_name
    event, device = DeviceEvent._meta, Device._meta

    def col(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    if backend == "postgresql":
        # Server-side parameters arrive untyped: say what each VALUES column is.
        one = (
            "(CAST(%s AS bigint), CAST(%s AS varchar), CAST(%s AS varchar), CAST(%s AS varchar),"
            " CAST(%s AS timestamptz), CAST(%s AS timestamptz), CAST(%s AS jsonb))"
        )
    else:
        one = "(%s, %s, %s, %s, %s, %s, %s)"
    names = ["vendor", "event_id", "device", "serial", "type", "occurred_at", "received_at"]
    columns = ", ".join(col(event, name) for name in [*names, "data", "status_code"])
    device_id = f"d.{col(device, 'id')}"
    # VALUES columns are column1 … column7 in both PostgreSQL and SQLite. Only quoted names of
    # our own models go into the text; every value is a parameter.
    return (
        f"INSERT INTO {qn(event.db_table)} ({columns}) "  # noqa: S608
        f"SELECT v.column1, v.column2, {device_id}, v.column3, v.column4, v.column5, "
        f"v.column6, v.column7, CASE WHEN {device_id} IS NULL THEN 404 ELSE 202 END "
        f"FROM (VALUES {', '.join([one] * rows)}) AS v "
        f"LEFT JOIN {qn(device.db_table)} AS d ON d.{col(device, 'vendor')} = v.column1 "
        f"AND d.{col(device, 'serial')} = v.column3 AND d.{col(device, 'is_active')} "
        f"WHERE 1 = 1 "  # SQLite's parser needs it before ON CONFLICT after a join
        f"ON CONFLICT ({col(event, 'vendor')}, {col(event, 'event_id')}) DO NOTHING "
        f"RETURNING {col(event, 'vendor')}, {col(event, 'event_id')}, {col(event, 'status_code')}"
    )


def row_for(vendor_id: int, event: dict[str, Any], now) -> tuple:
    """The parameters of one event for :func:`_write`, adapted for this database."""
    ops = connection.ops
    return (
        vendor_id,
        event["event_id"],
        event["serial"],
        event["type"],
        ops.adapt_datetimefield_value(event["occurred_at"]),
        ops.adapt_datetimefield_value(now),
        json.dumps(event["data"], ensure_ascii=False),
    )


def _write(slots: list[_Slot]) -> dict[tuple[int, str], int]:
    """Store a batch in one statement and commit; (vendor id, event id) → status code of the
    rows inserted now (an event stored before is missing from the answer)."""
    sql = _sql(connection.vendor, len(slots))
    params = [value for slot in slots for value in slot.row]
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            rows = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return {(vendor_id, event_id): status for vendor_id, event_id, status in rows}


def write_one(vendor_id: int, event_id: str, row: tuple) -> int | None:
    """One event in the request's own connection (no writer thread): tests, SQLite."""
    return _write([_Slot((vendor_id, event_id), row)]).get((vendor_id, event_id))


class GroupWriter:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Slot | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def store(self, vendor_id: int, event_id: str, row: tuple) -> int | None:
        """202 or 404 for a new event, None for an event_id stored before."""
        self._ensure_thread()
        slot = _Slot((vendor_id, event_id), row)
        self._queue.put(slot)
        if not slot.done.wait(WAIT_SECONDS):
            raise StoreUnavailable("the event writer did not answer in time")
        if slot.error is not None:
            raise StoreUnavailable(str(slot.error)) from slot.error
        return slot.status

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="device-event-writer", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish what is queued, close the writer's connection and end its thread."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                connection.close()
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:  # stop after this batch
                    self._queue.put(None)
                    break
                batch.append(item)
            try:
                stored = _write(batch)
                for slot in batch:
                    slot.status = stored.get(slot.key)
            except Exception as exc:  # the requests answer 503; the vendor retries
                logger.exception("storing %d device events failed", len(batch))
                connection.close()
                for slot in batch:
                    slot.error = exc
            finally:
                for slot in batch:
                    slot.done.set()


WRITER = GroupWriter()
