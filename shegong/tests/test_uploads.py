"""Bad files and bad text: every upload refuses what it must not read, quickly and in Chinese,
and text that looks like markup or a formula is kept as typed but never runs anywhere."""

from __future__ import annotations

import datetime as dt
import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from shegong import exports, uploads
from shegong.factories import PersonFactory
from shegong.people import imports, roster
from shegong.people.models import ImportJob, OnExisting
from shegong.people.tests.rosters import csv_bytes, id_number, xlsx
from shegong.testing import is_chinese

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100
TEXT = "姓名,身份证号\n张建国,130111195003051234\n".encode()
GIB = 1024**3


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> bytes:
    """A .xlsx-named zip with a real workbook part and 1 GB of zeros (about 1 MB packed),
    written a megabyte at a time so that the test itself never holds it."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = bytes(1024 * 1024)
            for _ in range(1024):
                member.write(zeros)
    return path.read_bytes()


def lying_bomb() -> bytes:
    """50 MB of zeros whose headers claim 1,000 bytes: only decompressing tells."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(50 * 1024 * 1024))
    data = bytearray(out.getvalue())
    real = (50 * 1024 * 1024).to_bytes(4, "little")
    claimed = (1000).to_bytes(4, "little")
    assert data.count(real) == 2  # local header and central directory
    return bytes(data.replace(real, claimed))


def refusal(data: bytes, filename: str) -> str:
    with pytest.raises(ValidationError) as caught:
        uploads.check_spreadsheet(data=data, filename=filename)
    [message] = caught.value.messages
    return message


# ---- what a spreadsheet must be -------------------------------------------------------------


PROGRAM = "This file is a program or script, not a document: it cannot be uploaded."
NOT_A_WORKBOOK = (
    "This file is not an Excel workbook, whatever its name says. Open it in Excel or "
    "WPS and save it as .xlsx."
)
NOT_CSV = "This file is not a CSV text file, whatever its name says."
BOMB = "The file unpacks to far more data than a real document holds, so it was not opened."
DAMAGED = "The file is damaged and cannot be opened. Save it again and retry."
MACROS = "Files with macros are not accepted: save the file without macros (.xlsx or .docx)."


@pytest.mark.parametrize(
    ("data", "filename", "says"),
    [
        (EXE, "名单.xlsx", PROGRAM),
        (EXE, "名单.csv", PROGRAM),
        (PNG, "名单.xlsx", NOT_A_WORKBOOK),
        (TEXT, "名单.xlsx", NOT_A_WORKBOOK),
        (PNG, "名单.csv", NOT_CSV),
        (b"\x00\x01\x02 binary", "名单.csv", NOT_CSV),
        (b"anything", "名单.exe", "Only .xlsx, .xls and .csv files can be imported."),
        (b"", "名单.xlsx", "The file is empty."),
    ],
)
def test_a_file_that_is_not_what_its_name_says_is_refused_with_the_reason(data, filename, says):
    assert refusal(data, filename) == gettext(says)


def test_every_refusal_reads_in_chinese(zip_bomb):
    """Needs the zh_Hans catalogue to hold this module's messages (``make messages``)."""
    for data, filename in [(EXE, "a.xlsx"), (PNG, "a.xlsx"), (PNG, "a.csv"), (zip_bomb, "a.xlsx")]:
        with pytest.raises(ValidationError) as caught:
            uploads.check_spreadsheet(data=data, filename=filename)
        assert is_chinese(caught.value.messages[0]), caught.value.messages


def test_a_docx_renamed_xlsx_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")

    assert refusal(out.getvalue(), "名单.xlsx") == gettext(NOT_A_WORKBOOK)


def test_real_workbooks_and_csv_files_pass():
    uploads.check_spreadsheet(data=xlsx([["姓名"], ["张建国"]]), filename="名单.xlsx")
    uploads.check_spreadsheet(data=csv_bytes([["姓名"], ["张建国"]]), filename="名单.csv")
    uploads.check_spreadsheet(
        data=csv_bytes([["姓名"], ["张建国"]], encoding="gbk"), filename="名单.CSV"
    )


def test_a_zip_bomb_named_xlsx_is_refused_fast_and_without_unpacking_it(zip_bomb):
    assert len(zip_bomb) < 20 * 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()

    message = refusal(zip_bomb, "花名册.xlsx")

    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert message == gettext(BOMB)
    assert elapsed < 2 and peak < 64 * 1024 * 1024


def test_the_import_never_hands_a_zip_bomb_to_calamine(zip_bomb, regions, village_director):
    started = time.monotonic()
    with pytest.raises(roster.RosterError):
        roster.read_table(zip_bomb, "花名册.xlsx")
    with pytest.raises(ValidationError):
        imports.import_job_create(
            by=village_director,
            region_code=regions.village.code,
            filename="花名册.xlsx",
            content=zip_bomb,
        )

    assert time.monotonic() - started < 4
    assert not ImportJob.objects.exists()


def test_a_bomb_whose_headers_lie_about_its_size_is_caught_when_unpacked(settings):
    data = lying_bomb()

    message = refusal(data, "花名册.xlsx")

    assert message == gettext(DAMAGED)


def test_the_unpacked_budget_is_a_setting(settings):
    settings.SHEGONG_UPLOAD_MAX_UNZIPPED_BYTES = 1000
    big = xlsx([["姓名", "备注"], *[["张建国", "说明" * 50] for _ in range(50)]])

    assert refusal(big, "名单.xlsx") == gettext(BOMB)


def macro_workbook() -> bytes:
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx([["姓名"], ["张建国"]])))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Auto_Open")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename"),
    [(xlsx([["姓名"], ["张建国"]]), "名单.xlsm"), (macro_workbook(), "名单.xlsx")],
)
def test_workbooks_with_macros_are_refused(data, filename):
    assert refusal(data, filename) == gettext(MACROS)


def test_formulas_are_read_as_their_stored_value_never_run(regions, village_director):
    """A formula cell reaches us as what Excel last showed (nothing, for a file never opened
    in Excel); a formula typed as text stays text."""
    book = openpyxl.Workbook()
    book.active.append(["姓名", "身份证号", "备注"])
    number = id_number(dt.date(1950, 3, 5), 13)
    book.active.append(['=HYPERLINK("http://evil.example/","点我")', number, "=cmd|' /C calc'!A0"])
    out = io.BytesIO()
    book.save(out)

    table = roster.read_table(out.getvalue(), "名单.xlsx")

    assert table[1][0] in ("", None)  # no cached value: the formula was not evaluated
    text = roster.read_table(
        csv_bytes([["姓名", "备注"], ["=cmd|' /C calc'!A0", "=1+1"]]), "名单.csv"
    )
    assert text[1] == ["=cmd|' /C calc'!A0", "=1+1"]


# ---- the pages ------------------------------------------------------------------------------


def post_roster(client, region, name: str, content: bytes):
    return client.post(
        reverse("people:imports"),
        {
            "file": SimpleUploadedFile(name, content),
            "region_code": region.code,
            "category": "",
            "on_existing": OnExisting.UPDATE,
        },
    )


@pytest.mark.parametrize(
    ("content", "says"), [(EXE, PROGRAM), (PNG, NOT_A_WORKBOOK), (TEXT, NOT_A_WORKBOOK)]
)
def test_the_import_page_refuses_a_disguised_file_and_stores_nothing(
    director_client, regions, content, says
):
    response = post_roster(director_client, regions.village, "名单.xlsx", content)

    assert response.status_code == 200
    assert escape(gettext(says)) in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused_cleanly_and_never_stored(
    director_client, regions, settings
):
    settings.SHEGONG_UPLOAD_MAX_BYTES = 4096
    content = xlsx([["姓名", "备注"], *[["张建国", f"{n} " * 400] for n in range(40)]])
    assert len(content) > 4096

    response = post_roster(director_client, regions.village, "名单.xlsx", content)

    assert response.status_code == 200
    body = response.content.decode()
    assert escape(imports.too_large_message(4096)) in body
    assert not ImportJob.objects.exists()


def test_the_upload_handler_stops_keeping_data_past_the_limit(settings):
    settings.SHEGONG_UPLOAD_MAX_BYTES = 10
    handler = uploads.SizeCappedUploadHandler()
    handler.new_file("file", "a.xlsx", "application/octet-stream", 100)

    assert handler.receive_data_chunk(b"x" * 8, 0) == b"x" * 8
    assert handler.receive_data_chunk(b"x" * 8, 8) is None
    oversized = handler.file_complete(16)
    assert oversized.size == 16 and oversized.read() == b""
    with pytest.raises(ValidationError) as caught:
        uploads.read_upload(oversized, limit_bytes=uploads.limit(30 * 1024 * 1024))
    assert caught.value.code == "too_large"


def test_the_global_limit_caps_every_kind(settings):
    settings.SHEGONG_UPLOAD_MAX_BYTES = 1000

    assert uploads.limit(5 * 1024 * 1024) == 1000
    assert imports.max_upload_bytes() == 1000


@pytest.mark.parametrize(
    ("data", "filename"),
    [(EXE, "成绩单.pdf"), (PNG, "成绩单.pdf"), (EXE, "说明.txt"), (b"x", "脚本.html")],
)
def test_documents_must_be_what_their_name_says(data, filename):
    with pytest.raises(ValidationError) as caught:
        uploads.check_document(data=data, filename=filename)

    assert caught.value.code == "file_type"


def test_real_documents_pass():
    for data, filename in [
        (b"%PDF-1.7 ...", "判决书.pdf"),
        (PNG, "照片.png"),
        ("学校情况说明".encode(), "说明.txt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "旧文档.doc"),
    ]:
        uploads.check_document(data=data, filename=filename)


# ---- markup and formulas typed as text ------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_markup_in_a_name_is_stored_as_typed_and_shown_escaped(admin_client, regions):
    person = PersonFactory(region=regions.village, name=SCRIPT, address=SCRIPT, notes=SCRIPT)
    person.refresh_from_db()
    assert person.name == SCRIPT

    for url in (reverse("people:detail", args=[person.pk]), reverse("people:list") + "?q=alert"):
        body = admin_client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
        assert SCRIPT not in body, url


@pytest.mark.parametrize("typed", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "=cmd|' /C calc'!A0"])
def test_every_workbook_writer_neutralises_formula_looking_text(typed):
    from shegong.people import exports as people_exports

    assert exports.safe_cell(typed) == "'" + typed
    assert people_exports.safe_cell(typed) == "'" + typed
    assert exports._safe(typed) == "'" + typed
    assert exports.safe_cell("张建国") == "张建国" and exports.safe_cell(-3) == -3


def test_the_list_export_writes_a_formula_looking_name_as_text(admin_client, regions):
    PersonFactory(region=regions.village, name="=cmd|' /C calc'!A0")

    response = admin_client.get(reverse("people:list") + "?export=xlsx")

    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert "'=cmd|' /C calc'!A0" in values
    assert all(cell.data_type != "f" for cell in cells)
