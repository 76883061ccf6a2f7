"""Asking for a monthly report, and generating it (what the background task runs).

Generation counts the figures of the area for the month (up to today for the current month),
writes the .xlsx and then the .docx in memory, and stores both files only at the end: a failure
at any step marks the report failed with the error and leaves no file behind. Running the task
again is safe: a finished report is left alone, a failed or stuck one is generated again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shegong.dashboard import figures
from shegong.elderly.visits import month_bounds
from shegong.regions.models import Level, Region

from . import selectors
from .labels import month_label, report_title
from .models import ACTIVE_STATUSES, MonthlyReport, ReportStatus

logger = logging.getLogger(__name__)

# A queued or running report that has not moved for this long lost its worker.
STALE_AFTER = dt.timedelta(minutes=30)
# The trend charts look back over this many months, ending with the report's month.
TREND_MONTHS = 12
ERROR_MAX_LENGTH = 500

# The steps of a generation, with the progress reached when each starts (translated when shown).
STEP_COUNTING = gettext_noop("Counting the figures")
STEP_WORKBOOK = gettext_noop("Writing the workbook")
STEP_CHARTS = gettext_noop("Drawing the charts")
STEP_DOCUMENT = gettext_noop("Writing the narrative")
STEP_SAVING = gettext_noop("Saving the files")
STEP_DONE = gettext_noop("Done")


@dataclass
class ReportData:
    """Everything the writers need: counted once, written twice."""

    region: Region
    month: dt.date
    start: dt.date
    end: dt.date
    generated_at: dt.datetime
    generated_by: str
    overview: dict[str, Any]
    breakdown: list[dict[str, Any]]
    series: dict[str, Any]
    charts: dict[str, bytes] = field(default_factory=dict)

    @property
    def area(self) -> str:
        return self.region.prefix

    @property
    def title(self) -> str:
        return report_title(self.region.name, self.month)

    @property
    def month_text(self) -> str:
        return month_label(self.month)


def first_of_month(value: dt.date) -> dt.date:
    return value.replace(day=1)


def previous_month(today: dt.date) -> dt.date:
    return first_of_month(first_of_month(today) - dt.timedelta(days=1))


def report_period(month: dt.date, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """[first, last day] of the month, the end clamped to today for the current month."""
    today = today or timezone.localdate()
    start, end = month_bounds(month)
    return start, min(end, today)


def _stuck_release(region: Region, month: dt.date) -> None:
    """A queued or running report of this area and month that has not moved for
    :data:`STALE_AFTER` lost its worker: it is marked failed so that it can be asked again."""
    MonthlyReport.objects.filter(
        region=region,
        month=month,
        status__in=ACTIVE_STATUSES,
        updated_at__lt=timezone.now() - STALE_AFTER,
    ).update(
        status=ReportStatus.FAILED,
        error=_("The report stopped without finishing (the worker was interrupted)."),
        finished_at=timezone.now(),
    )


def _already_running(region: Region, month: dt.date) -> ValidationError:
    return ValidationError(
        _(
            "The report of %(region)s for %(month)s is already being generated. Wait for it "
            "to finish, then open it in the archive."
        )
        % {"region": region.name, "month": month_label(month)},
        code="running",
    )


def _enqueue(report: MonthlyReport) -> None:
    from . import tasks  # the task module imports this one

    pk = report.pk
    transaction.on_commit(lambda: tasks.generate_report(pk))


def request_report(user: Any, area: str, month: dt.date) -> MonthlyReport:
    """Queue the report of the region whose prefix is ``area`` for ``month`` (any day of it).

    ``user`` is the member of staff asking (None for the automatic run). Refused: a month
    that has not begun, and a report of the same area and month still queued or running.
    The task is queued once the transaction commits.
    """
    if user is not None and not selectors.can_request(user, area):
        raise PermissionDenied
    month = first_of_month(month)
    if month > first_of_month(timezone.localdate()):
        raise ValidationError(
            _("A report can only be made for a month that has begun."), code="future"
        )
    region = Region.objects.get(code=area.ljust(12, "0"))
    _stuck_release(region, month)
    language = (translation.get_language() or "") if user is not None else ""
    try:
        with transaction.atomic():
            if MonthlyReport.objects.filter(
                region=region, month=month, status__in=ACTIVE_STATUSES
            ).exists():
                raise _already_running(region, month)
            report = MonthlyReport.objects.create(
                region=region,
                month=month,
                requested_by=user,
                language=language,
                step=STEP_COUNTING,
            )
    except IntegrityError:
        # Someone asked for the same report between the check and the insert.
        raise _already_running(region, month) from None
    _enqueue(report)
    return report


def report_retry(user: Any, report: MonthlyReport) -> MonthlyReport:
    """Queue a failed report again (its row is reused: the archive keeps no failed copy)."""
    if not selectors.can_request(user, report.region.prefix):
        raise PermissionDenied
    if report.status != ReportStatus.FAILED:
        raise ValidationError(_("Only a failed report can be tried again."), code="not_failed")
    _stuck_release(report.region, report.month)
    try:
        with transaction.atomic():
            changed = MonthlyReport.objects.filter(pk=report.pk, status=ReportStatus.FAILED).update(
                status=ReportStatus.QUEUED,
                progress=0,
                step=STEP_COUNTING,
                error="",
                requested_by=user,
                language=translation.get_language() or "",
                updated_at=timezone.now(),
                finished_at=None,
            )
    except IntegrityError:
        raise _already_running(report.region, report.month) from None
    report.refresh_from_db()
    if changed:
        _enqueue(report)
    return report


# -- generation ----------------------------------------------------------------------------------


def _progress(report: MonthlyReport, percent: int, step: str) -> None:
    """Written outside any transaction (the task runs in autocommit): the page polls it."""
    report.progress, report.step = percent, step
    MonthlyReport.objects.filter(pk=report.pk).update(
        progress=percent, step=step, updated_at=timezone.now()
    )


def _claim(report_id: int) -> MonthlyReport | None:
    """Mark the report running, or None when there is nothing to do: it is done, or another
    worker is on it (running and not stale)."""
    with transaction.atomic():
        report = (
            MonthlyReport.objects.select_for_update().select_related("region").get(pk=report_id)
        )
        if report.status == ReportStatus.DONE:
            return None
        stale = report.updated_at < timezone.now() - STALE_AFTER
        if report.status == ReportStatus.RUNNING and not stale:
            return None
        try:
            with transaction.atomic():
                MonthlyReport.objects.filter(pk=report.pk).update(
                    status=ReportStatus.RUNNING,
                    progress=0,
                    step=STEP_COUNTING,
                    error="",
                    updated_at=timezone.now(),
                    finished_at=None,
                )
        except IntegrityError:
            # A failed report re-run while the same area and month is generated again.
            return None
    report.refresh_from_db()
    return report


def _requester_name(report: MonthlyReport) -> str:
    if report.requested_by is None:
        return _("Automatic (first of the month)")
    return report.requested_by.display_name


def collect(report: MonthlyReport, today: dt.date | None = None) -> ReportData:
    """The figures of the report's area and month, and the trend of the last months."""
    start, end = report_period(report.month, today)
    area = report.region.prefix
    trend_start = report.month
    for _month in range(TREND_MONTHS - 1):
        trend_start = previous_month(trend_start)
    return ReportData(
        region=report.region,
        month=report.month,
        start=start,
        end=end,
        generated_at=timezone.localtime(),
        generated_by=_requester_name(report),
        overview=figures.overview(area=area, start=start, end=end),
        breakdown=figures.breakdown(area=area, start=start, end=end),
        series=figures.series(area=area, start=trend_start, end=end),
    )


def _file_name(report: MonthlyReport, data: ReportData, extension: str) -> str:
    return f"{report.region_id}-{report.month:%Y%m}-{report.pk}.{extension}"


def _write(report: MonthlyReport) -> None:
    from . import charts, document, workbook  # matplotlib loads only in the worker

    _progress(report, 5, STEP_COUNTING)
    data = collect(report)
    _progress(report, 30, STEP_WORKBOOK)
    xlsx = workbook.build(data)
    _progress(report, 55, STEP_CHARTS)
    data.charts = charts.draw(data)
    _progress(report, 75, STEP_DOCUMENT)
    docx = document.build(data)
    _progress(report, 95, STEP_SAVING)
    for file, extension in ((report.xlsx, "xlsx"), (report.docx, "docx")):
        # A worker killed between the two saves left its file under the very name this run
        # takes (the names carry the report's id): remove it, or the new file would get
        # another name and the old one would stay behind, belonging to nothing.
        file.storage.delete(
            file.field.generate_filename(report, _file_name(report, data, extension))
        )
    stored: list[Any] = []
    try:
        report.xlsx.save(_file_name(report, data, "xlsx"), ContentFile(xlsx), save=False)
        stored.append(report.xlsx)
        report.docx.save(_file_name(report, data, "docx"), ContentFile(docx), save=False)
        stored.append(report.docx)
        MonthlyReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.DONE,
            progress=100,
            step=STEP_DONE,
            period_end=data.end,
            figures=data.overview,
            xlsx=report.xlsx.name,
            docx=report.docx.name,
            updated_at=timezone.now(),
            finished_at=timezone.now(),
        )
    except BaseException:
        for file in stored:
            file.delete(save=False)
        raise


def report_generate(report_id: int) -> MonthlyReport:
    """Generate the report (the task's body); see the module docstring."""
    report = _claim(report_id)
    if report is None:
        return MonthlyReport.objects.get(pk=report_id)
    try:
        with translation.override(report.language or settings.LANGUAGE_CODE):
            _write(report)
    except Exception as exc:
        logger.exception("monthly report %s failed", report_id)
        MonthlyReport.objects.filter(pk=report_id).update(
            status=ReportStatus.FAILED,
            error=f"{exc.__class__.__name__}: {exc}"[:ERROR_MAX_LENGTH],
            xlsx="",
            docx="",
            updated_at=timezone.now(),
            finished_at=timezone.now(),
        )
    return MonthlyReport.objects.get(pk=report_id)


def reports_resume_stuck(now: dt.datetime | None = None) -> list[int]:
    """Generate the reports queued or running that have not moved for :data:`STALE_AFTER`:
    their worker was killed, or their task was lost with it. A report that another worker
    finishes meanwhile is left alone (see :func:`_claim`). Returns the ids generated."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stuck = MonthlyReport.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=cutoff)
    ids = list(stuck.order_by("pk").values_list("pk", flat=True))
    for report_id in ids:
        report_generate(report_id)
    return ids


# -- the automatic run ---------------------------------------------------------------------------


def monthly_reports_run(today: dt.date | None = None) -> list[MonthlyReport]:
    """Last month's report of every district and township, queued unless one is already done
    or on its way. Safe to run again."""
    month = previous_month(today or timezone.localdate())
    queued = []
    regions = Region.objects.filter(level__in=[Level.DISTRICT, Level.TOWNSHIP]).order_by("code")
    for region in regions:
        if MonthlyReport.objects.filter(
            region=region, month=month, status=ReportStatus.DONE
        ).exists():
            continue
        try:
            queued.append(request_report(None, region.prefix, month))
        except ValidationError:  # one is queued or running already
            continue
    return queued
