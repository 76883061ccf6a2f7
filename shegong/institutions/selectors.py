"""Reads: balances derived from the ledger, the custody summary and its warnings.

A balance is never stored: it is the sum of payments in less withdrawals, refunds and emergency
advances, per fee type (and per contract), computed in the database.

Reserve: the account must keep at least ``reserve_ratio`` × what it still owes residents on
paper, i.e. everything paid in less what was refunded and less what was used for them with its
evidence (an emergency advance, or a withdrawal whose evidence is missing, is still the
residents' money until accounted for). A balance below that is a warning: money left the account
faster than it was accounted for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.people.models import Person

from .models import (
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


def add_working_days(start: dt.date, days: int) -> dt.date:
    """``days`` working days (Monday to Friday) after ``start``; public holidays not counted."""
    day = start
    while days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


# Past events (a late refund, a large or unusual movement) stay on the warning list this long.
WARNING_WINDOW_DAYS = 90
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
                    # Used for the resident with its evidence: accounted for, no longer owed.
                    When(
                        Q(kind=EntryKind.WITHDRAWAL) & ~Q(evidence=""),
                        then=-F("amount"),
                    ),
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
    warnings.extend(_evidence_warnings(entries, today))
    warnings.extend(_movement_warnings(entries, today))
    warnings.extend(_refund_warnings(account, today))
    closure = _closure_warning(Institution.objects.get(pk=account.institution_id), total)
    if closure:
        warnings.append(closure)
    return {
        "bank": account.bank.name,
        "account_number": account.number,
        "reserve_ratio": account.reserve_ratio,
        "balances": per_fee,
        "total": total,
        "reserve_required": reserve,
        "warnings": warnings,
    }


def _warning(code: str, message: str, *, contract: str | None = None, entry: int | None = None):
    return {"code": code, "contract_number": contract, "entry_id": entry, "message": message}


def _evidence_warnings(entries: QuerySet[LedgerEntry], today: dt.date) -> list[dict]:
    flagged = (
        entries.filter(evidence="")
        .filter(
            Q(kind=EntryKind.WITHDRAWAL)
            | Q(kind=EntryKind.EMERGENCY_ADVANCE, evidence_due_on__lt=today)
        )
        .select_related("contract")
        .order_by("occurred_on", "pk")
    )
    found = []
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
        values = {
            "amount": entry.amount,
            "date": entry.occurred_on,
            "number": entry.contract.number,
            "due": entry.evidence_due_on,
        }
        found.append(
            _warning(code, message % values, contract=entry.contract.number, entry=entry.pk)
        )
    return found


def _movement_warnings(entries: QuerySet[LedgerEntry], today: dt.date) -> list[dict]:
    """Large movements (one entry at or above ``SHEGONG_CUSTODY_LARGE_AMOUNT``) and unusual use:
    prepaid service fees drawn faster than the service is given, i.e. more than the contract's
    monthly fee in one calendar month."""
    since = today - dt.timedelta(days=WARNING_WINDOW_DAYS)
    recent = entries.filter(occurred_on__gte=since)
    found = []
    large = settings.SHEGONG_CUSTODY_LARGE_AMOUNT
    for entry in (
        recent.filter(amount__gte=large).select_related("contract").order_by("occurred_on", "pk")
    ):
        found.append(
            _warning(
                "large_movement",
                _(
                    "Large movement: %(kind)s of %(amount)s yuan on %(date)s (contract "
                    "%(number)s), at or above %(large)s yuan."
                )
                % {
                    "kind": entry.get_kind_display(),
                    "amount": entry.amount,
                    "date": entry.occurred_on,
                    "number": entry.contract.number,
                    "large": large,
                },
                contract=entry.contract.number,
                entry=entry.pk,
            )
        )
    drawn = (
        recent.filter(fee_type="service_prepaid", kind=EntryKind.WITHDRAWAL)
        .annotate(month=TruncMonth("occurred_on"))
        .order_by()
        .values("contract__number", "contract__monthly_fee", "month")
        .annotate(total=Sum("amount"))
        .filter(total__gt=F("contract__monthly_fee"))
        .order_by("month", "contract__number")
    )
    for row in drawn:
        found.append(
            _warning(
                "unusual_use",
                _(
                    "Unusual use: %(total)s yuan of prepaid service fees drawn for contract "
                    "%(number)s in %(month)s, more than its monthly fee of %(fee)s yuan."
                )
                % {
                    "total": row["total"],
                    "number": row["contract__number"],
                    "month": f"{row['month']:%Y-%m}",
                    "fee": row["contract__monthly_fee"],
                },
                contract=row["contract__number"],
            )
        )
    return found


def refund_due_on(discharged_on: dt.date) -> dt.date:
    return add_working_days(discharged_on, settings.SHEGONG_REFUND_WORKING_DAYS)


def _refund_warnings(account: CustodyAccount, today: dt.date) -> list[dict]:
    """After a resident leaves, the balance is due back by the next working day: a balance
    still held after that, or a refund made later than that, is a warning."""
    ended = contracts_with_balance(
        Contract.objects.filter(
            resident__institution_id=account.institution_id,
            status=ContractStatus.ENDED,
            resident__discharged_on__isnull=False,
        ).select_related("resident")
    ).order_by("resident__discharged_on", "number")
    found = []
    since = today - dt.timedelta(days=WARNING_WINDOW_DAYS)
    late = {}
    for entry in LedgerEntry.objects.filter(
        account=account,
        kind=EntryKind.REFUND,
        contract__status=ContractStatus.ENDED,
        occurred_on__gte=since,
    ).order_by("occurred_on", "pk"):
        late.setdefault(entry.contract_id, []).append(entry)
    for contract in ended:
        due = refund_due_on(contract.resident.discharged_on)
        values = {"number": contract.number, "due": due, "left": contract.resident.discharged_on}
        if contract.balance > 0 and today > due:
            found.append(
                _warning(
                    "refund_overdue",
                    _(
                        "%(balance)s yuan of contract %(number)s has not been refunded; the "
                        "resident left on %(left)s and the refund was due on %(due)s."
                    )
                    % {**values, "balance": contract.balance},
                    contract=contract.number,
                )
            )
        for entry in late.get(contract.pk, []):
            if entry.occurred_on > due:
                found.append(
                    _warning(
                        "refund_late",
                        _(
                            "Late refund: %(amount)s yuan of contract %(number)s was refunded on "
                            "%(date)s; it was due on %(due)s."
                        )
                        % {**values, "amount": entry.amount, "date": entry.occurred_on},
                        contract=contract.number,
                        entry=entry.pk,
                    )
                )
    return found


def _closure_warning(institution: Institution, held: Decimal) -> dict | None:
    if institution.status != InstitutionStatus.CLOSING:
        return None
    staying = institution.residents.filter(discharged_on__isnull=True).count()
    return _warning(
        "closure_announced",
        _(
            "The institution announced on %(announced)s that it closes on %(closes)s: "
            "%(staying)s residents still live there and %(held)s yuan is held in custody."
        )
        % {
            "announced": institution.closing_announced_on,
            "closes": institution.closes_on or "-",
            "staying": staying,
            "held": held,
        },
    )


def warnings_for(*, fetched_by, today: dt.date | None = None) -> list[dict]:
    """Every custody warning of the institutions the user may see, institution by institution
    (for the bureau's list). Each carries its institution's id and name."""
    found = []
    accounts = scope.visible(
        CustodyAccount.objects.select_related("institution", "bank"), fetched_by
    )
    for account in accounts.order_by("institution__name"):
        for warning in custody_summary(account, today=today)["warnings"]:
            found.append(
                {
                    **warning,
                    "institution_id": account.institution_id,
                    "institution": account.institution.name,
                }
            )
    return found


def person_for_admission(*, id_number: str, name: str, fetched_by) -> Person | None:
    """The registry person an institution is admitting.

    Registry roles find them within their area through the scope gate. An institution operator
    has no area: they hold the resident's ID card, so the full ID number *and* the name must both
    match (nothing partial, nothing listed), and the match is logged as a read of that person."""
    from shegong.audit.models import AccessAction
    from shegong.audit.services import access_record
    from shegong.people import crypto

    people = Person.objects.filter(id_number_hash=crypto.blind_index(id_number))
    if not scope.works_for_organisation(fetched_by) or scope.can_read_registry(fetched_by):
        return scope.visible(people, fetched_by).first()
    person = people.filter(name=name.strip()).first() if name.strip() else None
    if person is not None:
        access_record(
            user=fetched_by,
            action=AccessAction.READ,
            obj=person,
            person=person,
            detail="institution admission",
        )
    return person
