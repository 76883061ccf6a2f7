"""Reads: a custody account's statements and one statement's differences with the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import User

from ..models import BankStatement, CustodyAccount, LedgerEntry
from ..selectors import CENT, MONEY, ZERO, _signed


def statement_list(account: CustodyAccount, *, fetched_by: User) -> QuerySet[BankStatement]:
    """The account's statements the user may see, with their line counts and the ledger
    entries of their period that no bank line matched."""
    ledger_only = (
        LedgerEntry.objects.filter(
            account=OuterRef("account"),
            occurred_on__gte=OuterRef("period_start"),
            occurred_on__lte=OuterRef("period_end"),
            statement_lines__isnull=True,
        )
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return scope.visible(
        BankStatement.objects.filter(account=account).select_related("uploaded_by"), fetched_by
    ).annotate(
        line_count=Count("lines"),
        matched_count=Count("lines", filter=Q(lines__entry__isnull=False)),
        bank_only_count=Count("lines", filter=Q(lines__entry__isnull=True)),
        ledger_only_count=Coalesce(Subquery(ledger_only), Value(0), output_field=IntegerField()),
    )


def ledger_balance(account: CustodyAccount, on: dt.date) -> Decimal:
    """The account's balance by the ledger at the end of ``on``."""
    total = LedgerEntry.objects.filter(account=account, occurred_on__lte=on).aggregate(
        total=Coalesce(Sum(_signed()), Value(ZERO), output_field=MONEY)
    )["total"]
    return total.quantize(CENT)


def _difference(code: str, message: str, *, line=None, entry=None, info=False) -> dict:
    return {
        "code": code,
        "message": message,
        "informational": info,
        "line_id": line.pk if line else None,
        "row": line.row_number if line else None,
        "entry_id": entry.pk if entry else None,
        "contract_number": entry.contract.number if entry else None,
    }


def reconciliation(statement: BankStatement) -> dict:
    """Every difference between the statement and the ledger, with counts, without personal
    data (contract numbers only). Three queries whatever the size of the statement.

    Codes: ``bank_only`` (a bank line no ledger entry matches), ``ledger_only`` (an entry of the
    statement's period that no bank line matches), ``date_differs`` (matched, booked on another
    day: informational) and ``closing_balance`` (the bank's closing balance is not the ledger's
    balance at the end of the period; only when the file had a balance column).
    """
    lines = list(statement.lines.select_related("entry__contract").order_by("row_number"))
    ledger_only = list(
        LedgerEntry.objects.filter(
            account_id=statement.account_id,
            occurred_on__range=(statement.period_start, statement.period_end),
            statement_lines__isnull=True,
        )
        .select_related("contract")
        .order_by("occurred_on", "pk")
    )
    differences = [
        _difference(
            "bank_only",
            _(
                "Row %(row)s: %(amount)s yuan on %(date)s is on the bank statement but not in "
                "the ledger."
            )
            % {"row": line.row_number, "amount": line.amount, "date": line.occurred_on},
            line=line,
        )
        for line in lines
        if line.entry is None
    ]
    differences += [
        _difference(
            "ledger_only",
            _(
                "%(amount)s yuan on %(date)s (contract %(number)s) is in the ledger but not on "
                "the bank statement."
            )
            % {
                "amount": entry.signed_amount,
                "date": entry.occurred_on,
                "number": entry.contract.number,
            },
            entry=entry,
        )
        for entry in ledger_only
    ]
    differences += [
        _difference(
            "date_differs",
            _(
                "Row %(row)s: the bank booked %(amount)s yuan on %(bank_date)s, the ledger on "
                "%(ledger_date)s (contract %(number)s)."
            )
            % {
                "row": line.row_number,
                "amount": line.amount,
                "bank_date": line.occurred_on,
                "ledger_date": line.entry.occurred_on,
                "number": line.entry.contract.number,
            },
            line=line,
            entry=line.entry,
            info=True,
        )
        for line in lines
        if line.entry is not None and line.entry.occurred_on != line.occurred_on
    ]
    balance = ledger_balance(statement.account, statement.period_end)
    closing = statement.closing_balance
    if closing is not None and closing != balance:
        differences.append(
            _difference(
                "closing_balance",
                _(
                    "The bank's closing balance on %(date)s is %(bank)s yuan; the ledger gives "
                    "%(ledger)s yuan (a difference of %(gap)s yuan)."
                )
                % {
                    "date": statement.period_end,
                    "bank": closing,
                    "ledger": balance,
                    "gap": closing - balance,
                },
            )
        )
    matched = [line for line in lines if line.entry is not None]
    return {
        "statement": statement,
        "lines": lines,
        "differences": differences,
        "closing_balance": closing,
        "ledger_balance": balance,
        "counts": {
            "lines": len(lines),
            "matched": len(matched),
            "bank_only": len(lines) - len(matched),
            "ledger_only": len(ledger_only),
            "date_differs": sum(1 for d in differences if d["code"] == "date_differs"),
            "unconfirmed": sum(1 for line in matched if line.entry.confirmed_at is None),
        },
    }
