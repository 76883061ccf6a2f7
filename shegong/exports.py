"""Every list exports to .xlsx: the rows of the list page, within the user's scope.

A list view that already gated the user and filtered its queryset through the scope gate and
its own filter code hands that queryset to :func:`xlsx_response` with its columns::

    if exports.requested(request):
        return exports.xlsx_response(
            request, title=_("Colour-card children"), rows=queryset, columns=CHILD_COLUMNS
        )

The workbook has a title block (list name, filters applied, who exported it and when), a bold
header row frozen under it, and one row per record. ID numbers and phones are written masked,
as the lists show them; ``?unmasked=1`` from a user who may reveal writes them in full and is
recorded in the access log. Exports are written synchronously into a temporary file (the
workbook in write-only mode keeps memory flat) up to a cap, ``SHEGONG_EXPORT_MAX_ROWS``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shegong.accounts import scope
from shegong.audit.models import AccessAction
from shegong.audit.services import access_record
from shegong.regions.models import Region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_MAX_ROWS = 100_000
# Query parameters that steer the export, not the list: never shown as "filters applied".
# ``part`` picks one of several lists shown on one page (an institution's residents or ledger).
CONTROL_PARAMS = frozenset({"export", "unmasked", "page", "part"})
# Text a spreadsheet would run as a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_ROW = 4

# Labels of the filter parameters the lists share; a list may pass its own.
FILTER_LABELS = {
    "q": gettext_lazy("Search"),
    "region": gettext_lazy("Region"),
    "status": gettext_lazy("Status"),
    "category": gettext_lazy("Category"),
    "colour": gettext_lazy("Colour card"),
    "level": gettext_lazy("Ability level"),
    "overdue": gettext_lazy("Overdue"),
    "unassigned": gettext_lazy("Unassigned"),
    "kind": gettext_lazy("Kind"),
    "target": gettext_lazy("Target group"),
    "from": gettext_lazy("From"),
    "to": gettext_lazy("To"),
    "registered": gettext_lazy("Registered"),
    "skill": gettext_lazy("Skill"),
    "active": gettext_lazy("Active"),
}


@dataclass(frozen=True)
class Column:
    """One column: its header, how to read the cell from a row, and (for masked personal data)
    how to read the full value for an unmasked export."""

    label: str
    value: Callable[[Any], Any]
    full: Callable[[Any], Any] | None = None
    width: int = 14
    # The field name the access log records when the full value is exported.
    field: str = ""


def person_of(path: str) -> Callable[[Any], Any]:
    """An accessor for the person behind a row (``"person"``, ``"resident.person"``, or ``""``
    when the row is the person)."""

    def get(row: Any) -> Any:
        for part in filter(None, path.split(".")):
            row = getattr(row, part)
        return row

    return get


def id_number_column(person: Callable[[Any], Any], label: str | None = None) -> Column:
    return Column(
        label or _("ID number"),
        lambda row: person(row).id_number_masked,
        full=lambda row: person(row).id_number,
        width=21,
        field="id_number",
    )


def phone_column(person: Callable[[Any], Any], label: str | None = None) -> Column:
    return Column(
        label or _("phone"),
        lambda row: person(row).phone_masked,
        full=lambda row: person(row).phone,
        width=15,
        field="phone",
    )


def requested(request: HttpRequest) -> bool:
    return request.GET.get("export") == "xlsx"


def max_rows() -> int:
    return int(getattr(settings, "SHEGONG_EXPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def wants_unmasked(request: HttpRequest) -> bool:
    """An unmasked export is a deliberate request, honoured only for those who may reveal."""
    return request.GET.get("unmasked") == "1" and scope.can_reveal(request.user)


def describe_filters(
    params: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The filters of the list page in words ("Region: 某镇; Search: 王"); region codes by
    name, and any other value by the name ``values[key]`` gives it (a worker's id, say)."""
    labels = {**FILTER_LABELS, **(labels or {})}
    values = values or {}
    shown = [
        (key, str(value).strip())
        for key, value in params.items()
        if key not in CONTROL_PARAMS and str(value).strip()
    ]
    codes = [value.ljust(12, "0") for key, value in shown if key == "region" and value.isdigit()]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    parts = []
    for key, value in shown:
        if key == "region":
            value = names.get(value.ljust(12, "0"), value)
        value = values.get(key, {}).get(value, value)
        parts.append(f"{labels.get(key, key)}: {value}")
    return "; ".join(parts) if parts else _("none")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe: every
    workbook the platform writes passes its text through here (openpyxl itself stores a
    string starting with ``=`` as a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write the local wall-clock time, as the pages show it.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None or isinstance(value, (str, int, float, bool, Decimal, dt.date)):
        return value
    return str(value)


def _cell(worksheet: Any, value: Any) -> Any:
    value = _safe(value)
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
        return cell
    return value


def write_workbook(
    handle: Any,
    *,
    title: str,
    subtitle: Sequence[str],
    columns: Sequence[Column],
    rows: Iterable[Any],
    unmasked: bool,
    limit: int,
) -> int:
    """Stream ``rows`` (at most ``limit``) into a one-sheet workbook; returns the row count."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=_sheet_name(title))
    for index, column in enumerate(columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = column.width
    worksheet.freeze_panes = f"A{HEADER_ROW + 1}"
    heading = WriteOnlyCell(worksheet, value=title)
    heading.font = Font(bold=True, size=14)
    worksheet.append([heading])
    for line in subtitle:
        worksheet.append([line])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(worksheet, value=str(column.label))
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    count = 0
    for row in rows:
        if count >= limit:
            break
        worksheet.append(
            [_cell(worksheet, (c.full if unmasked and c.full else c.value)(row)) for c in columns]
        )
        count += 1
    workbook.save(handle)
    return count


def _sheet_name(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title[:31] or "Sheet"


def content_disposition(filename: str) -> str:
    """An attachment with the (Chinese) name as RFC 5987 ``filename*`` and an ASCII fallback."""
    fallback = filename.encode("ascii", "ignore").decode().strip(" -") or "export.xlsx"
    if not fallback.endswith(".xlsx"):
        fallback = "export.xlsx"
    fallback = fallback.replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _model_of(rows: Any) -> Any:
    if isinstance(rows, QuerySet):
        return rows.model
    return type(rows[0]) if rows else None


class _ListExport:
    """What the access log names for an exported list: the model, not one record."""

    def __init__(self, model: Any) -> None:
        self._meta = model._meta
        self.pk = "list"


def _without_export(request: HttpRequest) -> str:
    params = request.GET.copy()
    for key in CONTROL_PARAMS:
        params.pop(key, None)
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


def xlsx_response(
    request: HttpRequest,
    *,
    title: str,
    rows: QuerySet | Iterable[Any],
    columns: Sequence[Column],
    filename: str | None = None,
    filter_labels: Mapping[str, str] | None = None,
    filter_values: Mapping[str, Mapping[str, str]] | None = None,
) -> HttpResponse:
    """The list as an .xlsx download, or (past the cap) back to the list with a message.

    ``rows`` must already have gone through the scope gate and the list's own filters."""
    user = request.user
    unmasked = wants_unmasked(request) and any(c.full for c in columns)
    limit = max_rows()
    total = rows.count() if isinstance(rows, QuerySet) else len(rows := list(rows))
    if total > limit:
        messages.error(
            request,
            _(
                "This list has %(count)s rows; an export holds at most %(limit)s. Narrow the "
                "filters (for example to one township) and export again."
            )
            % {"count": total, "limit": limit},
        )
        return HttpResponseRedirect(_without_export(request))
    now = timezone.localtime()
    if unmasked:
        masking = _("ID numbers and phones in full (recorded in the access log).")
    elif any(c.full for c in columns):
        masking = _("ID numbers and phones masked.")
    else:
        masking = ""
    subtitle = [
        _("Filters: %(filters)s")
        % {"filters": describe_filters(request.GET, filter_labels, filter_values)},
        " ".join(
            [
                _("Exported by %(user)s at %(time)s.")
                % {"user": str(user), "time": now.strftime("%Y-%m-%d %H:%M")},
                masking,
            ]
        ).strip(),
    ]
    if isinstance(rows, QuerySet):
        iterable: Iterable[Any] = rows.iterator(chunk_size=2000)
    else:
        iterable = rows
    # A temporary file rather than memory: a 100,000-row workbook is tens of megabytes. The
    # response closes it once sent (and the file system forgets it then).
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    written = write_workbook(
        handle,
        title=title,
        subtitle=subtitle,
        columns=columns,
        rows=iterable,
        unmasked=unmasked,
        limit=limit,
    )
    handle.seek(0)
    if unmasked:
        access_record(
            user=user,
            action=AccessAction.EXPORT,
            obj=_ListExport(_model_of(rows) or type(user)),
            field=",".join(sorted({c.field or str(c.label) for c in columns if c.full}))[:50],
            detail=_("%(title)s: %(count)s rows; %(filters)s")
            % {"title": title, "count": written, "filters": subtitle[0]},
            request=request,
        )
    name = filename or f"{title}-{now:%Y%m%d-%H%M}.xlsx"
    response = FileResponse(handle, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(name)
    response["Cache-Control"] = "no-store"
    return response
