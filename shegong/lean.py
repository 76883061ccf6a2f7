"""A lean request handler for machine clients that sign their requests (vendor platforms).

The browser middleware — sessions, CSRF, language, messages, second factor, htmx, the audit
actor, the login lock-out — does nothing for a device event but costs time on every one of
them, and device events are the busiest traffic the system has. Requests to the paths in
``settings.SHEGONG_LEAN_PATHS`` go through Django with only the request-id, security and common
middleware; everything else takes the full stack. The view behind a lean path must authenticate
by itself (the device-event endpoint checks the vendor's HMAC signature).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware

from shegong.ops.middleware import LeanRequestContextMiddleware


class LeanHandler(WSGIHandler):
    # The request id, metrics and the access log of failures come first, as in the full stack
    # (shegong/ops/middleware.py); the id costs a few microseconds, a success line would cost
    # more than the event.
    MIDDLEWARE = (LeanRequestContextMiddleware, SecurityMiddleware, CommonMiddleware)

    def load_middleware(self, is_async: bool = False) -> None:
        # None of them has view, template-response or exception hooks that the lean path needs
        # (the request-context middleware's process_view only names the logged-in user).
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for middleware in reversed(self.MIDDLEWARE):
            handler = convert_exception_to_response(middleware(handler))
        self._middleware_chain = handler


def dispatching(full: Callable, lean: Callable | None = None) -> Callable:
    """A WSGI application sending lean paths to :class:`LeanHandler`, the rest to ``full``."""
    lean = lean or LeanHandler()
    paths = frozenset(settings.SHEGONG_LEAN_PATHS)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in paths:
            return lean(environ, start_response)
        return full(environ, start_response)

    return application
