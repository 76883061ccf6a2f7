"""Helpers shared by the test suite (fixtures live in shegong/conftest.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shegong.accounts import scope

CJK = re.compile(r"[\u4e00-\u9fff]")


def login(client: Client, user) -> Client:
    """Log ``user`` in; a user who needs TOTP is marked as having passed it."""
    client.force_login(user)
    if scope.requires_second_factor(user):
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def _has_zh_translation(msgid: str, plural: str | None, n: int) -> bool:
    with translation.override("zh-hans"):
        if plural is None:
            return translation.gettext(msgid) != msgid
        return translation.ngettext(msgid, plural, n) not in {msgid, plural}


def requires_zh_translation(msgid: str, plural: str | None = None, n: int = 1):
    """Mark a test that asserts Chinese wording which some catalogue must provide.

    While no zh_Hans catalogue (shegong's or Django's) translates ``msgid`` the test is an
    expected failure; as soon as one does, the test runs for real (and an unexpected pass
    fails the run).
    """
    return pytest.mark.xfail(
        condition=not _has_zh_translation(msgid, plural, n),
        reason=f"zh_Hans catalogue does not translate yet: {msgid[:60]!r}",
        strict=True,
    )
