"""The family page: no account, contract number + the last six ID characters; what was paid
in, used and refunded, and the balance; every look-up logged and rate-limited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shegong.institutions import family, services
from shegong.institutions.models import FamilyLookup, FeeType

pytestmark = pytest.mark.django_db

URL = "/institutions/family/"


@pytest.fixture
def paid_contract(contract, district_admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the withdrawal's evidence file
    services.payment_in(
        by=district_admin, contract=contract, fee_type=FeeType.DEPOSIT, amount=Decimal(5000)
    )
    services.payment_in(
        by=district_admin,
        contract=contract,
        fee_type=FeeType.SERVICE_PREPAID,
        amount=Decimal(9000),
    )
    services.withdrawal(
        by=district_admin,
        contract=contract,
        fee_type=FeeType.SERVICE_PREPAID,
        amount=Decimal(3000),
        purpose="一月服务费结算",
        evidence=SimpleUploadedFile("bill.pdf", b"%PDF-1.4 demo"),
    )
    services.refund(
        by=district_admin, contract=contract, fee_type=FeeType.DEPOSIT, amount=Decimal(1000)
    )
    return contract


def tail(contract) -> str:
    return contract.resident.person.id_number[-6:]


def test_the_family_sees_paid_used_refunded_and_balance_without_an_account(client, paid_contract):
    response = client.post(URL, {"number": paid_contract.number, "id_tail": tail(paid_contract)})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="family-result"' in page
    assert "王**" in page and "王秀兰" not in page  # the name is masked
    assert "9000.00" in page and "3000.00" in page and "1000.00" in page
    # 5000 − 1000 deposit + 9000 − 3000 service fees
    assert '<strong id="family-balance">10000.00</strong>' in page
    assert FamilyLookup.objects.get().matched is True


def test_a_wrong_number_and_wrong_digits_get_the_same_answer_and_are_logged(client, contract):
    wrong_digits = client.post(URL, {"number": contract.number, "id_tail": "000000"})
    wrong_number = client.post(URL, {"number": "NO-SUCH-1", "id_tail": tail(contract)})
    assert wrong_digits.status_code == wrong_number.status_code == 404
    assert 'id="family-result"' not in wrong_digits.content.decode()
    assert [row.matched for row in FamilyLookup.objects.all()] == [False, False]


def test_guessing_digits_for_one_contract_is_stopped(client, contract):
    for _ in range(family.FAILURES_PER_CONTRACT_PER_HOUR):
        assert client.post(URL, {"number": contract.number, "id_tail": "111111"}).status_code == 404
    # Even the right digits are refused now: the limit holds for the hour.
    blocked = client.post(URL, {"number": contract.number, "id_tail": tail(contract)})
    assert blocked.status_code == 429
    assert FamilyLookup.objects.count() == family.FAILURES_PER_CONTRACT_PER_HOUR


def test_one_address_is_limited_across_contracts(client, contract, monkeypatch):
    monkeypatch.setattr(family, "PER_ADDRESS_PER_HOUR", 3)
    for n in range(3):
        client.post(URL, {"number": f"X-{n}", "id_tail": "123456"})
    assert client.post(URL, {"number": "X-9", "id_tail": "123456"}).status_code == 429


def test_the_page_opens_without_logging_in(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'id="family-form"' in response.content.decode()
