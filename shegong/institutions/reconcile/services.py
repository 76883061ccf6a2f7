"""Writes: importing a statement, matching it against the ledger, the bank's confirmations.

Each is transactional and records its acting user for the change history; importing and
matching lock the custody account, so that an entry is matched to one bank line only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import IO

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Role, User
from shegong.people.roster import CellError

from ..models import Bank, BankStatement, CustodyAccount, LedgerEntry, StatementLine
from .parsing import ParsedStatement, StatementRowsError, parse_statement

# Who may do what (on top of the scope gate, which lets registry roles and operators write
# ledger entries too)


def is_officer_of(user: User, bank: Bank) -> bool:
    return (
        Role.BANK_OFFICER in scope.scope_for(user).roles
        and bank.officers.filter(pk=user.pk).exists()
    )


def can_upload(user: User, account: CustodyAccount) -> bool:
    """The account's bank, and registry writers of the institution's region."""
    return is_officer_of(user, account.bank) or scope.can_write_region(
        user, account.institution.region.code
    )


# Writes


def _already_imported(account: CustodyAccount, parsed: ParsedStatement) -> list[CellError]:
    """Lines of the file that an earlier statement of the same account already holds.

    A line with a bank reference is the same movement when an earlier line has the same
    reference, date and amount (a voucher number alone may repeat across days); a line without
    one when an earlier line has the same date, amount and memo (lines keep no running
    balance). Any such line refuses the whole file: a statement is imported once, and an
    overlapping one is cut by the bank to the days not yet imported.
    """
    earlier = StatementLine.objects.filter(
        statement__account=account,
        occurred_on__range=(parsed.period_start, parsed.period_end),
    ).select_related("statement")
    seen: dict[tuple, StatementLine] = {}
    for line in earlier:
        seen[(line.reference, line.occurred_on, line.amount)] = line
        seen[("", line.occurred_on, line.amount, line.memo)] = line
    found = []
    for line in parsed.lines:
        key = (
            (line.reference, line.occurred_on, line.amount)
            if line.reference
            else ("", line.occurred_on, line.amount, line.memo)
        )
        if key in seen:
            statement = seen[key].statement
            found.append(
                CellError(
                    line.row,
                    "",
                    _(
                        "This movement was already imported with the statement %(file)s "
                        "(%(start)s to %(end)s)."
                    )
                    % {
                        "file": statement.file_name,
                        "start": statement.period_start,
                        "end": statement.period_end,
                    },
                )
            )
    return found


def statement_import(
    *, by: User, account: CustodyAccount, file: bytes | IO[bytes], filename: str
) -> BankStatement:
    """Store the bank's statement of ``account`` and match it against the ledger.

    All or nothing: a file with any unreadable cell, or with a movement already imported
    (see :func:`_already_imported`), is refused as a whole with every problem listed.
    """
    if not can_upload(by, account):
        raise PermissionDenied
    data = file if isinstance(file, bytes) else file.read()
    parsed = parse_statement(data, filename)
    name = Path(filename).name[-200:]
    with transaction.atomic(), set_actor(by):
        # One import or match at a time per account: an entry is matched to one line only.
        account = CustodyAccount.objects.select_for_update().get(pk=account.pk)
        duplicates = _already_imported(account, parsed)
        if duplicates:
            raise StatementRowsError(duplicates)
        statement = BankStatement.objects.create(
            account=account,
            period_start=parsed.period_start,
            period_end=parsed.period_end,
            closing_balance=parsed.closing_balance,
            file=ContentFile(data, name=name),
            file_name=name,
            uploaded_by=by,
        )
        StatementLine.objects.bulk_create(
            StatementLine(
                statement=statement,
                row_number=line.row,
                occurred_on=line.occurred_on,
                amount=line.amount,
                reference=line.reference,
                memo=line.memo,
                counterparty=line.counterparty,
            )
            for line in parsed.lines
        )
        match_statement(statement)
    return statement


def _names_contract(memo: str, number: str) -> bool:
    """The contract number as a whole word of the memo (7-2026-0001 is not in 17-2026-0001)."""
    return bool(re.search(rf"(?<![0-9A-Za-z-]){re.escape(number)}(?![0-9A-Za-z])", memo))


def match_statement(statement: BankStatement) -> int:
    """Match the statement's unmatched lines to ledger entries; returns how many were matched.

    A line and an entry match when the entry is of the same account, not yet matched to any
    line, has the same signed amount (in +, out −) and a date within SHEGONG_RECONCILE_DAYS of
    the line's. Among candidates, pairs are taken best first: the entry's contract number in the
    line's memo, then the nearest date, then the lowest entry id (then the earlier row), each
    line and each entry used once. Lines matched earlier keep their entry.
    """
    days = settings.SHEGONG_RECONCILE_DAYS
    window = dt.timedelta(days=days)
    with transaction.atomic():
        # One match at a time per account (see statement_import).
        CustodyAccount.objects.select_for_update().get(pk=statement.account_id)
        lines = list(statement.lines.filter(entry__isnull=True))
        if not lines:
            return 0
        taken = StatementLine.objects.filter(entry__isnull=False).values("entry_id")
        entries = (
            LedgerEntry.objects.filter(
                account_id=statement.account_id,
                occurred_on__range=(statement.period_start - window, statement.period_end + window),
            )
            .exclude(pk__in=taken)
            .select_related("contract")
        )
        by_amount: dict[Decimal, list[LedgerEntry]] = defaultdict(list)
        for entry in entries:
            by_amount[entry.signed_amount].append(entry)
        pairs = []
        for line in lines:
            for entry in by_amount.get(line.amount, ()):
                gap = abs((line.occurred_on - entry.occurred_on).days)
                if gap <= days:
                    named = _names_contract(line.memo, entry.contract.number)
                    pairs.append(((not named, gap, entry.pk, line.row_number), line, entry))
        pairs.sort(key=lambda pair: pair[0])
        used_entries: set[int] = set()
        matched: list[StatementLine] = []
        for _rank, line, entry in pairs:
            if line.entry_id is None and entry.pk not in used_entries:
                line.entry = entry
                used_entries.add(entry.pk)
                matched.append(line)
        StatementLine.objects.bulk_update(matched, ["entry"])
        return len(matched)


def entry_confirm(*, by: User, entry: LedgerEntry) -> LedgerEntry:
    """The bank confirms it has seen the movement. Only an officer of the account's bank may;
    confirming again changes nothing (the first confirmer and time stay)."""
    with transaction.atomic(), set_actor(by):
        entry = (
            LedgerEntry.objects.select_for_update(of=("self",))
            .select_related("account__bank")
            .get(pk=entry.pk)
        )
        if not is_officer_of(by, entry.account.bank):
            raise PermissionDenied
        if entry.confirmed_by_bank_id is None:
            entry.confirmed_by_bank = by
            entry.confirmed_at = timezone.now()
            entry.save(update_fields=["confirmed_by_bank", "confirmed_at"])
        return entry


def statement_confirm_matched(*, by: User, statement: BankStatement) -> int:
    """Confirm every ledger entry matched to a line of the statement; returns how many were
    newly confirmed. Each is saved on its own so that the change history records it."""
    with transaction.atomic(), set_actor(by):
        if not is_officer_of(by, statement.account.bank):
            raise PermissionDenied
        matched = StatementLine.objects.filter(statement=statement, entry__isnull=False)
        entries = LedgerEntry.objects.select_for_update().filter(
            pk__in=matched.values("entry_id"), confirmed_by_bank__isnull=True
        )
        now = timezone.now()
        count = 0
        for entry in entries.order_by("pk"):
            entry.confirmed_by_bank = by
            entry.confirmed_at = now
            entry.save(update_fields=["confirmed_by_bank", "confirmed_at"])
            count += 1
        return count
