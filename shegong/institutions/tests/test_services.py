import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from shegong.elderly.models import ElderlyProfile, Level
from shegong.institutions import selectors, services
from shegong.institutions.models import (
    EntryKind,
    FeeType,
    Institution,
    InstitutionStatus,
    InstitutionType,
    LedgerEntry,
)

pytestmark = pytest.mark.django_db

D = Decimal


def sign(by, institution, person, **terms):
    values = {"monthly_fee": D(3000), "monthly_bed_fee": D(1000), "deposit": D(0)}
    values.update(terms)
    return services.contract_create(by=by, institution=institution, person=person, **values)


def refusal(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc.value.message_dict


@pytest.fixture
def evidence(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf")


# Caps


def test_a_contract_within_the_national_caps_is_signed_with_a_generated_number(
    account, institution, elder, district_admin
):
    contract = sign(
        district_admin, institution, elder, deposit=D(12000), prepaid_months=12,
        signed_on=dt.date(2026, 1, 5),
    )  # fmt: skip

    assert contract.number == f"{institution.pk}-2026-0001"
    assert contract.resident.bed_fee == D(1000)
    assert contract.resident.monthly_fee == D(3000)
    second = sign(district_admin, institution, elder, signed_on=dt.date(2026, 2, 1))
    assert second.number == f"{institution.pk}-2026-0002"


def test_it_refuses_more_than_12_prepaid_months_naming_the_rule_and_figure(
    institution, elder, district_admin
):
    with pytest.raises(ValidationError) as exc:
        sign(district_admin, institution, elder, prepaid_months=13)

    (message,) = refusal(exc)["prepaid_months"]
    assert "12" in message and "13" in message


def test_it_refuses_a_deposit_over_12_times_the_bed_fee(institution, elder, district_admin):
    with pytest.raises(ValidationError) as exc:
        sign(district_admin, institution, elder, deposit=D("12000.01"))

    (message,) = refusal(exc)["deposit"]
    assert "12000.01" in message and "12000" in message


def test_it_refuses_membership_fees_unless_the_district_allows_them(
    settings, institution, elder, district_admin
):
    with pytest.raises(ValidationError) as exc:
        sign(district_admin, institution, elder, membership_fee=D(100))
    assert "membership_fee" in refusal(exc)

    settings.SHEGONG_MEMBERSHIP_FEES_ALLOWED = True
    settings.SHEGONG_CAP_MEMBERSHIP_FEE = 500
    assert sign(district_admin, institution, elder, membership_fee=D(500)).membership_fee == 500
    with pytest.raises(ValidationError) as exc:
        sign(district_admin, institution, elder, membership_fee=D(501))
    assert "500" in refusal(exc)["membership_fee"][0]


def test_a_stricter_province_configuration_refuses_what_the_national_caps_allow(
    settings, institution, elder, district_admin
):
    settings.SHEGONG_CAP_PREPAID_MONTHS = 3
    settings.SHEGONG_CAP_DEPOSIT_MONTHS_OF_BED_FEE = 4

    with pytest.raises(ValidationError) as exc:
        sign(district_admin, institution, elder, prepaid_months=4, deposit=D(4001))

    errors = refusal(exc)
    assert set(errors) == {"prepaid_months", "deposit"}
    assert "3" in errors["prepaid_months"][0] and "4" in errors["prepaid_months"][0]
    assert "4001" in errors["deposit"][0] and "4000" in errors["deposit"][0]
    assert sign(district_admin, institution, elder, prepaid_months=3, deposit=D(4000))


def test_an_institution_that_announced_closure_takes_no_new_deposit(
    institution, elder, district_admin
):
    institution.status = InstitutionStatus.CLOSING
    institution.closing_announced_on = dt.date(2026, 1, 1)
    institution.save()

    with pytest.raises(ValidationError) as exc:
        sign(district_admin, institution, elder, deposit=D(1000))

    assert "2026-01-01" in refusal(exc)["deposit"][0]
    assert sign(district_admin, institution, elder, prepaid_months=1)


def test_the_care_level_is_copied_from_the_latest_assessment(institution, elder, district_admin):
    ElderlyProfile.objects.create(person=elder, level=Level.MODERATE)

    assert sign(district_admin, institution, elder).resident.care_level == Level.MODERATE


# The unified social credit code


def test_it_accepts_a_valid_credit_code_and_stores_it_compact(regions):
    institution = Institution(
        name="测试院", credit_code="52130111mj0000030h ", kind=InstitutionType.PUBLIC,
        region=regions.village,
    )  # fmt: skip
    institution.full_clean()

    assert institution.credit_code == "52130111MJ0000030H"


def test_it_rejects_a_credit_code_with_a_wrong_check_digit(regions):
    institution = Institution(
        name="测试院", credit_code="52130111MJ0000030A", kind=InstitutionType.PUBLIC,
        region=regions.village,
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        institution.full_clean()

    assert "credit_code" in exc.value.message_dict


# The ledger


def test_balances_are_derived_per_fee_type_from_the_ledger(contract, district_admin, evidence):
    services.payment_in(by=district_admin, contract=contract, fee_type="deposit", amount=D(5000))
    services.payment_in(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(9000)
    )
    services.withdrawal(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(3000),
        purpose="一月服务费", evidence=evidence,
    )  # fmt: skip
    services.refund(by=district_admin, contract=contract, fee_type="deposit", amount=D(500))

    assert selectors.contract_balances(contract) == {
        "deposit": D(4500), "service_prepaid": D(6000), "membership": D(0),
    }  # fmt: skip


def test_a_balance_never_goes_negative(contract, district_admin):
    services.payment_in(by=district_admin, contract=contract, fee_type="deposit", amount=D(5000))

    with pytest.raises(ValidationError) as exc:
        services.refund(
            by=district_admin, contract=contract, fee_type="deposit", amount=D("5000.01")
        )

    message = refusal(exc)["amount"][0]
    assert "5000.00" in message and "5000.01" in message
    with pytest.raises(ValidationError):
        services.emergency_advance(
            by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(1),
            purpose="急诊",
        )  # fmt: skip
    assert LedgerEntry.objects.count() == 1


def test_a_withdrawal_needs_a_purpose_and_evidence(contract, district_admin):
    services.payment_in(by=district_admin, contract=contract, fee_type="deposit", amount=D(5000))

    with pytest.raises(ValidationError) as exc:
        services.withdrawal(
            by=district_admin, contract=contract, fee_type="deposit", amount=D(10),
            purpose=" ", evidence=None,
        )  # fmt: skip

    assert set(refusal(exc)) == {"purpose", "evidence"}


def test_an_emergency_advance_is_due_evidence_in_7_working_days(contract, district_admin):
    services.payment_in(by=district_admin, contract=contract, fee_type="deposit", amount=D(5000))

    entry = services.emergency_advance(
        by=district_admin, contract=contract, fee_type="deposit", amount=D(800),
        purpose="住院押金垫付", occurred_on=dt.date(2026, 1, 9),  # a Friday
    )  # fmt: skip

    assert entry.evidence_due_on == dt.date(2026, 1, 20)


def test_it_refuses_a_deposit_payment_once_closure_is_announced(contract, district_admin):
    Institution.objects.filter(pk=contract.resident.institution_id).update(status="closing")
    contract.refresh_from_db()

    with pytest.raises(ValidationError):
        services.payment_in(by=district_admin, contract=contract, fee_type="deposit", amount=D(1))
    services.payment_in(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(1)
    )


# Warnings


def test_the_custody_summary_warns_of_a_balance_below_the_reserve(
    account, contract, district_admin, evidence
):
    services.payment_in(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(9000)
    )
    assert selectors.custody_summary(account)["warnings"] == []
    for month in (10, 11):  # one month's fee a month, with the invoice: accounted for
        services.withdrawal(
            by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(3000),
            purpose="服务费", evidence=evidence, occurred_on=dt.date(2026, month, 10),
        )  # fmt: skip
    accounted = selectors.custody_summary(account, today=dt.date(2026, 11, 20))
    assert accounted["reserve_required"] == D(1500)  # 0.5 × (9000 − 6000 used with evidence)
    assert accounted["warnings"] == []

    services.emergency_advance(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(2000),
        purpose="急诊垫付", occurred_on=dt.date(2026, 11, 18),
    )  # fmt: skip
    summary = selectors.custody_summary(account, today=dt.date(2026, 11, 20))

    assert summary["total"] == D(1000)
    assert summary["reserve_required"] == D(1500)  # the advance is still owed until accounted
    assert [w["code"] for w in summary["warnings"]] == ["below_reserve"]


def test_it_warns_of_a_withdrawal_without_evidence_and_an_overdue_advance(
    account, contract, district_admin
):
    services.payment_in(by=district_admin, contract=contract, fee_type="deposit", amount=D(5000))
    LedgerEntry.objects.create(
        account=account, contract=contract, fee_type=FeeType.DEPOSIT,
        kind=EntryKind.WITHDRAWAL, amount=D(100), occurred_on=dt.date(2026, 1, 6),
        recorded_by=district_admin,
    )  # fmt: skip
    services.emergency_advance(
        by=district_admin, contract=contract, fee_type="deposit", amount=D(200),
        purpose="急诊", occurred_on=dt.date(2026, 1, 9),
    )  # fmt: skip

    on_time = selectors.custody_summary(account, today=dt.date(2026, 1, 20))
    late = selectors.custody_summary(account, today=dt.date(2026, 1, 21))

    assert [w["code"] for w in on_time["warnings"]] == ["withdrawal_without_evidence"]
    assert [w["code"] for w in late["warnings"]] == [
        "withdrawal_without_evidence",
        "advance_evidence_overdue",
    ]
    assert late["warnings"][1]["contract_number"] == contract.number
