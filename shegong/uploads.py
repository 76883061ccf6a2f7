"""What every uploaded file must pass before anything reads or stores it.

One place for all uploads (rosters, bank statements, case documents, ledger evidence, partner
agreements, activity photos), so that a rule added here holds everywhere:

* size: never more than ``settings.SHEGONG_UPLOAD_MAX_BYTES`` (each kind may set less). A bigger
  file is cut off while it arrives (:class:`SizeCappedUploadHandler`) and the form says so; it is
  neither kept in memory nor written to disk past the limit.
* type: told by the file's first bytes, not its name. A program renamed ``.xlsx``, a picture
  named ``.xlsx`` or plain text named ``.xlsx`` is refused with the reason.
* zip-based files (.xlsx, .docx): refused when their members add up to more than
  ``settings.SHEGONG_UPLOAD_MAX_UNZIPPED_BYTES``, are compressed far better than real documents
  are, or hold macros. The sizes are checked twice: as the zip's headers declare them, then by
  decompressing every member in chunks against that budget (headers can lie; ``zipfile`` stops
  at the declared size and checks the CRC), all before calamine or anyone else opens the file.

Formulas in cells are never evaluated: calamine reads the value Excel stored, and whatever text
comes in is stored as text (exports neutralise formula-looking text, see ``shegong/exports.py``).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MB = 1024 * 1024

ZIP = b"PK\x03\x04"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc, and password-protected .xlsx/.docx
PDF = b"%PDF-"
JPEG = b"\xff\xd8\xff"
PNG = b"\x89PNG\r\n\x1a\n"
# Programs and scripts, whatever they are called: never accepted.
EXECUTABLES = (
    b"MZ",
    b"\x7fELF",
    b"#!",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
BINARY = (ZIP, OLE2, PDF, JPEG, PNG, b"GIF8", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", *EXECUTABLES)

# Real workbooks and documents compress their XML ten to thirty times; runs of one byte
# compress a thousand times. A member past MIN_RATIO_CHECK bytes must stay under MAX_RATIO.
MAX_RATIO = 150
MIN_RATIO_CHECK = MB
MAX_MEMBERS = 5000
MACRO_MEMBERS = ("vbaproject.bin", "vbadata.xml")

SPREADSHEET_SUFFIXES = {".xlsx", ".xls", ".csv"}
MACRO_SUFFIXES = {".xlsm", ".xlsb", ".xltm", ".docm", ".dotm", ".pptm"}
# Case documents, ledger evidence, agreements: office files, PDF, pictures, plain text.
DOCUMENT_SUFFIXES = {
    ".pdf": (PDF,),
    ".doc": (OLE2,),
    ".docx": (ZIP,),
    ".xls": (OLE2,),
    ".xlsx": (ZIP,),
    ".wps": (OLE2,),
    ".et": (OLE2,),
    ".ofd": (ZIP,),
    ".jpg": (JPEG,),
    ".jpeg": (JPEG,),
    ".png": (PNG,),
    ".txt": (),
}


def limit(kind_bytes: int) -> int:
    """The size limit of one kind of upload: its own, never more than the global one."""
    return min(kind_bytes, settings.SHEGONG_UPLOAD_MAX_BYTES)


def too_large(limit_bytes: int, message: str | None = None) -> ValidationError:
    """The refusal of a file past ``limit_bytes``; ``message`` replaces the generic text."""
    text = message or _("The file is larger than %(limit)s.") % {"limit": size_text(limit_bytes)}
    return ValidationError(text, code="too_large")


def size_text(size: int) -> str:
    """ "30 MB" for whole megabytes (as the help texts say it), else Django's "1.5 MB"."""
    return f"{size // MB} MB" if size >= MB and size % MB == 0 else filesizeformat(size)


def read_upload(upload: Any, *, limit_bytes: int, message: str | None = None) -> bytes:
    """The bytes of an uploaded file, once its size is known to be within ``limit_bytes``."""
    if upload.size > limit_bytes:
        raise too_large(limit_bytes, message)
    upload.seek(0)
    return upload.read()


def suffix_of(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


def check_spreadsheet(*, data: bytes, filename: str) -> None:
    """Raise ValidationError unless ``data`` really is the .xlsx, .xls or .csv its name says."""
    suffix = suffix_of(filename)
    if suffix in MACRO_SUFFIXES:
        raise _macros()
    if suffix not in SPREADSHEET_SUFFIXES:
        raise ValidationError(
            _("Only .xlsx, .xls and .csv files can be imported."), code="file_type"
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if _is_program(data):
        raise _program()
    if suffix == ".csv":
        # UTF-16 text is text: the reader names the encodings it takes.
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        if data.startswith(BINARY) or (b"\x00" in data[:65536] and not utf16):
            raise ValidationError(
                _("This file is not a CSV text file, whatever its name says."), code="file_type"
            )
        return
    if data.startswith(OLE2) and suffix == ".xlsx":
        raise ValidationError(
            _(
                "The workbook is password-protected or in an old format: open it in Excel or "
                "WPS, remove the password and save it as .xlsx."
            ),
            code="encrypted",
        )
    if data.startswith(ZIP):
        names = check_zip(data)
        if "xl/workbook.xml" not in names:
            raise _not_a_workbook()
        return
    # Anything else that starts like an Office binary file is calamine's to read or refuse.
    if not data.startswith(OLE2[:4]):
        raise _not_a_workbook()


def check_document(*, data: bytes, filename: str) -> None:
    """Raise ValidationError unless ``data`` is a document or picture of the type its name says."""
    suffix = suffix_of(filename)
    if suffix in MACRO_SUFFIXES:
        raise _macros()
    if suffix not in DOCUMENT_SUFFIXES:
        raise ValidationError(
            _("Only PDF, Word, Excel, WPS, OFD, JPEG, PNG and text files can be uploaded."),
            code="file_type",
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if _is_program(data):
        raise _program()
    signatures = DOCUMENT_SUFFIXES[suffix]
    if signatures and not data.startswith(signatures):
        raise ValidationError(
            _("The file's content is not a %(type)s file, whatever its name says.")
            % {"type": suffix.lstrip(".").upper()},
            code="file_type",
        )
    if not signatures and (data.startswith(BINARY) or b"\x00" in data[:65536]):
        raise ValidationError(
            _("The file's content is not a %(type)s file, whatever its name says.")
            % {"type": "TXT"},
            code="file_type",
        )
    if data.startswith(ZIP):
        check_zip(data)


def check_document_upload(upload: Any, *, limit_bytes: int) -> None:
    """:func:`check_document` on an uploaded file, size first, leaving it ready to be saved."""
    data = read_upload(upload, limit_bytes=limit_bytes)
    check_document(data=data, filename=upload.name)
    upload.seek(0)


def check_zip(data: bytes) -> set[str]:
    """The member names of a zip that is safe to open; ValidationError for a bomb or macros."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _damaged() from None
    budget = settings.SHEGONG_UPLOAD_MAX_UNZIPPED_BYTES
    declared = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or declared > budget:
        raise _bomb()
    for member in members:
        if member.flag_bits & 0x1:
            raise ValidationError(
                _("The file is password-protected: remove the password and upload it again."),
                code="encrypted",
            )
        if member.file_size > MIN_RATIO_CHECK and (
            member.file_size > MAX_RATIO * max(member.compress_size, 1)
        ):
            raise _bomb()
    names = {member.filename for member in members}
    if any(name.lower().rsplit("/", 1)[-1] in MACRO_MEMBERS for name in names):
        raise _macros()
    # The headers only say what the file claims: decompress it, a chunk at a time.
    produced = 0
    try:
        for member in members:
            with archive.open(member) as stream:
                while chunk := stream.read(MB):
                    produced += len(chunk)
                    if produced > budget:
                        raise _bomb()
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError):
        raise _damaged() from None
    return names


def _is_program(data: bytes) -> bool:
    return data.startswith(EXECUTABLES)


def _program() -> ValidationError:
    return ValidationError(
        _("This file is a program or script, not a document: it cannot be uploaded."),
        code="file_type",
    )


def _not_a_workbook() -> ValidationError:
    return ValidationError(
        _(
            "This file is not an Excel workbook, whatever its name says. Open it in Excel or "
            "WPS and save it as .xlsx."
        ),
        code="file_type",
    )


def _macros() -> ValidationError:
    return ValidationError(
        _("Files with macros are not accepted: save the file without macros (.xlsx or .docx)."),
        code="macros",
    )


def _bomb() -> ValidationError:
    return ValidationError(
        _("The file unpacks to far more data than a real document holds, so it was not opened."),
        code="zip_bomb",
    )


def _damaged() -> ValidationError:
    return ValidationError(
        _("The file is damaged and cannot be opened. Save it again and retry."), code="damaged"
    )


class OversizedUpload(UploadedFile):
    """Stands in for a file cut off at the size limit: its size is what arrived, it has no
    content, and every size check refuses it with the limit in the message."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(io.BytesIO(b""), name, content_type, size)


class SizeCappedUploadHandler(FileUploadHandler):
    """First of the upload handlers: past ``SHEGONG_UPLOAD_MAX_BYTES`` it keeps counting but
    stops passing data on, so nothing larger is held in memory or on disk. The request still
    completes (no connection reset): the form gets an :class:`OversizedUpload` and says why."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.SHEGONG_UPLOAD_MAX_BYTES:
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > settings.SHEGONG_UPLOAD_MAX_BYTES:
            return OversizedUpload(self.file_name, self.received, self.content_type)
        return None
