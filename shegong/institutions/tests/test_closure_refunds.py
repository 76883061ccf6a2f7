"""Discharge and refund, closure with notice, and the warnings they raise for the bureau."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from shegong.institutions import selectors, services
from shegong.institutions.models import ContractStatus, InstitutionStatus

pytestmark = pytest.mark.django_db

D = Decimal


def codes(account, today):
    return [w["code"] for w in selectors.custody_summary(account, today=today)["warnings"]]


@pytest.fixture
def evidence(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf")


@pytest.fixture
def paid(contract, district_admin):
    services.payment_in(
        by=district_admin, contract=contract, fee_type="deposit", amount=D(5000),
        occurred_on=dt.date(2026, 11, 2),
    )  # fmt: skip
    services.payment_in(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(9000),
        occurred_on=dt.date(2026, 11, 2),
    )  # fmt: skip
    return contract


# Discharge and refund


def test_discharge_ends_the_contract_and_refund_all_returns_every_fee_type(paid, district_admin):
    services.discharge(
        by=district_admin, contract=paid, discharged_on=dt.date(2026, 11, 20), reason="回家"
    )
    paid.refresh_from_db()
    assert paid.status == ContractStatus.ENDED
    assert paid.resident.discharged_on == dt.date(2026, 11, 20)

    entries = services.refund_all(
        by=district_admin, contract=paid, occurred_on=dt.date(2026, 11, 20)
    )

    assert sorted((e.fee_type, e.amount) for e in entries) == [
        ("deposit", D(5000)),
        ("service_prepaid", D(9000)),
    ]
    assert selectors.contract_balances(paid) == {
        "deposit": D(0), "service_prepaid": D(0), "membership": D(0)
    }  # fmt: skip


def test_nothing_can_be_paid_into_an_ended_contract(paid, district_admin):
    services.discharge(by=district_admin, contract=paid, discharged_on=dt.date(2026, 11, 20))
    paid.refresh_from_db()

    with pytest.raises(ValidationError, match=paid.number):
        services.payment_in(by=district_admin, contract=paid, fee_type="deposit", amount=D(10))


def test_a_resident_cannot_leave_twice_or_before_admission(paid, district_admin):
    with pytest.raises(ValidationError) as exc:
        services.discharge(by=district_admin, contract=paid, discharged_on=dt.date(2025, 12, 1))
    assert "discharged_on" in exc.value.message_dict
    services.discharge(by=district_admin, contract=paid, discharged_on=dt.date(2026, 11, 20))
    with pytest.raises(ValidationError, match="2026-11-20"):
        services.discharge(by=district_admin, contract=paid)


def test_a_balance_still_held_after_the_next_working_day_is_a_refund_overdue_warning(
    paid, account, district_admin
):
    # Friday 2026-11-20: the refund is due on Monday 2026-11-23.
    services.discharge(by=district_admin, contract=paid, discharged_on=dt.date(2026, 11, 20))

    assert "refund_overdue" not in codes(account, dt.date(2026, 11, 23))
    assert "refund_overdue" in codes(account, dt.date(2026, 11, 24))


def test_a_refund_later_than_the_next_working_day_is_a_late_refund_warning(
    paid, account, district_admin
):
    services.discharge(by=district_admin, contract=paid, discharged_on=dt.date(2026, 11, 20))
    services.refund(
        by=district_admin, contract=paid, fee_type="deposit", amount=D(5000),
        occurred_on=dt.date(2026, 11, 23),
    )  # fmt: skip
    services.refund(
        by=district_admin, contract=paid, fee_type="service_prepaid", amount=D(9000),
        occurred_on=dt.date(2026, 11, 25),
    )  # fmt: skip

    warnings = selectors.custody_summary(account, today=dt.date(2026, 11, 26))["warnings"]

    late = [w for w in warnings if w["code"] == "refund_late"]
    assert len(late) == 1
    assert "9000" in late[0]["message"] and "2026-11-23" in late[0]["message"]
    assert "refund_overdue" not in [w["code"] for w in warnings]


# Large and unusual movements


def test_a_movement_at_or_above_the_large_amount_is_a_warning(
    contract, account, district_admin, settings
):
    settings.SHEGONG_CUSTODY_LARGE_AMOUNT = 20000
    services.payment_in(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(19999),
        occurred_on=dt.date(2026, 11, 2),
    )  # fmt: skip
    assert "large_movement" not in codes(account, dt.date(2026, 11, 3))

    services.payment_in(
        by=district_admin, contract=contract, fee_type="service_prepaid", amount=D(20000),
        occurred_on=dt.date(2026, 11, 3),
    )  # fmt: skip
    assert codes(account, dt.date(2026, 11, 4)).count("large_movement") == 1
    # An old movement leaves the list after 90 days.
    assert "large_movement" not in codes(account, dt.date(2027, 3, 1))


def test_drawing_more_than_a_months_fee_in_one_month_is_unusual_use(
    paid, account, district_admin, evidence
):
    # The contract's monthly fee is 3,000 yuan.
    services.withdrawal(
        by=district_admin, contract=paid, fee_type="service_prepaid", amount=D(3000),
        purpose="11月服务费", evidence=evidence, occurred_on=dt.date(2026, 11, 5),
    )  # fmt: skip
    assert "unusual_use" not in codes(account, dt.date(2026, 11, 6))

    services.withdrawal(
        by=district_admin, contract=paid, fee_type="service_prepaid", amount=D(1),
        purpose="11月服务费", evidence=evidence, occurred_on=dt.date(2026, 11, 6),
    )  # fmt: skip
    warnings = selectors.custody_summary(account, today=dt.date(2026, 11, 7))["warnings"]
    unusual = [w for w in warnings if w["code"] == "unusual_use"]
    assert len(unusual) == 1
    assert "3001" in unusual[0]["message"] and "2026-11" in unusual[0]["message"]


# Closure


def test_a_closure_needs_30_days_notice_and_a_reason(institution, district_admin):
    today = dt.date.today()
    with pytest.raises(ValidationError) as exc:
        services.closure_announce(
            by=district_admin, institution=institution,
            closes_on=today + dt.timedelta(days=29), reason="",
        )  # fmt: skip
    assert set(exc.value.message_dict) == {"closes_on", "reason"}
    institution.refresh_from_db()
    assert institution.status == InstitutionStatus.OPEN

    services.closure_announce(
        by=district_admin, institution=institution,
        closes_on=today + dt.timedelta(days=30), reason="租约到期",
    )  # fmt: skip
    institution.refresh_from_db()
    assert institution.status == InstitutionStatus.CLOSING
    assert institution.closing_announced_on == today


def test_an_announced_closure_refuses_new_deposits_and_warns_the_bureau(
    paid, institution, account, district_admin, elder
):
    services.closure_announce(
        by=district_admin, institution=institution,
        closes_on=dt.date.today() + dt.timedelta(days=40), reason="租约到期",
    )  # fmt: skip

    with pytest.raises(ValidationError):
        services.payment_in(by=district_admin, contract=paid, fee_type="deposit", amount=D(100))
    with pytest.raises(ValidationError) as exc:
        services.contract_create(
            by=district_admin, institution=institution, person=elder,
            monthly_fee=D(3000), monthly_bed_fee=D(1000), deposit=D(1000),
        )  # fmt: skip
    assert "deposit" in exc.value.message_dict
    warning = [
        w for w in selectors.custody_summary(account)["warnings"]
        if w["code"] == "closure_announced"
    ]  # fmt: skip
    assert len(warning) == 1
    assert "14000" in warning[0]["message"]  # held in custody


def test_an_institution_closes_only_when_everyone_left_and_everything_was_refunded(
    paid, institution, district_admin
):
    services.closure_announce(
        by=district_admin, institution=institution,
        closes_on=dt.date.today() + dt.timedelta(days=30), reason="租约到期",
    )  # fmt: skip
    institution.refresh_from_db()
    institution.closes_on = dt.date.today()  # the notice has run out
    institution.save()

    with pytest.raises(ValidationError, match="1"):
        services.institution_close(by=district_admin, institution=institution)
    services.discharge(by=district_admin, contract=paid)
    paid.refresh_from_db()
    with pytest.raises(ValidationError, match="14000"):
        services.institution_close(by=district_admin, institution=institution)
    services.refund_all(by=district_admin, contract=paid)

    services.institution_close(by=district_admin, institution=institution)
    institution.refresh_from_db()
    assert institution.status == InstitutionStatus.CLOSED


def test_the_bureau_list_has_the_warnings_of_the_institutions_in_scope_only(
    paid, account, other_account, district_admin, make_user, regions, evidence
):
    from shegong.accounts.models import Role
    from shegong.institutions.models import LedgerEntry

    LedgerEntry.objects.create(
        account=account, contract=paid, fee_type="deposit", kind="withdrawal", amount=D(10),
        occurred_on=dt.date(2026, 11, 3), recorded_by=district_admin,
    )  # fmt: skip
    far = make_user(Role.TOWNSHIP_SUPERVISOR, region=regions.other_township)

    mine = selectors.warnings_for(fetched_by=district_admin)
    assert [(w["institution_id"], w["code"]) for w in mine] == [
        (account.institution_id, "withdrawal_without_evidence")
    ]
    assert selectors.warnings_for(fetched_by=far) == []


def test_the_bureau_is_told_once_of_each_warning(
    paid,
    institution,
    account,
    district_admin,
    make_user,
    regions,
    django_capture_on_commit_callbacks,
):
    from shegong.accounts.models import Role
    from shegong.casework.models import Notification
    from shegong.institutions import alerts

    township = make_user(Role.TOWNSHIP_SUPERVISOR, region=regions.township)
    with django_capture_on_commit_callbacks(execute=True):
        services.closure_announce(
            by=district_admin, institution=institution,
            closes_on=dt.date.today() + dt.timedelta(days=30), reason="租约到期",
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        alerts.tell_bureau_all()  # the morning job: nothing new

    told = Notification.objects.filter(user=district_admin)
    assert told.count() == 1
    assert institution.name in told.get().title and "14000" in told.get().title
    assert not Notification.objects.filter(user=township).exists()
