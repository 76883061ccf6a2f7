"""Bank statements and ledger evidence go through the shared upload checks (shegong/uploads.py):
a disguised or oversized file is refused on its field and nothing is stored."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from shegong import uploads
from shegong.institutions import services
from shegong.institutions.models import BankStatement, LedgerEntry
from shegong.testing import login

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00" + bytes(300)
PROGRAM = "This file is a program or script, not a document: it cannot be uploaded."
BOMB = "The file unpacks to far more data than a real document holds, so it was not opened."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def small_bomb() -> bytes:
    """Zeros packed a thousand to one, just past the (lowered) unpacked budget."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(8 * 1024 * 1024))
    return out.getvalue()


def upload_statement(client, institution, name: str, content: bytes):
    return client.post(
        reverse("institutions:statement_upload", args=[institution.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [("流水.xlsx", EXE, PROGRAM), ("流水.csv", EXE, PROGRAM), ("流水.xlsx", small_bomb(), BOMB)],
)
def test_a_disguised_statement_is_refused_on_its_field(
    client, officer, institution, account, name, content, says
):
    login(client, officer)

    response = upload_statement(client, institution, name, content)

    assert response.status_code == 200
    assert escape(gettext(says)) in response.content.decode()
    assert not BankStatement.objects.exists()


def test_a_statement_over_the_limit_is_refused_cleanly(
    client, officer, institution, account, settings
):
    settings.SHEGONG_UPLOAD_MAX_BYTES = 2048
    login(client, officer)

    response = upload_statement(client, institution, "流水.csv", b"a,b\n" * 2000)

    assert response.status_code == 200
    [message] = uploads.too_large(2048).messages
    assert escape(message) in response.content.decode()
    assert not BankStatement.objects.exists()


@pytest.fixture
def paid(contract, district_admin):
    services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=Decimal(5000)
    )
    return contract


def test_evidence_that_is_a_program_is_refused_and_nothing_is_recorded(
    client, operator, institution, paid
):
    login(client, operator)
    before = LedgerEntry.objects.count()

    response = client.post(
        reverse("institutions:entry_new", args=[institution.pk]),
        {"contract": paid.pk, "kind": "withdrawal", "fee_type": "deposit", "amount": "100",
         "occurred_on": "2026-01-06", "purpose": "医疗费",
         "evidence": SimpleUploadedFile("发票.pdf", EXE)},
    )  # fmt: skip

    assert response.status_code == 200
    assert escape(gettext(PROGRAM)) in response.content.decode()
    assert LedgerEntry.objects.count() == before
