"""The family page (家属查询): a resident or family member, with no account, enters the contract
number and the last six characters of the resident's ID number and sees the contract and its
money: paid in, used, refunded and the balance per fee type.

Every look-up is logged (:class:`FamilyLookup`) and limited: a few tries per address and per
contract an hour, and the same answer for a wrong number as for wrong digits, so the page cannot
be used to find out which contract numbers exist.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from .models import Contract, EntryKind, FamilyLookup, FeeType, LedgerEntry
from .selectors import contract_balances

# Look-ups an hour from one address, and failed ones an hour for one contract number.
PER_ADDRESS_PER_HOUR = 20
FAILURES_PER_CONTRACT_PER_HOUR = 5
WINDOW = dt.timedelta(hours=1)


class TooManyLookups(Exception):
    pass


@dataclass
class FamilyView:
    contract: Contract
    resident_name: str  # masked: the surname and stars
    rows: list[dict[str, Any]]  # per fee type: paid in, used, refunded, balance
    total_balance: Decimal


def _limited(ip: str | None, number: str, now: dt.datetime) -> bool:
    since = now - WINDOW
    if ip and FamilyLookup.objects.filter(ip_address=ip, at__gte=since).count() >= (
        PER_ADDRESS_PER_HOUR
    ):
        return True
    failures = FamilyLookup.objects.filter(contract_number=number, matched=False, at__gte=since)
    return failures.count() >= FAILURES_PER_CONTRACT_PER_HOUR


def _masked(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def look_up(*, number: str, id_tail: str, ip: str | None) -> FamilyView | None:
    """The contract's money if the number and the last six ID characters match, else None.
    Raises :class:`TooManyLookups` over the limit (nothing is looked up then)."""
    number = number.strip().upper()[:30]
    id_tail = id_tail.strip().upper()
    if _limited(ip, number, timezone.now()):
        raise TooManyLookups
    contract = (
        Contract.objects.select_related("resident__person", "resident__institution")
        .filter(number=number)
        .first()
    )
    matched = False
    if contract is not None and len(id_tail) == 6:
        id_number = contract.resident.person.id_number or ""
        matched = hmac.compare_digest(id_number[-6:].upper().encode(), id_tail.encode())
    FamilyLookup.objects.create(ip_address=ip, contract_number=number, matched=matched)
    if not matched:
        return None
    entries = LedgerEntry.objects.filter(contract=contract)
    balances = contract_balances(contract)
    rows = []
    for fee_type, label in FeeType.choices:
        of_type = entries.filter(fee_type=fee_type)
        paid = of_type.filter(kind=EntryKind.PAYMENT_IN).aggregate(s=Sum("amount"))["s"]
        used = of_type.filter(
            Q(kind=EntryKind.WITHDRAWAL) | Q(kind=EntryKind.EMERGENCY_ADVANCE)
        ).aggregate(s=Sum("amount"))["s"]
        refunded = of_type.filter(kind=EntryKind.REFUND).aggregate(s=Sum("amount"))["s"]
        if not (paid or used or refunded):
            continue
        rows.append(
            {
                "label": label,
                "paid": paid or Decimal(0),
                "used": used or Decimal(0),
                "refunded": refunded or Decimal(0),
                "balance": balances[fee_type],
            }
        )
    return FamilyView(
        contract=contract,
        resident_name=_masked(contract.resident.person.name),
        rows=rows,
        total_balance=sum(balances.values(), Decimal(0)),
    )
