"""Two institutions (one in the village director's village, one in the other township), each
with an operator and a custody account at a different bank with its officer, and a resident."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shegong.accounts.models import Role
from shegong.factories import PersonFactory
from shegong.institutions import services
from shegong.institutions.models import Bank, CustodyAccount, Institution, InstitutionType

CODES = ["52130111MJ0000010F", "52130111MJ0000020G", "52130111MJ0000030H"]


@pytest.fixture
def institution(regions) -> Institution:
    return Institution.objects.create(
        name="东庄村幸福院", credit_code=CODES[0], kind=InstitutionType.PRIVATE,
        region=regions.village, beds_total=60, beds_nursing=30, star_rating=2,
    )  # fmt: skip


@pytest.fixture
def other_institution(regions) -> Institution:
    return Institution.objects.create(
        name="冶河镇敬老院", credit_code=CODES[1], kind=InstitutionType.PUBLIC,
        region=regions.far_village, beds_total=40,
    )  # fmt: skip


@pytest.fixture
def bank() -> Bank:
    return Bank.objects.create(name="演示银行栾城支行")


@pytest.fixture
def other_bank() -> Bank:
    return Bank.objects.create(name="另一家银行")


@pytest.fixture
def account(institution, bank) -> CustodyAccount:
    return CustodyAccount.objects.create(
        institution=institution, bank=bank, number="6222000011112222",
        agreement_on=dt.date(2025, 1, 2), reserve_ratio=Decimal("0.5"),
    )  # fmt: skip


@pytest.fixture
def other_account(other_institution, other_bank) -> CustodyAccount:
    return CustodyAccount.objects.create(
        institution=other_institution, bank=other_bank, number="6222000099998888",
        agreement_on=dt.date(2025, 1, 2),
    )  # fmt: skip


@pytest.fixture
def operator(make_user, institution):
    user = make_user(Role.INSTITUTION_OPERATOR, username="operator")
    institution.operators.add(user)
    return user


@pytest.fixture
def other_operator(make_user, other_institution):
    user = make_user(Role.INSTITUTION_OPERATOR, username="other_operator")
    other_institution.operators.add(user)
    return user


@pytest.fixture
def officer(make_user, bank):
    user = make_user(Role.BANK_OFFICER, username="officer")
    bank.officers.add(user)
    return user


@pytest.fixture
def other_officer(make_user, other_bank):
    user = make_user(Role.BANK_OFFICER, username="other_officer")
    other_bank.officers.add(user)
    return user


@pytest.fixture
def elder(regions):
    return PersonFactory(
        region=regions.village, name="王秀兰", birth_date=dt.date(1940, 3, 8), sex="F",
        phone="13912345678",
    )  # fmt: skip


@pytest.fixture
def contract(account, institution, elder, district_admin):
    return services.contract_create(
        by=district_admin, institution=institution, person=elder,
        monthly_fee=Decimal(3000), monthly_bed_fee=Decimal(1000), deposit=Decimal(5000),
        prepaid_months=3, signed_on=dt.date(2026, 1, 5),
    )  # fmt: skip
