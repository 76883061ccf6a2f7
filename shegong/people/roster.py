"""Reading the rosters villages really keep (.xlsx, .xls, .csv in UTF-8 or GBK).

Real files have title rows and merged cells above the header, Chinese column names in several
variants, full-width digits, stray spaces and line breaks, ID numbers that Excel turned into
numbers, and dates written five different ways. This module turns such a file into rows of
plain values in the shape ``services.person_create`` takes, with a specific Chinese message for
every cell it cannot read. It does not touch the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shegong import uploads

from .models import Category, DisabilityKind, Sex

MAX_HEADER_SCAN = 30

# Field → the column names villages use for it (compared after normalising: no spaces,
# full-width → half-width, brackets unified).
COLUMN_NAMES: dict[str, list[str]] = {
    "name": ["姓名", "名字", "人员姓名", "儿童姓名", "老人姓名", "户主姓名"],
    "id_number": [
        "身份证号",
        "身份证号码",
        "公民身份号码",
        "公民身份证号码",
        "身份证",
        "证件号码",
        "身份号码",
    ],
    "sex": ["性别"],
    "birth_date": ["出生日期", "出生年月", "出生年月日", "生日"],
    "phone": ["联系电话", "手机号", "手机号码", "电话", "联系方式", "电话号码"],
    "address": ["住址", "家庭住址", "现住址", "地址", "居住地址", "家庭地址"],
    "village": ["所属村", "村(社区)", "村/社区", "村", "村名", "所在村", "村居", "所属村(社区)"],
    "category": ["类别", "人员类别", "类型", "困境类型", "分类"],
    "guardian_name": ["监护人", "监护人姓名"],
    "guardian_id_number": ["监护人身份证号", "监护人身份证号码"],
    "guardian_phone": ["监护人电话", "监护人联系电话"],
    "disability_kind": ["残疾类别", "残疾类型"],
    "disability_grade": ["残疾等级", "残疾级别"],
    "notes": ["备注", "说明"],
}
REQUIRED_COLUMNS = ["name", "id_number"]

# What villages write in a category column → our category codes.
CATEGORY_WORDS: dict[str, str] = {
    "低保": Category.DIBAO,
    "低保户": Category.DIBAO,
    "低保对象": Category.DIBAO,
    "特困": Category.TEKUN,
    "特困人员": Category.TEKUN,
    "特困供养": Category.TEKUN,
    "五保": Category.TEKUN,
    "五保户": Category.TEKUN,
    "残疾": Category.DISABLED,
    "残疾人": Category.DISABLED,
    "留守儿童": Category.LEFT_BEHIND_CHILD,
    "留守": Category.LEFT_BEHIND_CHILD,
    "困境儿童": Category.CHILD_IN_DIFFICULTY,
    "孤儿": Category.ORPHAN,
    "事实无人抚养儿童": Category.ORPHAN,
    "独居": Category.LIVING_ALONE,
    "独居老人": Category.LIVING_ALONE,
    "空巢": Category.EMPTY_NEST,
    "空巢老人": Category.EMPTY_NEST,
    "失能": Category.DISABLED_ELDERLY,
    "失能老人": Category.DISABLED_ELDERLY,
    "计生特殊家庭": Category.FAMILY_PLANNING_SPECIAL,
    "计划生育特殊家庭": Category.FAMILY_PLANNING_SPECIAL,
}
DISABILITY_WORDS: dict[str, str] = {
    "视力": DisabilityKind.VISUAL,
    "听力": DisabilityKind.HEARING,
    "言语": DisabilityKind.SPEECH,
    "肢体": DisabilityKind.PHYSICAL,
    "智力": DisabilityKind.INTELLECTUAL,
    "精神": DisabilityKind.MENTAL,
    "多重": DisabilityKind.MULTIPLE,
}
GRADE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
SEX_WORDS = {"男": Sex.MALE, "女": Sex.FEMALE, "M": Sex.MALE, "F": Sex.FEMALE}
EXCEL_EPOCH = dt.date(1899, 12, 30)
SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?E\+?[0-9]+$", re.IGNORECASE)


class RosterError(ValueError):
    """The file as a whole cannot be read (wrong type, no header row, no name column …)."""


@dataclass(slots=True)
class CellError:
    row: int  # the spreadsheet's own row number, 1-based, as the user sees it
    column: str  # the column's heading in the file
    message: str


@dataclass(slots=True)  # 100,000 of them: slots halve memory and (un)pickling time
class RosterRow:
    row: int
    cells: list[Any]
    values: dict[str, Any] = field(default_factory=dict)
    village_name: str = ""
    guardian: dict[str, str] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)


@dataclass
class Roster:
    header_row: int
    headings: list[str]
    columns: dict[str, int]  # field → column index
    rows: list[RosterRow]

    def heading(self, field_name: str) -> str:
        index = self.columns.get(field_name)
        return self.headings[index] if index is not None else ""


def normalise_text(value: Any) -> str:
    """NFKC (full-width → half-width), line breaks and runs of spaces → one space, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def compact(value: Any) -> str:
    """Like normalise_text, but with every space removed (names, numbers)."""
    return normalise_text(value).replace(" ", "")


def _heading_key(value: Any) -> str:
    text = compact(value).replace("（", "(").replace("）", ")").replace("*", "")
    return text.rstrip(":：")


HEADING_LOOKUP = {
    _heading_key(name): field_name for field_name, names in COLUMN_NAMES.items() for name in names
}


def read_table(data: bytes, filename: str) -> list[list[Any]]:
    """All rows of the first sheet as lists of cell values (calamine for spreadsheets).

    The file passes the upload checks first (type by content, zip bombs, macros): calamine
    never sees a file that could exhaust the memory."""
    try:
        uploads.check_spreadsheet(data=data, filename=filename)
    except ValidationError as exc:
        raise RosterError(exc.messages[0]) from None
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(data)
    if suffix in {".xlsx", ".xls"}:
        from python_calamine import CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            if not workbook.sheet_names:
                raise RosterError(_("The file has no worksheet."))
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except RosterError:
            raise
        except Exception:
            raise RosterError(
                _("The file cannot be read as a spreadsheet. Save it again as .xlsx and retry.")
            ) from None
    raise RosterError(_("Only .xlsx, .xls and .csv files can be imported."))


def _read_csv(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterError(_("The CSV file is neither UTF-8 nor GBK text."))
    return list(csv.reader(io.StringIO(text)))


# Under a group heading such as 监护人情况, 姓名 / 身份证号 / 联系电话 are the guardian's.
GUARDIAN_GROUP = "监护人"
GUARDIAN_FIELDS = {
    "name": "guardian_name",
    "id_number": "guardian_id_number",
    "phone": "guardian_phone",
}
ID_LIKE_CELL = re.compile(r"^[0-9]{15,17}[0-9Xx]?$")


def _carried(row: list[Any]) -> list[str]:
    """Group headings of a row, carried right over the empty cells of a merged range."""
    carried, last = [], ""
    for cell in row:
        last = compact(cell) or last
        carried.append(last)
    return carried


def _field_for(cell: Any, group: str) -> str | None:
    field_name = HEADING_LOOKUP.get(_heading_key(cell))
    if field_name in GUARDIAN_FIELDS and GUARDIAN_GROUP in group:
        return GUARDIAN_FIELDS[field_name]
    return field_name


def _map_columns(row: list[Any], groups: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for col, cell in enumerate(row):
        field_name = _field_for(cell, groups[col] if col < len(groups) else "")
        if field_name and field_name not in columns:
            columns[field_name] = col
    return columns


def _is_heading_row(row: list[Any]) -> bool:
    texts = [compact(c) for c in row]
    return any(HEADING_LOOKUP.get(_heading_key(t)) for t in texts) and not any(
        ID_LIKE_CELL.match(t) for t in texts
    )


def find_header(table: list[list[Any]]) -> tuple[int, dict[str, int], list[str]]:
    """The header: the first row (within 30) naming the name and ID columns.

    Two-row headers are read too: a group heading above (监护人情况 over 姓名, 身份证号, 电话) or
    sub-headings below the row found. Returns the index of the last header row.
    """
    for index, row in enumerate(table[:MAX_HEADER_SCAN]):
        above = _carried(table[index - 1]) if index else []
        columns = _map_columns(row, above)
        if not all(name in columns for name in REQUIRED_COLUMNS):
            continue
        headings = [normalise_text(c) for c in row]
        below = table[index + 1] if index + 1 < len(table) else []
        if below and _is_heading_row(below):
            groups = _carried(row)
            sub = _map_columns(below, groups)
            for field_name, col in sub.items():
                if field_name not in columns or field_name.startswith("guardian_"):
                    columns[field_name] = col
            headings = [
                "/".join(t for t in (groups[c] if c < len(groups) else "", compact(cell)) if t)
                if compact(cell)
                else (headings[c] if c < len(headings) else "")
                for c, cell in enumerate(below)
            ] + headings[len(below) :]
            index += 1
        return index, columns, headings
    raise RosterError(
        _(
            "No header row found: the first %(rows)d rows have no columns named 姓名 and "
            "身份证号 (or 公民身份号码). Check that the roster is the first sheet."
        )
        % {"rows": MAX_HEADER_SCAN}
    )


def parse_id_cell(value: Any) -> tuple[str, str | None]:
    """The ID number text, or an error when Excel stored it as a number (digits lost)."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int | float):
        if float(value).is_integer() and len(str(int(value))) == 15:
            # Excel keeps 15 significant digits: an old 15-digit number survives intact.
            return str(int(value)), None
        return "", _(
            "The ID number was stored as a number (%(shown)s), so its last digits are lost. "
            "In the spreadsheet, format the column as text and type the numbers again."
        ) % {"shown": f"{value:.5E}" if isinstance(value, float) else str(value)}
    text = compact(value).lstrip("'").upper()
    if SCIENTIFIC.match(text):
        return "", _(
            "The ID number was stored as a number (%(shown)s), so its last digits are lost. "
            "In the spreadsheet, format the column as text and type the numbers again."
        ) % {"shown": text}
    return text, None


DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-./年](?P<m>\d{1,2})[-./月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
]
MONTH_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-./年](?P<m>\d{1,2})月?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$"),
]


def date_from_cell(value: Any) -> Any:
    """A date cell, an Excel serial day or a number like 20260305 as a date (the number as its
    text); anything else unchanged, for the caller's text patterns."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if 19000101 <= number <= 21001231 and number.is_integer():
            return str(int(number))
        if 1 <= number < 80000:
            return EXCEL_EPOCH + dt.timedelta(days=int(number))
    return value


def parse_date_cell(value: Any) -> tuple[dt.date | tuple[int, int] | None, str | None]:
    """A date (or (year, month) for 出生年月 columns), or an error message."""
    if value is None or value == "":
        return None, None
    value = date_from_cell(value)
    if isinstance(value, dt.date):
        return value, None
    text = compact(value)
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"])), None
            except ValueError:
                break
    for pattern in MONTH_PATTERNS:
        match = pattern.match(text)
        if match and 1 <= int(match["m"]) <= 12:
            return (int(match["y"]), int(match["m"])), None
    return None, _(
        "%(value)s is not a date. Write it as 1950-03-05, 1950.3.5, 1950年3月5日 or 19500305."
    ) % {"value": text}


def parse_categories(value: Any) -> tuple[list[str], str | None]:
    words = [w for w in re.split(r"[、,，;；/|\s]+", normalise_text(value)) if w]
    codes: list[str] = []
    unknown = []
    for word in words:
        code = CATEGORY_WORDS.get(word)
        if code is None:
            unknown.append(word)
        elif code not in codes:
            codes.append(code)
    if unknown:
        return codes, _("Unknown category %(words)s. Use: %(allowed)s.") % {
            "words": "、".join(unknown),
            "allowed": "低保、特困、残疾、留守儿童、困境儿童、孤儿、独居、空巢、失能、计生特殊家庭",
        }
    return codes, None


def parse_rows(table: list[list[Any]], *, category: str = "") -> Roster:
    """Turn the table into rows of service-shaped values plus cell errors."""
    header_index, columns, headings = find_header(table)
    roster = Roster(header_index + 1, headings, columns, [])
    for index in range(header_index + 1, len(table)):
        cells = table[index]
        if not any(normalise_text(c) for c in cells):
            continue
        roster.rows.append(_parse_row(roster, index + 1, cells, category))
    return roster


def _cell(cells: list[Any], columns: dict[str, int], field_name: str) -> Any:
    index = columns.get(field_name)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _parse_row(roster: Roster, number: int, cells: list[Any], category: str) -> RosterRow:
    row = RosterRow(row=number, cells=list(cells))
    columns = roster.columns

    def error(field_name: str, message: str) -> None:
        row.errors.append(CellError(number, roster.heading(field_name), message))

    def get(field_name: str) -> Any:
        return _cell(cells, columns, field_name)

    values = row.values
    values["name"] = compact(get("name"))
    id_text, id_error = parse_id_cell(get("id_number"))
    if id_error:
        error("id_number", id_error)
    values["id_number"] = id_text

    sex_text = compact(get("sex")).upper()
    if sex_text:
        sex = SEX_WORDS.get(sex_text[:1])
        if sex is None:
            error("sex", _("Write 男 or 女 for the sex, not %(value)s.") % {"value": sex_text})
        values["sex"] = sex or ""

    birth, birth_error = parse_date_cell(get("birth_date"))
    if birth_error:
        error("birth_date", birth_error)
    elif isinstance(birth, tuple):
        row.values["_birth_month"] = birth  # checked against the ID number later
    elif birth is not None:
        values["birth_date"] = birth

    values["phone"] = compact(get("phone"))
    values["address"] = normalise_text(get("address"))
    row.village_name = compact(get("village"))

    codes = [category] if category else []
    if "category" in columns:
        found, category_error = parse_categories(get("category"))
        if category_error:
            error("category", category_error)
        codes += [c for c in found if c not in codes]
    values["categories"] = codes

    kind_text = compact(get("disability_kind"))
    if kind_text:
        kind = next((v for k, v in DISABILITY_WORDS.items() if kind_text.startswith(k)), None)
        if kind is None:
            error(
                "disability_kind",
                _("Unknown disability kind %(value)s (视力, 听力, 言语, 肢体, 智力, 精神, 多重).")
                % {"value": kind_text},
            )
        values["disability_kind"] = kind or ""
    grade_text = compact(get("disability_grade")).replace("级", "")
    if grade_text:
        grade = GRADE_WORDS.get(grade_text)
        if grade is None:
            error(
                "disability_grade",
                _("The disability grade is 一级 to 四级, not %(value)s.") % {"value": grade_text},
            )
        values["disability_grade"] = grade

    notes = normalise_text(get("notes"))
    guardian = {
        "name": compact(get("guardian_name")),
        "id_number": parse_id_cell(get("guardian_id_number"))[0],
        "phone": compact(get("guardian_phone")),
    }
    if any(guardian.values()):
        row.guardian = guardian
        # Only the name goes into the notes: notes are not encrypted, phones must be.
        line = _("Guardian: %(name)s") % {"name": guardian["name"] or "—"}
        if guardian["name"] and line not in notes:
            notes = f"{notes}\n{line}".strip()
    values["notes"] = notes
    return row
