"""Rate limits on the pages worth hammering: the login form, the family balance page (no account,
a guessing target) and the vendors' device events (the busiest endpoint).

Counting per address is django-ratelimit's (fixed windows in the ``ratelimit`` cache, see
settings); device events are counted in memory (:class:`WindowCounter`, for speed). This module
decides whose requests are counted together — a client address, or a vendor — and what the
client gets beyond the limit: 429 with ``Retry-After``, a page for a browser, JSON for a
machine. The rates are settings (``SHEGONG_RATE_*``, "count/period" with period s, m, h or d).

A township office shares one NAT address, so the per-address limits are generous: they stop
scripts, not colleagues. When the counting cache is unreachable the request is let through: an
outage of Redis must not lock everyone out (django-axes still locks accounts after failures).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import _split_rate, get_usage

logger = logging.getLogger(__name__)

# An IPv6 client can change addresses within its /64 at will: count the whole network.
IPV6_PREFIX = 64


def client_ip(request: Any) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind nginx (``SHEGONG_BEHIND_PROXY``) the
    last ``X-Forwarded-For`` entry — the one nginx added; earlier ones the client can forge."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or None
    if settings.SHEGONG_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            address = forwarded
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return request.META.get("REMOTE_ADDR") or None


def _address_key(group: str, request: HttpRequest) -> str:
    address = client_ip(request)
    if address is None:
        return "unknown"
    if ":" in address:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False).network_address)
    return address


def wait_seconds(
    request: HttpRequest, *, group: str, rate: str, key: Callable[[str, HttpRequest], str]
) -> int | None:
    """Count this request; None if it is within ``rate``, else the seconds until the window
    ends (at least 1)."""
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    except Exception:  # the counting cache is down: let the request through, say so in the log
        logger.warning("rate limit %s not counted: cache unavailable", group, exc_info=True)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(int(usage["time_left"]), 1)


def too_many_page(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    response = render(
        request,
        "429.html",
        {
            "message": _(
                "Too many requests came from your network in a short time. Please wait "
                "%(seconds)s seconds and try again."
            )
            % {"seconds": retry_after}
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def too_many_json(*, retry_after: int, message: str) -> JsonResponse:
    response = JsonResponse({"detail": message, "retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def limit_posts_per_address(*, group: str, rate_setting: str) -> Callable:
    """A view decorator: POSTs from one client address beyond the rate in the setting named
    ``rate_setting`` get the 429 page; the view never runs for them (so a refused login
    attempt reaches neither the password check nor the lock-out counter)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                wait = wait_seconds(
                    request, group=group, rate=getattr(settings, rate_setting), key=_address_key
                )
                if wait is not None:
                    return too_many_page(request, retry_after=wait)
            return view(request, *args, **kwargs)

        return limited

    return decorate


class WindowCounter:
    """Counts per key in fixed windows, in this process's memory.

    For the device events only: django-ratelimit's cache costs three Redis round trips per
    request (measured 1–2.5 ms a heartbeat on the CI machine, against 50–130 µs in memory),
    which the busiest endpoint cannot pay. The limit there guards against a runaway vendor,
    so a count per web process is enough (N workers let through up to N times the rate).
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, key: str, *, rate: str, now: float | None = None) -> int | None:
        limit, period = _split_rate(rate)  # django-ratelimit's syntax, as for the others
        now = time.time() if now is None else now
        window = int(now // period)
        with self._lock:
            count = self._counts.get((key, window), 0) + 1
            if count == 1:
                # A new window: forget the finished ones (a handful of vendors, so few keys).
                self._counts = {k: v for k, v in self._counts.items() if k[1] == window}
            self._counts[(key, window)] = count
        if count <= limit:
            return None
        return max(int((window + 1) * period - now), 1)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


VENDOR_EVENTS = WindowCounter()


def vendor_throttle() -> Callable[[str], int | None]:
    """For :func:`shegong.devices.services.ingest`: counts a verified vendor's event; None
    within ``SHEGONG_RATE_DEVICE_EVENTS`` (per web process), else the seconds to wait."""
    rate = settings.SHEGONG_RATE_DEVICE_EVENTS

    def throttle(vendor_key: str) -> int | None:
        return VENDOR_EVENTS.wait_seconds(vendor_key, rate=rate)

    return throttle
