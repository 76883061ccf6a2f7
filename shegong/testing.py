"""Helpers shared by the test suite (fixtures live in shegong/conftest.py)."""

from __future__ import annotations

import io
import re

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

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


XLSX_HEADER_ROW = 4  # title, filters, who exported: the header row below them (shegong.exports)


def xlsx_rows(response) -> list[tuple]:
    """The data rows of an exported list (``?export=xlsx``), below its title block and header."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(min_row=XLSX_HEADER_ROW + 1, values_only=True))
