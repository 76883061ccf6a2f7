"""Reads: balances derived from the ledger, the custody summary and its warnings.

A balance is never stored: it is the sum of payments in less withdrawals, refunds and emergency
advances, per fee type (and per contract), computed in the database.

Reserve: the account must keep at least ``reserve_ratio`` × what it still owes residents on
paper, i.e. everything paid in less everything refunded (money used for services or advanced
in an emergency is still the residents' until accounted for). A balance below that is a warning.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope

from .models import (
    Contract,
    CustodyAccount,
    EntryKind,
    FeeType,
    Institution,
    LedgerEntry,
    Resident,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _signed():
    return Case(
        When(kind=EntryKind.PAYMENT_IN, then=F("amount")),
        default=-F("amount"),
        output_field=MONEY,
    )


def balances(entries: QuerySet[LedgerEntry]) -> dict[str, Decimal]:
    """Balance per fee type (every fee type present, zero when untouched)."""
    found = dict.fromkeys(FeeType.values, ZERO)
    rows = entries.order_by().values("fee_type").annotate(total=Sum(_signed()))
    for row in rows:
        found[row["fee_type"]] = (row["total"] or ZERO).quantize(CENT)
    return found


def contract_balances(contract: Contract) -> dict[str, Decimal]:
    return balances(LedgerEntry.objects.filter(contract=contract))


def contracts_with_balance(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """Each contract annotated with ``balance``: its total across fee types."""
    signed = Case(
        When(entries__kind=EntryKind.PAYMENT_IN, then=F("entries__amount")),
        default=-F("entries__amount"),
        output_field=MONEY,
    )
    return contracts.annotate(balance=Coalesce(Sum(signed), Value(ZERO), output_field=MONEY))


def institution_list(*, fetched_by) -> QuerySet[Institution]:
    return scope.visible(Institution.objects.select_related("region"), fetched_by)


def residents_of(institution: Institution, *, fetched_by) -> QuerySet[Resident]:
    """The institution's residents the user may see (none for a bank officer)."""
    return scope.visible(
        Resident.objects.filter(institution=institution).select_related("person", "contract"),
        fetched_by,
    )


def custody_summary(account: CustodyAccount, *, today: dt.date | None = None) -> dict:
    """Balances per fee type, the reserve required and the warnings, without personal data."""
    today = today or timezone.localdate()
    entries = LedgerEntry.objects.filter(account=account)
    per_fee = balances(entries)
    total = sum(per_fee.values(), ZERO)
    owed = entries.aggregate(
        owed=Coalesce(
            Sum(
                Case(
                    When(kind=EntryKind.PAYMENT_IN, then=F("amount")),
                    When(kind=EntryKind.REFUND, then=-F("amount")),
                    default=Value(ZERO),
                    output_field=MONEY,
                )
            ),
            Value(ZERO),
            output_field=MONEY,
        )
    )["owed"]
    reserve = (owed * account.reserve_ratio).quantize(CENT)
    warnings: list[dict] = []
    if total < reserve:
        warnings.append(
            {
                "code": "below_reserve",
                "contract_number": None,
                "entry_id": None,
                "message": _(
                    "The balance (%(balance)s yuan) is below the required reserve "
                    "(%(reserve)s yuan)."
                )
                % {"balance": total, "reserve": reserve},
            }
        )
    flagged = (
        entries.filter(evidence="")
        .filter(
            Q(kind=EntryKind.WITHDRAWAL)
            | Q(kind=EntryKind.EMERGENCY_ADVANCE, evidence_due_on__lt=today)
        )
        .select_related("contract")
        .order_by("occurred_on", "pk")
    )
    for entry in flagged:
        if entry.kind == EntryKind.WITHDRAWAL:
            code = "withdrawal_without_evidence"
            message = _(
                "Withdrawal of %(amount)s yuan on %(date)s (contract %(number)s) has no evidence."
            )
        else:
            code = "advance_evidence_overdue"
            message = _(
                "The evidence of the emergency advance of %(amount)s yuan on %(date)s (contract "
                "%(number)s) was due on %(due)s."
            )
        warnings.append(
            {
                "code": code,
                "contract_number": entry.contract.number,
                "entry_id": entry.pk,
                "message": message
                % {
                    "amount": entry.amount,
                    "date": entry.occurred_on,
                    "number": entry.contract.number,
                    "due": entry.evidence_due_on,
                },
            }
        )
    return {
        "bank": account.bank.name,
        "account_number": account.number,
        "reserve_ratio": account.reserve_ratio,
        "balances": per_fee,
        "total": total,
        "reserve_required": reserve,
        "warnings": warnings,
    }
