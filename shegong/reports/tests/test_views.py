"""The archive pages: each user sees the reports of their area (404 outside it), viewers
download but do not ask, staff ask and follow the progress."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shegong.accounts.models import Role
from shegong.dashboard.tests.conftest import TODAY
from shegong.reports import services, tasks
from shegong.reports.models import MonthlyReport, ReportStatus
from shegong.testing import login

pytestmark = pytest.mark.django_db

URL = "/reports/"
LAST_MONTH = services.previous_month(TODAY)


def done_report(region, month=LAST_MONTH, **fields) -> MonthlyReport:
    """A finished report with small stand-in files (the generation has its own tests)."""
    report = MonthlyReport.objects.create(
        region=region,
        month=month,
        status=ReportStatus.DONE,
        progress=100,
        period_end=month,
        figures={"visits": 7, "visit_rate": 80, "colour_red": 2},
        finished_at=timezone.now(),
        **fields,
    )
    report.xlsx.save("r.xlsx", ContentFile(b"xlsx"), save=False)
    report.docx.save("r.docx", ContentFile(b"docx"), save=False)
    report.save()
    return report


@pytest.fixture
def archive(regions):
    """A report of the district, of each township and of one village."""
    return {
        "district": done_report(regions.district),
        "township": done_report(regions.township),
        "village": done_report(regions.village),
        "other": done_report(regions.other_township),
    }


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {report.pk for report, _figures in response.context["reports"]}


def test_a_district_admin_sees_every_report_and_may_ask(client, archive, district_admin):
    response = login(client, district_admin).get(URL)
    assert listed(response) == {report.pk for report in archive.values()}
    html = response.content.decode()
    assert 'id="report-request"' in html
    assert "栾城区" in html and "冶河镇" in html


def test_a_township_user_sees_their_township_and_its_villages(client, archive, make_user):
    client = login(client, make_user(Role.TOWNSHIP_SUPERVISOR))
    assert listed(client.get(URL)) == {archive["township"].pk, archive["village"].pk}
    other = archive["other"]
    assert client.get(f"/reports/{other.pk}/").status_code == 404
    assert client.get(f"/reports/{other.pk}/download/xlsx/").status_code == 404
    district = archive["district"]
    assert client.get(f"/reports/{district.pk}/download/docx/").status_code == 404


def test_the_archive_filters_by_region_and_month(client, archive, district_admin, regions):
    client = login(client, district_admin)
    township = regions.township.prefix
    found = listed(client.get(URL, {"region": township}))
    assert found == {archive["township"].pk, archive["village"].pk}
    older = done_report(regions.township, month=services.previous_month(LAST_MONTH))
    assert listed(client.get(URL, {"month": LAST_MONTH.strftime("%Y-%m")})) == {
        report.pk for report in archive.values()
    }
    assert older.pk in listed(client.get(URL, {"region": township}))


def test_a_viewer_downloads_but_does_not_ask(client, archive, make_user, regions):
    viewer = make_user(Role.VIEWER, region=regions.township)
    client = login(client, viewer)
    response = client.get(URL)
    assert listed(response) == {archive["township"].pk, archive["village"].pk}
    assert 'id="report-request"' not in response.content.decode()
    download = client.get(f"/reports/{archive['township'].pk}/download/xlsx/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"xlsx"
    disposition = unquote(download["Content-Disposition"])
    assert "栾城镇" in disposition and disposition.endswith(".xlsx")
    assert client.get(f"/reports/{archive['other'].pk}/download/xlsx/").status_code == 404
    month = LAST_MONTH.strftime("%Y-%m")
    refused = client.post("/reports/new/", {"region": regions.township.prefix, "month": month})
    assert refused.status_code == 404
    assert MonthlyReport.objects.count() == len(archive)


def test_people_without_figures_get_404(client, archive, make_user):
    client = login(client, make_user(Role.VOLUNTEER))
    assert client.get(URL).status_code == 404
    assert client.get(f"/reports/{archive['village'].pk}/").status_code == 404
    assert client.get(f"/reports/{archive['village'].pk}/download/docx/").status_code == 404


def test_a_worker_asks_for_a_report_and_follows_its_progress(client, make_user, regions):
    client = login(client, make_user(Role.TOWNSHIP_WORKER))
    month = LAST_MONTH.strftime("%Y-%m")
    response = client.post("/reports/new/", {"region": regions.village.prefix, "month": month})
    report = MonthlyReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert (report.region, report.month, report.status) == (
        regions.village,
        LAST_MONTH,
        ReportStatus.QUEUED,
    )
    polling = client.get(f"/reports/{report.pk}/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in polling.content.decode()
    assert "<html" not in polling.content.decode()

    tasks.generate_report(report.pk)  # what the worker does once the request has committed
    finished = client.get(f"/reports/{report.pk}/", headers={"HX-Request": "true"})
    html = finished.content.decode()
    assert "hx-trigger" not in html
    assert 'id="download-xlsx"' in html and 'id="download-docx"' in html
    download = client.get(f"/reports/{report.pk}/download/docx/")
    assert download.status_code == 200
    assert download["Content-Type"].endswith("wordprocessingml.document")


def test_a_refused_request_shows_why(client, district_admin, regions):
    client = login(client, district_admin)
    future = (TODAY.replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")
    response = client.post("/reports/new/", {"region": regions.township.prefix, "month": future})
    assert response.status_code == 422
    assert 'data-field-error="month"' in response.content.decode()

    month = LAST_MONTH.strftime("%Y-%m")
    client.post("/reports/new/", {"region": regions.township.prefix, "month": month})
    again = client.post("/reports/new/", {"region": regions.township.prefix, "month": month})
    assert again.status_code == 422
    assert "栾城镇" in again.context["form"].errors["month"][0]
    assert MonthlyReport.objects.count() == 1


def test_a_region_outside_the_area_cannot_be_chosen(client, make_user, regions):
    client = login(client, make_user(Role.TOWNSHIP_WORKER))
    month = LAST_MONTH.strftime("%Y-%m")
    response = client.post(
        "/reports/new/", {"region": regions.other_township.prefix, "month": month}
    )
    assert response.status_code == 422
    assert not MonthlyReport.objects.exists()


def test_the_newest_finished_report_of_a_month_is_the_latest(client, district_admin, regions):
    older = done_report(regions.township)
    newer = done_report(regions.township)
    failed = MonthlyReport.objects.create(
        region=regions.township, month=LAST_MONTH, status=ReportStatus.FAILED
    )
    response = login(client, district_admin).get(URL)
    rows = [report for report, _figures in response.context["reports"]]
    assert [report.pk for report in rows] == [failed.pk, newer.pk, older.pk]
    assert [report.is_latest for report in rows] == [False, True, False]
    detail = client.get(f"/reports/{older.pk}/")
    assert detail.context["report"].is_latest is False
    assert 'id="download-xlsx"' in detail.content.decode()


def test_a_failed_report_can_be_tried_again_by_staff(
    client, district_admin, regions, make_user, django_capture_on_commit_callbacks
):
    failed = MonthlyReport.objects.create(
        region=regions.township, month=LAST_MONTH, status=ReportStatus.FAILED, error="boom"
    )
    viewer = login(client, make_user(Role.VIEWER, region=regions.district))
    assert 'id="retry"' not in viewer.get(f"/reports/{failed.pk}/").content.decode()
    assert viewer.post(f"/reports/{failed.pk}/retry/").status_code == 404

    client = login(client, district_admin)
    assert 'id="retry"' in client.get(f"/reports/{failed.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reports/{failed.pk}/retry/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == ReportStatus.DONE


def test_the_dashboard_links_to_the_archive(client, district_admin):
    html = login(client, district_admin).get("/dashboard/").content.decode()
    assert 'id="reports-link" href="/reports/"' in html


def test_the_api_lists_the_reports_of_the_callers_area(client, archive, make_user, bearer):
    worker = make_user(Role.TOWNSHIP_WORKER)
    response = client.get("/api/v1/reports", headers=bearer(worker))
    assert response.status_code == 200
    body = response.json()
    assert {row["id"] for row in body} == {archive["township"].pk, archive["village"].pk}
    row = next(row for row in body if row["id"] == archive["township"].pk)
    assert row["latest"] is True and row["figures"]["visits"] == 7
    assert row["xlsx_url"] == f"/reports/{archive['township'].pk}/download/xlsx/"
    volunteer = make_user(Role.VOLUNTEER)
    assert client.get("/api/v1/reports", headers=bearer(volunteer)).status_code == 404


def test_the_archive_query_count_does_not_grow_with_the_reports(
    client, district_admin, regions, make_user
):
    client = login(client, district_admin)
    done_report(regions.township, requested_by=district_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    before = count()
    for region in (regions.village, regions.other_township, regions.district):
        done_report(region, requested_by=make_user(Role.TOWNSHIP_WORKER))
        done_report(region)
    assert count() == before
