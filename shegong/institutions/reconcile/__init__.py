"""Reconciliation: the bank's statement of a custody account against the ledger.

The bank uploads its export (.xlsx or .csv); every line is matched to at most one ledger entry
and every entry to at most one line. What is left over on either side, a movement booked on
different days, and a closing balance the ledger does not reproduce are the differences. The
ledger is never changed by an import: balances stay derived from it. A bank officer of the
account's bank then confirms the movements the bank has seen.

``parsing`` reads the file, ``services`` writes, ``selectors`` reads; everything a caller needs
is importable from here.
"""

from .parsing import ParsedLine, ParsedStatement, StatementRowsError, parse_statement
from .selectors import ledger_balance, reconciliation, statement_list
from .services import (
    can_upload,
    entry_confirm,
    is_officer_of,
    match_statement,
    statement_confirm_matched,
    statement_import,
)

__all__ = [
    "ParsedLine",
    "ParsedStatement",
    "StatementRowsError",
    "can_upload",
    "entry_confirm",
    "is_officer_of",
    "ledger_balance",
    "match_statement",
    "parse_statement",
    "reconciliation",
    "statement_confirm_matched",
    "statement_import",
    "statement_list",
]
