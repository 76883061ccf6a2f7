"""Request ids, the access log and request metrics: the first middleware of every request.

The request id comes from nginx (``proxy_set_header X-Request-ID $request_id``, so nginx's own
access log and ours share it) or is made here, and goes back in the ``X-Request-ID`` response
header, so a user's error report or a vendor's failed call can be found in the logs.

One access-log line per request (logger ``shegong.access``): method, path without the query
string (search terms are names and ID numbers), view name, status, duration, user id — ids only.
Health and metrics probes log at DEBUG, so a scraper every 15 seconds does not fill the journal.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from shegong.ops import logs, metrics

access_log = logging.getLogger("shegong.access")

# What nginx's $request_id looks like (32 hex digits) and what other proxies send; anything
# else is replaced, so a client cannot write arbitrary text into the logs.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
QUIET_VIEWS = frozenset({"healthz", "metrics"})


class RequestContextMiddleware:
    # The lean handler's subclass logs only failures (see LeanRequestContextMiddleware).
    log_successes = True

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Bound until the response is closed (``request_finished``), not just until this returns:
        # Django logs "Not Found: …" for 4xx and 5xx answers after the last middleware is done.
        logs.request_id.set(request_id)
        logs.request_path.set(request.path)
        logs.user_id.set(None)
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response["X-Request-ID"] = request_id
        view = view_name(request)
        metrics.observe_request(
            view=view, method=request.method, status=response.status_code, seconds=seconds
        )
        self.log_access(request, response, view=view, seconds=seconds)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # By now the authentication middleware has run: lines the view logs carry the user id.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            logs.user_id.set(user.pk)

    def log_access(
        self, request: HttpRequest, response: HttpResponse, *, view: str, seconds: float
    ) -> None:
        status = response.status_code
        if status < 400 and not self.log_successes:
            return
        if status >= 500:
            level = logging.ERROR
        elif status >= 400:
            level = logging.WARNING
        elif view in QUIET_VIEWS:
            level = logging.DEBUG
        else:
            level = logging.INFO
        if not access_log.isEnabledFor(level):
            return
        duration_ms = round(seconds * 1000, 1)
        access_log.log(
            level,
            "%s %s %s %sms",
            request.method,
            request.path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "status": status,
                "view": view,
                "duration_ms": duration_ms,
                # The login view sets the user during the request; logs.user_id was bound before.
                "user_id": _user_id(request),
            },
        )


class LeanRequestContextMiddleware(RequestContextMiddleware):
    """For the lean device-event path (shegong/lean.py): ids and metrics, access log on failure.

    Vendors send thousands of events a minute; a line for each accepted one would bury every
    other line (nginx's access log has them, with the same request id).
    """

    log_successes = False


def unbind(**kwargs) -> None:
    """The response is closed: lines logged from now on belong to no request."""
    for var in (logs.request_id, logs.request_path, logs.user_id):
        var.set(None)


request_finished.connect(unbind, dispatch_uid="shegong.ops.middleware.unbind")


def view_name(request: HttpRequest) -> str:
    """The URL pattern's name — a bounded label, unlike the path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    # Never load the user just to log it: only a user the request already looked at.
    user = getattr(user, "_wrapped", user)
    if user is None or user is empty or not user.is_authenticated:
        return None
    return user.pk
