"""Writes: contracts within the prepaid-fee caps, and the custody ledger.

Every function is transactional, records its acting user for the change history and locks the
row whose invariant it protects (the institution for contract numbers, the custody account for
balances). Callers fetch the institution or contract through the scope gate first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts.models import User
from shegong.elderly.models import ElderlyProfile
from shegong.people.models import Person

from . import alerts, selectors
from .models import (
    INFLOWS,
    Contract,
    ContractStatus,
    CustodyAccount,
    EntryKind,
    FeeType,
    Institution,
    InstitutionStatus,
    LedgerEntry,
    Resident,
)
from .selectors import add_working_days

EVIDENCE_WORKING_DAYS = 7


def check_caps(
    *,
    institution: Institution,
    monthly_fee: Decimal,
    monthly_bed_fee: Decimal,
    deposit: Decimal,
    prepaid_months: int,
    membership_fee: Decimal,
) -> None:
    """Refuse every broken cap at once, each on its field, with the rule and the figures."""
    errors: dict[str, str] = {}
    for field, value in (
        ("monthly_fee", monthly_fee),
        ("monthly_bed_fee", monthly_bed_fee),
        ("deposit", deposit),
        ("membership_fee", membership_fee),
    ):
        if value < 0:
            errors[field] = _("The amount cannot be negative.")
    if prepaid_months < 0:
        errors["prepaid_months"] = _("The number of months cannot be negative.")
    if monthly_bed_fee > monthly_fee:
        errors["monthly_bed_fee"] = _(
            "The bed fee is part of the monthly fee and cannot exceed it."
        )
    cap = settings.SHEGONG_CAP_PREPAID_MONTHS
    if prepaid_months > cap:
        errors["prepaid_months"] = _(
            "Prepaid service fees may cover at most %(cap)s months; "
            "this contract asks for %(months)s."
        ) % {"cap": cap, "months": prepaid_months}
    times = settings.SHEGONG_CAP_DEPOSIT_MONTHS_OF_BED_FEE
    limit = monthly_bed_fee * times
    if deposit > limit:
        errors["deposit"] = _(
            "The deposit may be at most %(times)s times the monthly bed fee (%(limit)s yuan); "
            "this contract asks for %(deposit)s yuan."
        ) % {"times": times, "limit": limit, "deposit": deposit}
    if membership_fee > 0:
        if not settings.SHEGONG_MEMBERSHIP_FEES_ALLOWED:
            errors["membership_fee"] = _(
                "Membership fees are not allowed in this district; "
                "this contract asks for %(fee)s yuan."
            ) % {"fee": membership_fee}
        elif membership_fee > settings.SHEGONG_CAP_MEMBERSHIP_FEE:
            errors["membership_fee"] = _(
                "The membership fee may be at most %(cap)s yuan; "
                "this contract asks for %(fee)s yuan."
            ) % {"cap": settings.SHEGONG_CAP_MEMBERSHIP_FEE, "fee": membership_fee}
    if institution.status != InstitutionStatus.OPEN and (deposit > 0 or membership_fee > 0):
        field = "deposit" if deposit > 0 else "membership_fee"
        errors.setdefault(
            field,
            _(
                "The institution announced its closure on %(date)s and may take no new deposits "
                "or membership fees."
            )
            % {"date": institution.closing_announced_on or "-"},
        )
    if errors:
        raise ValidationError(errors)


def _care_level(person: Person) -> str:
    profile = ElderlyProfile.objects.filter(person=person).only("level").first()
    return profile.level if profile else ""


def _next_number(institution: Institution, year: int) -> str:
    prefix = f"{institution.pk}-{year}-"
    taken = Contract.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    sequence = max((int(n.rsplit("-", 1)[1]) for n in taken), default=0) + 1
    return f"{prefix}{sequence:04d}"


def contract_create(
    *,
    by: User,
    institution: Institution,
    person: Person,
    monthly_fee: Decimal,
    monthly_bed_fee: Decimal | None = None,
    deposit: Decimal = Decimal(0),
    prepaid_months: int = 0,
    membership_fee: Decimal = Decimal(0),
    bed: str = "",
    admitted_on: dt.date | None = None,
    signed_on: dt.date | None = None,
) -> Contract:
    """Admit ``person`` and sign their contract, if every cap holds."""
    monthly_bed_fee = monthly_fee if monthly_bed_fee is None else monthly_bed_fee
    today = timezone.localdate()
    signed_on = signed_on or today
    with transaction.atomic(), set_actor(by):
        institution = Institution.objects.select_for_update().get(pk=institution.pk)
        if institution.status == InstitutionStatus.CLOSED:
            raise ValidationError(_("The institution is closed and takes no new residents."))
        check_caps(
            institution=institution,
            monthly_fee=monthly_fee,
            monthly_bed_fee=monthly_bed_fee,
            deposit=deposit,
            prepaid_months=prepaid_months,
            membership_fee=membership_fee,
        )
        resident = Resident.objects.create(
            institution=institution,
            person=person,
            bed=bed,
            admitted_on=admitted_on or signed_on,
            care_level=_care_level(person),
            bed_fee=monthly_bed_fee,
            care_fee=monthly_fee - monthly_bed_fee,
        )
        return Contract.objects.create(
            resident=resident,
            number=_next_number(institution, signed_on.year),
            monthly_fee=monthly_fee,
            monthly_bed_fee=monthly_bed_fee,
            deposit=deposit,
            prepaid_months=prepaid_months,
            membership_fee=membership_fee,
            signed_on=signed_on,
            created_by=by,
        )


def _record(
    *,
    by: User,
    contract: Contract,
    fee_type: str,
    kind: str,
    amount: Decimal,
    occurred_on: dt.date | None,
    purpose: str = "",
    evidence=None,
) -> LedgerEntry:
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be more than zero.")})
    if fee_type not in FeeType.values:
        raise ValidationError({"fee_type": _("Choose a fee type.")})
    occurred_on = occurred_on or timezone.localdate()
    with transaction.atomic(), set_actor(by):
        # One writer at a time per account: the balance checked is the balance written against.
        account = (
            CustodyAccount.objects.select_for_update()
            .filter(institution_id=contract.resident.institution_id)
            .first()
        )
        if account is None:
            raise ValidationError(_("The institution has no custody account yet."))
        # Read again under the lock: the caller's copy may predate a discharge or a closure.
        contract = Contract.objects.select_related("resident__institution").get(pk=contract.pk)
        institution = contract.resident.institution
        if kind in INFLOWS:
            if contract.status == ContractStatus.ENDED:
                raise ValidationError(
                    _("Contract %(number)s has ended; nothing more can be paid in.")
                    % {"number": contract.number}
                )
            if fee_type == FeeType.MEMBERSHIP and not settings.SHEGONG_MEMBERSHIP_FEES_ALLOWED:
                raise ValidationError(
                    {"fee_type": _("Membership fees are not allowed in this district.")}
                )
            if fee_type != FeeType.SERVICE_PREPAID and not institution.takes_new_deposits:
                raise ValidationError(
                    {
                        "fee_type": _(
                            "The institution announced its closure and may take no new deposits "
                            "or membership fees."
                        )
                    }
                )
        else:
            balance = selectors.contract_balances(contract)[fee_type]
            if amount > balance:
                raise ValidationError(
                    {
                        "amount": _(
                            "The balance of %(fee)s on contract %(number)s is %(balance)s yuan; "
                            "%(amount)s yuan cannot be taken out."
                        )
                        % {
                            "fee": FeeType(fee_type).label,
                            "number": contract.number,
                            "balance": balance,
                            "amount": amount,
                        }
                    }
                )
        if amount >= settings.SHEGONG_CUSTODY_LARGE_AMOUNT:
            alerts.tell_bureau_later(institution.pk)
        return LedgerEntry.objects.create(
            account=account,
            contract=contract,
            fee_type=fee_type,
            kind=kind,
            amount=amount,
            occurred_on=occurred_on,
            purpose=purpose,
            evidence=evidence or "",
            evidence_due_on=(
                add_working_days(occurred_on, EVIDENCE_WORKING_DAYS)
                if kind == EntryKind.EMERGENCY_ADVANCE
                else None
            ),
            recorded_by=by,
        )


def payment_in(
    *, by: User, contract: Contract, fee_type: str, amount: Decimal, occurred_on=None
) -> LedgerEntry:
    return _record(
        by=by,
        contract=contract,
        fee_type=fee_type,
        kind=EntryKind.PAYMENT_IN,
        amount=amount,
        occurred_on=occurred_on,
    )


def withdrawal(
    *,
    by: User,
    contract: Contract,
    fee_type: str,
    amount: Decimal,
    purpose: str,
    evidence,
    occurred_on=None,
) -> LedgerEntry:
    """Money used for the resident: a stated purpose and its evidence (invoice, bill) required."""
    errors = {}
    if not purpose.strip():
        errors["purpose"] = _("State what the money is used for.")
    if not evidence:
        errors["evidence"] = _(
            "Attach the evidence of the use (an invoice or bill); only an emergency advance may "
            "bring it later."
        )
    if errors:
        raise ValidationError(errors)
    return _record(
        by=by,
        contract=contract,
        fee_type=fee_type,
        kind=EntryKind.WITHDRAWAL,
        amount=amount,
        occurred_on=occurred_on,
        purpose=purpose.strip(),
        evidence=evidence,
    )


def refund(
    *, by: User, contract: Contract, fee_type: str, amount: Decimal, occurred_on=None
) -> LedgerEntry:
    return _record(
        by=by,
        contract=contract,
        fee_type=fee_type,
        kind=EntryKind.REFUND,
        amount=amount,
        occurred_on=occurred_on,
        purpose=_("Refund"),
    )


def emergency_advance(
    *,
    by: User,
    contract: Contract,
    fee_type: str,
    amount: Decimal,
    purpose: str,
    occurred_on=None,
) -> LedgerEntry:
    """An emergency medical advance: paid first, evidence due within 7 working days."""
    if not purpose.strip():
        raise ValidationError({"purpose": _("State what the money is used for.")})
    return _record(
        by=by,
        contract=contract,
        fee_type=fee_type,
        kind=EntryKind.EMERGENCY_ADVANCE,
        amount=amount,
        occurred_on=occurred_on,
        purpose=purpose.strip(),
    )


def entry_attach_evidence(*, by: User, entry: LedgerEntry, evidence) -> LedgerEntry:
    with transaction.atomic(), set_actor(by):
        entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
        entry.evidence = evidence
        entry.save(update_fields=["evidence"])
        return entry


def discharge(
    *, by: User, contract: Contract, discharged_on: dt.date | None = None, reason: str = ""
) -> Contract:
    """The resident leaves: the contract ends and what is left on it is due back by the next
    working day (``SHEGONG_REFUND_WORKING_DAYS``), which the custody warnings then watch."""
    today = timezone.localdate()
    discharged_on = discharged_on or today
    with transaction.atomic(), set_actor(by):
        contract = (
            Contract.objects.select_for_update().select_related("resident").get(pk=contract.pk)
        )
        resident = contract.resident
        if resident.discharged_on is not None:
            raise ValidationError(
                _("The resident already left on %(date)s.") % {"date": resident.discharged_on}
            )
        if discharged_on > today:
            raise ValidationError({"discharged_on": _("The date cannot be in the future.")})
        if discharged_on < resident.admitted_on:
            raise ValidationError(
                {
                    "discharged_on": _("The resident was admitted on %(date)s, after this date.")
                    % {"date": resident.admitted_on}
                }
            )
        resident.discharged_on = discharged_on
        resident.discharge_reason = reason.strip()
        resident.save(update_fields=["discharged_on", "discharge_reason"])
        contract.status = ContractStatus.ENDED
        contract.save(update_fields=["status"])
        return contract


def refund_all(*, by: User, contract: Contract, occurred_on: dt.date | None = None) -> list:
    """Refund every fee type's remaining balance of a contract (one entry per fee type)."""
    with transaction.atomic():
        return [
            refund(by=by, contract=contract, fee_type=fee, amount=amount, occurred_on=occurred_on)
            for fee, amount in selectors.contract_balances(contract).items()
            if amount > 0
        ]


def closure_announce(
    *, by: User, institution: Institution, closes_on: dt.date, reason: str
) -> Institution:
    """The institution announces it will close (at least ``SHEGONG_CLOSURE_NOTICE_DAYS`` ahead).
    From today it takes no new deposits or membership fees; the bureau is warned."""
    today = timezone.localdate()
    notice = settings.SHEGONG_CLOSURE_NOTICE_DAYS
    errors = {}
    if closes_on < today + dt.timedelta(days=notice):
        errors["closes_on"] = _(
            "A closure must be announced at least %(days)s days ahead: the earliest closing date "
            "is %(date)s."
        ) % {"days": notice, "date": today + dt.timedelta(days=notice)}
    if not reason.strip():
        errors["reason"] = _("State why the institution closes.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        institution = Institution.objects.select_for_update().get(pk=institution.pk)
        if institution.status != InstitutionStatus.OPEN:
            raise ValidationError(
                _("The institution already announced its closure on %(date)s.")
                % {"date": institution.closing_announced_on}
            )
        institution.status = InstitutionStatus.CLOSING
        institution.closing_announced_on = today
        institution.closes_on = closes_on
        institution.closure_reason = reason.strip()
        institution.save(
            update_fields=["status", "closing_announced_on", "closes_on", "closure_reason"]
        )
        alerts.tell_bureau_later(institution.pk)
        return institution


def institution_close(*, by: User, institution: Institution) -> Institution:
    """Close for good: on or after the announced date, with every resident gone and every yuan
    in custody refunded."""
    today = timezone.localdate()
    with transaction.atomic(), set_actor(by):
        institution = Institution.objects.select_for_update().get(pk=institution.pk)
        if institution.status != InstitutionStatus.CLOSING:
            raise ValidationError(_("Announce the closure first (30 days' notice)."))
        if institution.closes_on and today < institution.closes_on:
            raise ValidationError(
                _("The announced closing date is %(date)s.") % {"date": institution.closes_on}
            )
        staying = institution.residents.filter(discharged_on__isnull=True).count()
        if staying:
            raise ValidationError(_("%(count)s residents have not left yet.") % {"count": staying})
        held = sum(
            selectors.balances(
                LedgerEntry.objects.filter(account__institution=institution)
            ).values(),
            selectors.ZERO,
        )
        if held:
            raise ValidationError(
                _("%(amount)s yuan is still held in custody; refund it first.") % {"amount": held}
            )
        institution.status = InstitutionStatus.CLOSED
        institution.save(update_fields=["status"])
        return institution
