"""Generating a report: the workbook and the narrative hold the dashboard's figures; a failure
leaves no file and can be run again; a finished report is never generated twice."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import openpyxl
import pytest
from django.utils import timezone, translation

from shegong.dashboard import figures
from shegong.dashboard.tests.conftest import START, TODAY
from shegong.reports import document, services, tasks
from shegong.reports.labels import PROGRAMMES, columns, number, shown
from shegong.reports.models import MonthlyReport, ReportStatus

pytestmark = pytest.mark.django_db


def workbook(report: MonthlyReport) -> openpyxl.Workbook:
    with report.xlsx.open("rb") as handle:
        return openpyxl.load_workbook(io.BytesIO(handle.read()))


def narrative(report: MonthlyReport):
    with report.docx.open("rb") as handle:
        return docx.Document(io.BytesIO(handle.read()))


def figure_cells(sheet) -> dict[str, object]:
    """The figure table of a programme sheet: label → value (from its header to a blank row)."""
    found, inside = {}, False
    for label, value, *_rest in sheet.iter_rows(min_row=1, max_col=3, values_only=True):
        if inside and label is None:
            break
        if inside:
            found[label] = value
        inside = inside or label == translation.gettext("Figure")
    return found


def breakdown_total(sheet) -> dict[str, object]:
    """The total row of the per-township (per-village) table: column heading → value."""
    rows = list(sheet.iter_rows(values_only=True))
    total = next(i for i, row in enumerate(rows) if row[0] == translation.gettext("Total"))
    start = total
    while rows[start - 1][1] is not None:  # up to the header, under the table's title
        start -= 1
    return dict(zip(rows[start], rows[total], strict=True))


def files_in(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_a_township_report_holds_the_dashboard_figures(data, regions, district_admin, generate):
    report = generate(district_admin, regions.township.prefix, TODAY)
    assert (report.status, report.progress, report.error) == (ReportStatus.DONE, 100, "")
    assert report.period_end == TODAY and report.finished_at is not None
    area = regions.township.prefix
    overview = figures.overview(area=area, start=START, end=TODAY)
    assert report.figures["visits"] == overview["visits"] == 3

    book = workbook(report)
    with translation.override(report.language or "zh-hans"):
        assert book.sheetnames[1:] == [str(p.label) for p in PROGRAMMES]
        assert "未成年人" in book.sheetnames
        for programme in PROGRAMMES:
            sheet = book[str(programme.label)]
            cells = figure_cells(sheet)
            for figure in shown(programme, area):
                expected = number(figure, overview[figure.key])
                assert cells[str(figure.label)] == expected, figure.key
            total = breakdown_total(sheet)
            for key in columns(programme, area):
                label = next(str(f.label) for f in programme.figures if f.key == key)
                assert total[label] == overview[key], key
            assert sheet._charts, programme.key


def test_the_narrative_states_the_figures_with_charts(data, regions, district_admin, generate):
    report = generate(district_admin, regions.township.prefix, TODAY)
    overview = figures.overview(area=regions.township.prefix, start=START, end=TODAY)
    found = narrative(report)
    text = "\n".join(paragraph.text for paragraph in found.paragraphs)
    assert "栾城镇" in found.paragraphs[0].text
    bold = {run.text for p in found.paragraphs for run in p.runs if run.bold}
    for key in ("visits", "colour_red", "elderly_special", "activities_held", "person_times"):
        assert str(overview[key]) in bold, key
    assert f"{overview['visit_rate']}%" in text
    cells = [cell.text for table in found.tables for row in table.rows for cell in row.cells]
    assert "东庄村" in cells and "西庄村" in cells
    assert len(found.inline_shapes) >= 5
    assert len(found.tables) == len(PROGRAMMES)


def test_a_village_report_has_no_breakdown(data, regions, district_admin, generate):
    report = generate(district_admin, regions.village.prefix, TODAY)
    assert report.status == ReportStatus.DONE
    book = workbook(report)
    sheet = book[book.sheetnames[2]]  # minors
    assert figure_cells(sheet)
    assert translation.gettext("Total") not in [row[0] for row in sheet.iter_rows(values_only=True)]
    assert narrative(report).tables == []


def test_a_failure_marks_the_report_failed_and_leaves_no_file(
    data, regions, district_admin, generate, media, monkeypatch
):
    def broken(data):
        raise RuntimeError("the printer is on fire")

    monkeypatch.setattr(document, "build", broken)
    report = generate(district_admin, regions.township.prefix, TODAY)
    assert report.status == ReportStatus.FAILED
    assert "the printer is on fire" in report.error
    assert not report.xlsx and not report.docx
    assert files_in(media) == []

    monkeypatch.undo()
    tasks.generate_report(report.pk)
    report.refresh_from_db()
    assert (report.status, report.progress, report.error) == (ReportStatus.DONE, 100, "")
    assert len(files_in(media)) == 2


def test_a_failure_while_saving_removes_the_file_already_saved(
    data, regions, district_admin, generate, media, monkeypatch
):
    real = services._file_name

    def no_docx(report, data, extension):
        if extension == "docx":
            raise OSError("disk full")
        return real(report, data, extension)

    monkeypatch.setattr(services, "_file_name", no_docx)
    report = generate(district_admin, regions.township.prefix, TODAY)
    assert report.status == ReportStatus.FAILED and "disk full" in report.error
    assert files_in(media) == []


def test_running_the_task_again_on_a_done_report_does_nothing(
    data, regions, district_admin, generate, media
):
    report = generate(district_admin, regions.township.prefix, TODAY)
    before = (report.finished_at, report.xlsx.name, report.docx.name)
    tasks.generate_report(report.pk)
    report.refresh_from_db()
    assert (report.finished_at, report.xlsx.name, report.docx.name) == before
    assert len(files_in(media)) == 2


def test_a_running_report_is_left_to_its_worker_until_it_is_stuck(regions, district_admin):
    report = MonthlyReport.objects.create(
        region=regions.township, month=START, status=ReportStatus.RUNNING, progress=30
    )
    services.report_generate(report.pk)
    report.refresh_from_db()
    assert (report.status, report.progress) == (ReportStatus.RUNNING, 30)

    stale = timezone.now() - services.STALE_AFTER - dt.timedelta(minutes=1)
    MonthlyReport.objects.filter(pk=report.pk).update(updated_at=stale)
    services.report_generate(report.pk)
    report.refresh_from_db()
    assert (report.status, report.progress) == (ReportStatus.DONE, 100)


def test_the_current_month_is_counted_up_to_today():
    start, end = services.report_period(dt.date(2025, 5, 1), today=dt.date(2025, 5, 17))
    assert (start, end) == (dt.date(2025, 5, 1), dt.date(2025, 5, 17))
    start, end = services.report_period(dt.date(2025, 4, 1), today=dt.date(2025, 5, 17))
    assert (start, end) == (dt.date(2025, 4, 1), dt.date(2025, 4, 30))
