"""Excel exports of people lists, within the user's scope and with the masking rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from shegong.accounts import scope
from shegong.audit.models import AccessAction
from shegong.audit.services import access_record
from shegong.exports import safe_cell

from . import selectors
from .models import ExportJob, ExportStatus, Person


def _cell(worksheet, value: Any) -> Any:
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return safe_cell(value)


def write_xlsx(
    handle: IO[bytes], headings: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str
) -> int:
    """Stream rows into a one-sheet workbook (write-only mode keeps memory flat)."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])
    bold = Font(bold=True)
    header = []
    for heading in headings:
        cell = WriteOnlyCell(worksheet, value=heading)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    count = 0
    for row in rows:
        worksheet.append([_cell(worksheet, v) for v in row])
        count += 1
    workbook.save(handle)
    return count


PEOPLE_HEADINGS = [
    "姓名",
    "性别",
    "出生日期",
    "年龄",
    "身份证号",
    "联系电话",
    "乡镇（街道）",
    "村（社区）",
    "住址",
    "人员类别",
    "残疾类别",
    "残疾等级",
    "状态",
    "备注",
]


def _people_rows(people: Iterable[Person], *, unmasked: bool) -> Iterable[list[Any]]:
    today = dt.date.today()
    for person in people:
        labels = []
        if person.age_on(today) >= 60:
            labels.append("老年人")
        elif person.age_on(today) < 18:
            labels.append("儿童")
        labels += [c.get_category_display() for c in person.categories.all()]
        yield [
            person.name,
            person.get_sex_display(),
            person.birth_date,
            person.age_on(today),
            person.id_number if unmasked else person.id_number_masked,
            person.phone if unmasked else person.phone_masked,
            person.region.parent.name if person.region.parent else "",
            person.region.name,
            person.address,
            "、".join(labels),
            person.get_disability_kind_display() if person.disability_kind else "",
            person.get_disability_grade_display() if person.disability_grade else "",
            person.get_status_display(),
            person.notes,
        ]


def export_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_job_create(*, by: Any, filters: selectors.PeopleFilters, unmasked: bool) -> ExportJob:
    if not scope.can_read_registry(by):
        raise PermissionError
    unmasked = unmasked and scope.can_reveal(by)
    return ExportJob.objects.create(
        created_by=by,
        params={
            "q": filters.q,
            "region": filters.region,
            "category": filters.category,
            "status": filters.status,
        },
        unmasked=unmasked,
    )


def export_job_run(job_id: int, progress: Callable[[int, int], None] | None = None) -> ExportJob:
    """Write the file; on any error the job says it failed (the page stops waiting)."""
    try:
        return _export(job_id, progress)
    except Exception as exc:
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED,
            message=_(
                "The export failed (%(error)s). Try again; if it fails again, tell the "
                "district administrator."
            )
            % {"error": exc.__class__.__name__},
            finished_at=timezone.now(),
        )
        raise


def _export(job_id: int, progress: Callable[[int, int], None] | None) -> ExportJob:
    """Write the file. Unmasked exports are recorded in the access log, with the filters."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    user = job.created_by
    filters = selectors.PeopleFilters(**job.params)
    queryset = selectors.person_list(fetched_by=user, filters=filters).order_by(
        "region_id", "name", "id"
    )
    total = queryset.count()
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, rows_total=total)
    done = 0

    def counted(rows: Iterable[list[Any]]) -> Iterable[list[Any]]:
        nonlocal done
        for row in rows:
            done += 1
            if progress and done % 1000 == 0:
                progress(done, total)
            yield row

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = export_dir() / f"people-{job.pk}-{stamp}.xlsx"
    with open(path, "wb") as handle:
        rows = counted(_people_rows(queryset.iterator(chunk_size=2000), unmasked=job.unmasked))
        write_xlsx(handle, PEOPLE_HEADINGS, rows, sheet=_("People"))
    if progress:
        progress(total, total)
    if job.unmasked:
        access_record(
            user=user,
            action=AccessAction.EXPORT,
            obj=job,
            field="id_number,phone",
            detail=f"{total} rows; filters {job.params}",
        )
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, file_path=str(path), rows_total=total, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def export_files_purge(*, older_than: dt.timedelta) -> int:
    """Exported lists are for downloading now, not for keeping on the server."""
    cutoff = timezone.now() - older_than
    removed = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).exclude(file_path=""):
        path = Path(job.file_path)
        if path.exists():
            path.unlink()
            removed += 1
        ExportJob.objects.filter(pk=job.pk).update(file_path="")
    return removed
