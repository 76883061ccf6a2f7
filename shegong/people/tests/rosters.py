"""Roster files for the import tests, built the way villages' files look.

``xlsx`` writes with openpyxl (title rows, merged cells, numbers and dates as Excel stores them),
``csv_bytes`` in UTF-8 or GBK, and ``xls`` a real BIFF8 workbook: no .xls writer is installed,
so it assembles the compound file and the BIFF records itself (enough for calamine to read
text and number cells, which is all a roster has).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

from shegong.people import idnumbers

HEADINGS = [
    "序号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "联系电话",
    "家庭住址",
    "所属村",
    "类别",
]


def id_number(birth: dt.date, sequence: int, area: str = "130111") -> str:
    return idnumbers.make(area, birth, sequence)


def id_number_ending_in_x(birth: dt.date, *, male: bool = True) -> str:
    """A valid number whose check character is X (sequence chosen to make it so)."""
    for sequence in range(1 if male else 2, 999, 2):
        number = idnumbers.make("130111", birth, sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")


def xlsx(
    rows: Sequence[Sequence[Any]],
    *,
    title_rows: Sequence[Sequence[Any]] = (),
    merge: Sequence[str] = (),
    sheet: str = "花名册",
) -> bytes:
    """A workbook whose first sheet holds ``title_rows`` then ``rows`` (header first)."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in [*title_rows, *rows]:
        worksheet.append(list(row))
    for cells in merge:
        worksheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes | str) -> list[list[Any]]:
    """The first sheet's rows as values (for checking error files and exports)."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    worksheet = load_workbook(source).worksheets[0]
    return [list(row) for row in worksheet.iter_rows(values_only=True)]


def csv_bytes(rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


# -- .xls (BIFF8 in a compound file) -----------------------------------------------------------


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(substream: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 0x07CC, 0, 0x06))


def _unicode(text: str, *, length_bytes: int = 2) -> bytes:
    head = struct.pack("<H" if length_bytes == 2 else "<B", len(text))
    return head + b"\x01" + text.encode("utf-16-le")


def _biff8(rows: Sequence[Sequence[Any]], sheet: str) -> bytes:
    cells = b""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                cells += _record(0x0204, struct.pack("<HHH", r, c, 0) + _unicode(value))
            else:
                cells += _record(0x0203, struct.pack("<HHHd", r, c, 0, float(value)))
    width = max(len(row) for row in rows)
    worksheet = (
        _bof(0x0010)
        + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
        + cells
        + _record(0x000A)
    )

    def workbook_globals(sheet_offset: int) -> bytes:
        return (
            _bof(0x0005)
            + _record(0x0042, struct.pack("<H", 1200))  # code page: UTF-16
            + _record(
                0x0085, struct.pack("<IBB", sheet_offset, 0, 0) + _unicode(sheet, length_bytes=1)
            )
            + _record(0x000A)
        )

    head = workbook_globals(0)
    return workbook_globals(len(head)) + worksheet


def _compound_file(stream: bytes, name: str = "Workbook") -> bytes:
    """One stream in an OLE2 compound file (512-byte sectors; the stream is padded to the
    4096-byte mini-stream cutoff so it lives in ordinary sectors)."""
    sector = 512
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    stream = stream.ljust(max(4096, -(-len(stream) // sector) * sector), b"\0")
    count = len(stream) // sector
    fat = [fat_sector, end] + [3 + i for i in range(count - 1)] + [end]
    assert len(fat) <= 128, "roster too large for the one-sector FAT of this test helper"
    fat += [free] * (128 - len(fat))

    def entry(entry_name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = entry_name.encode("utf-16-le") + b"\0\0" if entry_name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", no_stream, no_stream, child)
            + b"\0" * 36
            + struct.pack("<IIi", start, size, 0)
        )

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry(name, 2, no_stream, 2, len(stream))
        + entry("", 0, no_stream, 0, 0) * 2
    )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    return header + struct.pack("<128I", *fat) + directory + stream


def xls(rows: Sequence[Sequence[Any]], *, sheet: str = "花名册") -> bytes:
    """A real Excel 97-2003 workbook: text cells as text, numbers as numbers."""
    return _compound_file(_biff8(rows, sheet))
