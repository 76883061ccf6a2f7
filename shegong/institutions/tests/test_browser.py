"""An institution's operator signs a contract within the caps, records the payment into custody,
later discharges the resident with the refund; the family sees the balance each time on a phone."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from shegong.accounts.models import Role
from shegong.browser_fixtures import log_in, look
from shegong.institutions.models import Bank, Contract, CustodyAccount, Institution

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def home(world):
    institution = Institution.objects.create(
        name="东王庄幸福院", credit_code="52130111MJ0000010F", kind="private",
        region=world.village_a, beds_total=40, beds_nursing=10,
    )  # fmt: skip
    bank = Bank.objects.create(name="演示银行栾城支行")
    CustodyAccount.objects.create(
        institution=institution, bank=bank, number="6222000011112222",
        agreement_on=dt.date(2025, 1, 2),
    )  # fmt: skip
    world.operator = world.user(
        "zhao.operator", Role.INSTITUTION_OPERATOR, world.village_a.parent.parent
    )
    institution.operators.add(world.operator)
    world.institution = institution
    world.elder = world.person("孙桂芝", world.village_a, born=dt.date(1941, 5, 6), sex="F")
    return world


def family_looks_up(browsing, contract: Contract, id_number: str) -> str:
    family = browsing.new_page()
    family.goto("/institutions/family/")
    family.fill("#number", contract.number)
    family.fill("#id_tail", id_number[-6:])
    family.locator("#family-form [type=submit]").click()
    expect(family.locator("#family-result")).to_be_visible()
    look(family, "institution-family")
    balance = family.locator("#family-balance").inner_text()
    family.close()
    return balance


def test_contract_payment_discharge_refund_and_the_family_sees_the_balance(page, browsing, home):
    institution, elder = home.institution, home.elder
    log_in(page, "zhao.operator")
    page.goto(f"/institutions/{institution.pk}/")
    look(page, "institution-detail")
    page.locator("#residents a[href$='/contracts/new/']").click()

    # Over the cap first: 13 months prepaid is refused with the rule, and nothing is signed.
    page.fill("#id_id_number", elder.id_number)
    page.fill("#id_name", "孙桂芝")
    page.fill("#id_monthly_fee", "3000")
    page.fill("#id_monthly_bed_fee", "1000")
    page.fill("#id_deposit", "3000")
    page.fill("#id_prepaid_months", "13")
    page.locator("#contract-form [type=submit]").click()
    expect(page.locator("#contract-form")).to_contain_text("12")
    look(page, "institution-contract-refused")
    assert not Contract.objects.exists()

    page.fill("#id_prepaid_months", "3")
    page.locator("#contract-form [type=submit]").click()
    contract = Contract.objects.get()
    expect(page.locator(f"[data-contract='{contract.number}']")).to_be_visible()

    # Payment in: the deposit and three months of service fees.
    for fee_type, amount in (("deposit", "3000"), ("service_prepaid", "9000")):
        page.goto(f"/institutions/{institution.pk}/ledger/new/")
        page.select_option("#id_contract", str(contract.pk))
        page.select_option("#id_kind", "payment_in")
        page.select_option("#id_fee_type", fee_type)
        page.fill("#id_amount", amount)
        look(page, "institution-entry")
        page.locator("#entry-form [type=submit]").click()
        expect(page.locator("#ledger")).to_be_visible()
    expect(page.locator(f"[data-contract='{contract.number}']")).to_contain_text("12000.00")
    assert family_looks_up(browsing, contract, elder.id_number) == "12000.00"

    # Discharge with the refund in one step.
    page.locator(f"[data-contract='{contract.number}'] a").click()
    expect(page.locator("#discharge")).to_be_visible()
    page.fill("#id_reason", "回家居住")
    look(page, "institution-contract")
    page.locator("#discharge [type=submit]").click()
    expect(page.locator("[data-total]")).to_have_text("0.00")
    expect(page.locator("#ledger tbody tr")).to_have_count(4)
    look(page, "institution-contract-ended")

    assert family_looks_up(browsing, contract, elder.id_number) == "0.00"
    contract.refresh_from_db()
    assert contract.status == "ended"
    assert sum(e.amount for e in contract.entries.filter(kind="refund")) == Decimal(12000)
