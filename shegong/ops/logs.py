"""Log records that say which request or job they belong to.

``RequestContextMiddleware`` (shegong/ops/middleware.py) and the Huey hooks in
``shegong/ops/tasks.py`` bind a request id, the user id, the path and the task id to context
variables; :class:`ContextFilter`, set on the console handler, copies them onto every record, so
a line logged deep inside a service still names its request. ``SHEGONG_LOG_FORMAT`` picks the
formatter: ``json`` (one JSON object a line, for journald and log shippers; the production
default) or ``text`` (development and tests).

Nothing personal goes into these fields: ids, never names; the path without its query string
(search terms are names and ID numbers). Django attaches the whole request object to the records
of ``django.request``; its text repr carries the query string, so the JSON formatter leaves it out.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)
request_path: ContextVar[str | None] = ContextVar("request_path", default=None)
task_id: ContextVar[str | None] = ContextVar("task_id", default=None)

CONTEXT_FIELDS = {
    "request_id": request_id,
    "user_id": user_id,
    "path": request_path,
    "task_id": task_id,
}


class ContextFilter(logging.Filter):
    """Adds request_id, user_id, path and task_id (those that are bound) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for field, var in CONTEXT_FIELDS.items():
            value = var.get()
            # A field given explicitly with ``extra=`` wins over the bound one.
            if value is not None and not hasattr(record, field):
                setattr(record, field, value)
        return True


class JsonFormatter(BaseJsonFormatter):
    """``{"timestamp", "level", "logger", "message", <context>, <extra>}`` on one line."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault(
            "reserved_attrs", [*RESERVED_ATTRS, "request", "server_time", "color_message"]
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [request id|task id] message`` for people reading a terminal."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        ids = [getattr(record, name, None) for name in ("request_id", "task_id")]
        record.context = "".join(f" [{value}]" for value in ids if value)
        return super().format(record)
