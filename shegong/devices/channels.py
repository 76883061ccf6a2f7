"""Notification channels for alarms: in the app, a WeCom group robot, and an SMS gateway.

A channel's ``send`` raises :class:`SendFailed` when the message did not get through; the caller
records the attempt and tries again later with back-off.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("shegong.alarms")

WECOM_TIMEOUT_SECONDS = 5


class SendFailed(Exception):
    pass


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSms:
    """The default SMS "gateway": writes the message to the log. A district plugs in its
    operator's gateway with ``SHEGONG_SMS_BACKEND=package.module.Class``."""

    def send(self, phone: str, text: str) -> None:
        if not phone:
            raise SendFailed("no phone number")
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
        logger.info("SMS to %s: %s", masked, text)


@lru_cache(maxsize=4)
def _sms_backend(path: str) -> SmsBackend:
    return import_string(path)()


def send_sms(phone: str, text: str) -> None:
    _sms_backend(settings.SHEGONG_SMS_BACKEND).send(phone, text)


def send_wecom(webhook: str, text: str) -> None:
    """Post a text message to a WeCom (企业微信) group robot. WeCom answers 200 with
    ``{"errcode": 0}`` on success and a non-zero errcode (e.g. 45009, rate limit) otherwise."""
    if not webhook.startswith(("https://", "http://")):
        raise SendFailed("WeCom: the webhook is not an http(s) address")
    body = json.dumps({"msgtype": "text", "text": {"content": text}}).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        webhook, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=WECOM_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer: Any = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
        raise SendFailed(f"WeCom: {exc}") from exc
    if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
        raise SendFailed(f"WeCom answered {answer!r}"[:500])
