"""Asking for a report: months that have not begun and a second request for a report still
on its way are refused; a stuck one frees its month; the automatic run is idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.dashboard.tests.conftest import TODAY
from shegong.reports import services, tasks
from shegong.reports.models import MonthlyReport, ReportStatus

pytestmark = pytest.mark.django_db

NEXT_MONTH = (TODAY.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
LAST_MONTH = services.previous_month(TODAY)


def test_a_future_month_is_refused(regions, district_admin):
    with pytest.raises(ValidationError) as refused:
        services.request_report(district_admin, regions.township.prefix, NEXT_MONTH)
    assert refused.value.code == "future"
    assert not MonthlyReport.objects.exists()


def test_a_second_request_while_one_is_on_its_way_is_refused(regions, district_admin):
    # Without the commit the queued task never runs: the first report stays queued.
    first = services.request_report(district_admin, regions.township.prefix, TODAY)
    assert (first.status, first.month) == (ReportStatus.QUEUED, TODAY.replace(day=1))
    with pytest.raises(ValidationError) as refused:
        services.request_report(district_admin, regions.township.prefix, TODAY.replace(day=2))
    assert refused.value.code == "running"
    assert "栾城镇" in refused.value.messages[0]
    # Another area, or another month, is fine.
    services.request_report(district_admin, regions.other_township.prefix, TODAY)
    services.request_report(district_admin, regions.township.prefix, LAST_MONTH)
    assert MonthlyReport.objects.count() == 3


def test_the_database_refuses_two_active_reports_of_one_month(regions):
    MonthlyReport.objects.create(region=regions.township, month=LAST_MONTH)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.create(
            region=regions.township, month=LAST_MONTH, status=ReportStatus.RUNNING
        )


def test_a_stuck_report_no_longer_blocks_its_month(regions, district_admin):
    stuck = services.request_report(district_admin, regions.township.prefix, LAST_MONTH)
    old = timezone.now() - services.STALE_AFTER - dt.timedelta(minutes=1)
    MonthlyReport.objects.filter(pk=stuck.pk).update(status=ReportStatus.RUNNING, updated_at=old)
    again = services.request_report(district_admin, regions.township.prefix, LAST_MONTH)
    stuck.refresh_from_db()
    assert stuck.status == ReportStatus.FAILED and stuck.error
    assert again.status == ReportStatus.QUEUED


def test_only_staff_within_the_area_may_ask(regions, make_user):
    worker = make_user(Role.TOWNSHIP_WORKER)
    services.request_report(worker, regions.village.prefix, LAST_MONTH)
    for user, area in (
        (worker, regions.other_township.prefix),
        (worker, regions.district.prefix),
        (make_user(Role.VIEWER, region=regions.district), regions.township.prefix),
    ):
        with pytest.raises(PermissionDenied):
            services.request_report(user, area, LAST_MONTH)


def test_a_failed_report_is_tried_again_in_its_own_row(
    regions, district_admin, django_capture_on_commit_callbacks
):
    report = MonthlyReport.objects.create(
        region=regions.township, month=LAST_MONTH, status=ReportStatus.FAILED, error="boom"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(district_admin, report)
    report.refresh_from_db()
    assert (report.status, report.error, report.requested_by) == (
        ReportStatus.DONE,
        "",
        district_admin,
    )
    with pytest.raises(ValidationError):
        services.report_retry(district_admin, report)
    assert MonthlyReport.objects.count() == 1


def test_the_automatic_run_makes_last_months_reports_once(
    data, regions, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = services.monthly_reports_run(today=TODAY)
    areas = {regions.district.code, regions.township.code, regions.other_township.code}
    assert {report.region_id for report in made} == areas
    done = MonthlyReport.objects.filter(month=LAST_MONTH, status=ReportStatus.DONE)
    assert {report.region_id for report in done} == areas
    assert all(report.requested_by is None for report in done)

    # Again: nothing new. A failed one is made again, beside the failed copy.
    MonthlyReport.objects.filter(region=regions.other_township).update(
        status=ReportStatus.FAILED, xlsx="", docx=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        made = services.monthly_reports_run(today=TODAY)
    assert [report.region_id for report in made] == [regions.other_township.code]
    assert MonthlyReport.objects.count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert services.monthly_reports_run(today=TODAY) == []


def test_the_automatic_run_is_due_at_0230_in_shanghai_on_the_first():
    due = tasks.first_of_month_at_0230_shanghai
    assert due(dt.datetime(2025, 4, 30, 18, 30))  # 1 May 02:30 in Shanghai
    assert due(dt.datetime(2025, 12, 31, 18, 30))  # 1 January
    assert not due(dt.datetime(2025, 5, 1, 2, 30))  # 10:30 in Shanghai
    assert not due(dt.datetime(2025, 4, 30, 18, 31))
    assert not due(dt.datetime(2025, 4, 29, 18, 30))
