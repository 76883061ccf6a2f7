"""Reading a bank's statement export (.xlsx or .csv in UTF-8 or GBK) into signed lines.

Reuses the roster reader of ``shegong.people`` (title rows above the header, Chinese headings in
several variants). All or nothing: every cell that cannot be read is reported with its row and
heading in a :class:`StatementRowsError`. Touches no database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shegong.people import roster
from shegong.people.roster import CellError, compact, normalise_text

from ..models import StatementLine
from ..selectors import CENT

MAX_HEADER_SCAN = 30

# Field → the headings banks use for it (compared without spaces, brackets unified, a trailing
# unit such as （元） dropped, English in lower case).
COLUMN_NAMES: dict[str, list[str]] = {
    "date": ["交易日期", "记账日期", "入账日期", "日期", "date", "transaction date", "value date"],
    "amount": ["交易金额", "金额", "发生额", "amount"],
    "credit": ["收入", "收入金额", "贷方发生额", "贷方金额", "贷方", "存入", "credit"],
    "debit": ["支出", "支出金额", "借方发生额", "借方金额", "借方", "支取", "debit"],
    # An unsigned amount with its direction in a column of its own (ICBC and others).
    "direction": ["借贷标志", "借贷方向", "收支标志", "收支方向", "借贷", "dr/cr"],
    "balance": ["余额", "账户余额", "balance"],
    "reference": ["流水号", "交易流水号", "凭证号", "reference"],
    "memo": ["摘要", "附言", "用途", "备注", "交易附言", "memo"],
    "counterparty": ["对方户名", "对方账户名称", "对方名称", "counterparty"],
}
CREDIT_WORDS = {"贷", "收", "收入", "c", "cr", "credit", "+"}
DEBIT_WORDS = {"借", "支", "支出", "d", "dr", "debit", "-"}
# Rows below the table that are not movements: totals and notes.
SUMMARY_PREFIXES = ("合计", "总计", "小计", "累计", "共计", "本页", "本期", "共")
EMPTY_MARKS = {"", "-", "--", "—", "——"}
UNIT = re.compile(r"\((元|人民币|人民币元|rmb|cny|yuan)\)$")
AMOUNT = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?")
DATE_PREFIX = re.compile(r"^(\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?|\d{8})(?:[ T].*)?$")
DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-./年](?P<m>\d{1,2})[-./月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]


def _heading_key(value: Any) -> str:
    text = compact(value).lower().replace("（", "(").replace("）", ")").replace("*", "")
    return UNIT.sub("", text.rstrip(":："))


HEADING_LOOKUP = {
    _heading_key(name): name_field for name_field, names in COLUMN_NAMES.items() for name in names
}


@dataclass
class ParsedLine:
    row: int  # the spreadsheet's own row number, 1-based
    occurred_on: dt.date
    amount: Decimal  # signed: in positive, out negative
    balance: Decimal | None = None
    reference: str = ""
    memo: str = ""
    counterparty: str = ""


@dataclass
class ParsedStatement:
    header_row: int
    headings: list[str]
    lines: list[ParsedLine]
    has_balance: bool = False
    closing_balance: Decimal | None = None

    @property
    def period_start(self) -> dt.date:
        return min(line.occurred_on for line in self.lines)

    @property
    def period_end(self) -> dt.date:
        return max(line.occurred_on for line in self.lines)


class StatementRowsError(ValidationError):
    """Cells that could not be read, each with its row and heading; nothing was saved."""

    def __init__(self, cell_errors: list[CellError]):
        self.cell_errors = cell_errors
        super().__init__([row_message(e) for e in cell_errors], code="invalid_rows")


def row_message(error: CellError) -> str:
    return _("Row %(row)s, “%(column)s”: %(problem)s") % {
        "row": error.row,
        "column": error.column,
        "problem": error.message,
    }


# Reading the file


@dataclass
class _Header:
    index: int  # 0-based row of the header in the table
    columns: dict[str, list[int]]  # field → its columns, leftmost first
    headings: list[str]

    def heading(self, name_field: str) -> str:
        return "/".join(self.headings[c] for c in self.columns.get(name_field, []))

    def cell(self, cells: list[Any], name_field: str) -> Any:
        found = self.columns.get(name_field)
        return cells[found[0]] if found and found[0] < len(cells) else None


def _find_header(table: list[list[Any]]) -> _Header:
    """The first row (within 30) naming a date column and an amount column (or in/out)."""
    for index, row in enumerate(table[:MAX_HEADER_SCAN]):
        columns: dict[str, list[int]] = {}
        for col, cell in enumerate(row):
            name_field = HEADING_LOOKUP.get(_heading_key(cell))
            if name_field:
                columns.setdefault(name_field, []).append(col)
        if "date" in columns and columns.keys() & {"amount", "credit", "debit"}:
            return _Header(index, columns, [normalise_text(c) for c in row])
    raise ValidationError(
        _(
            "No header row found: the first %(rows)d rows have no date column (交易日期 or "
            "记账日期) with an amount column (交易金额, or 收入 and 支出). Check that the "
            "statement is the first sheet."
        )
        % {"rows": MAX_HEADER_SCAN},
        code="no_header",
    )


def parse_date(value: Any) -> tuple[dt.date | None, str | None]:
    """A date from a date cell, an Excel serial, 20260305, 2026-03-05, 2026/3/5 (time ignored)."""
    value = roster.date_from_cell(value)
    if isinstance(value, dt.date):
        return value, None
    text = normalise_text(value)
    if text in EMPTY_MARKS:
        return None, _("The date is empty.")
    match = DATE_PREFIX.match(text)
    for pattern in DATE_PATTERNS if match else ():
        found = pattern.match(match.group(1))
        if found:
            try:
                return dt.date(int(found["y"]), int(found["m"]), int(found["d"])), None
            except ValueError:
                break
    return None, _("%(value)s is not a date. Write it as 2026-03-05, 2026/3/5 or 20260305.") % {
        "value": text
    }


def parse_amount(value: Any) -> tuple[Decimal | None, str | None]:
    """Yuan to the cent: 1234.5, "1,234.50", "¥1,234.50", "(500.00)" (negative); empty → None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP), None
    text = normalise_text(value).replace(" ", "")
    for mark in ("¥", "元", "RMB", "CNY"):
        text = text.replace(mark, "")
    if text in EMPTY_MARKS:
        return None, None
    negative = text.startswith("(") and text.endswith(")")
    digits = text[1:-1] if negative else text
    if not AMOUNT.fullmatch(digits):
        return None, _("%(value)s is not an amount. Write it as 1234.56 or 1,234.56.") % {
            "value": text
        }
    amount = Decimal(digits.replace(",", "")).quantize(CENT)
    return (-amount if negative else amount), None


def _skipped(header: _Header, cells: list[Any]) -> bool:
    """Empty rows, totals (合计, 本页小计 …) and notes with neither a date nor an amount."""
    texts = [compact(c) for c in cells]
    if not any(texts) or next(t for t in texts if t).startswith(SUMMARY_PREFIXES):
        return True
    fields = ("date", "amount", "credit", "debit")
    return all(compact(header.cell(cells, f)) in EMPTY_MARKS for f in fields)


def parse_statement(file: bytes | IO[bytes], filename: str) -> ParsedStatement:
    """Read a bank's statement export into signed lines, or raise ValidationError.

    The header is the first row naming a date column and an amount: one signed column
    (交易金额), an unsigned one with a direction column (借贷标志), or money in and out in two
    columns (收入 / 支出, 贷方 / 借方). Every memo-like column (摘要, 附言, 用途) is kept, joined.
    The closing balance is the balance of the latest line: the last row, or the first when the
    bank lists the newest movement first.
    """
    data = file if isinstance(file, bytes) else file.read()
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    try:
        table = roster.read_table(data, filename)
    except roster.RosterError as exc:
        raise ValidationError(str(exc), code="unreadable") from None
    header = _find_header(table)
    errors: list[CellError] = []
    lines: list[ParsedLine] = []
    for index in range(header.index + 1, len(table)):
        if _skipped(header, table[index]):
            continue
        line, found = _parse_row(header, index + 1, table[index])
        errors.extend(found)
        if line is not None:
            lines.append(line)
    if errors:
        raise StatementRowsError(errors)
    if not lines:
        raise ValidationError(
            _("The statement has no movements below its header row."), code="no_rows"
        )
    parsed = ParsedStatement(header.index + 1, header.headings, lines)
    parsed.has_balance = "balance" in header.columns
    if parsed.has_balance:
        newest_first = lines[0].occurred_on > lines[-1].occurred_on
        parsed.closing_balance = (lines[0] if newest_first else lines[-1]).balance
    return parsed


def _parse_row(
    header: _Header, number: int, cells: list[Any]
) -> tuple[ParsedLine | None, list[CellError]]:
    errors: list[CellError] = []

    def error(name_field: str, message: str) -> None:
        errors.append(CellError(number, header.heading(name_field), message))

    occurred_on, problem = parse_date(header.cell(cells, "date"))
    if problem:
        error("date", problem)
    amount = _line_amount(header, cells, error)
    balance, problem = parse_amount(header.cell(cells, "balance"))
    if problem:
        error("balance", problem)
    reference = compact(header.cell(cells, "reference"))
    if len(reference) > StatementLine._meta.get_field("reference").max_length:
        error("reference", _("The reference is longer than 60 characters."))
    if errors:
        return None, errors
    memo = " ".join(
        text
        for c in header.columns.get("memo", [])
        if c < len(cells) and (text := normalise_text(cells[c]))
    )
    return ParsedLine(
        row=number,
        occurred_on=occurred_on,
        amount=amount,
        balance=balance,
        reference=reference,
        memo=memo[:200],
        counterparty=normalise_text(header.cell(cells, "counterparty"))[:100],
    ), []


def _line_amount(header: _Header, cells: list[Any], error) -> Decimal | None:
    """The signed amount of a row, from whichever amount columns the file has."""
    if "amount" in header.columns:
        amount, problem = parse_amount(header.cell(cells, "amount"))
        if problem or not amount:
            error("amount", problem or _("The amount is empty or zero."))
            return None
        if "direction" not in header.columns:
            return amount
        word = compact(header.cell(cells, "direction")).lower()
        if word in CREDIT_WORDS:
            return abs(amount)
        if word in DEBIT_WORDS:
            return -abs(amount)
        error("direction", _("Write 借 or 贷 (支出 or 收入), not %(value)s.") % {"value": word})
        return None
    money_in, problem_in = parse_amount(header.cell(cells, "credit"))
    money_out, problem_out = parse_amount(header.cell(cells, "debit"))
    if problem_in:
        error("credit", problem_in)
    if problem_out:
        error("debit", problem_out)
    names = {"in": header.heading("credit") or "-", "out": header.heading("debit") or "-"}
    if problem_in or problem_out:
        return None
    if money_in and money_out:
        error(
            "credit",
            _("Both “%(in)s” and “%(out)s” have an amount; a line is money in or money out.")
            % names,
        )
        return None
    if money_in:
        return money_in
    if money_out:
        return -abs(money_out)
    error(
        "credit" if "credit" in header.columns else "debit",
        _("There is no amount in “%(in)s” or “%(out)s”.") % names,
    )
    return None
