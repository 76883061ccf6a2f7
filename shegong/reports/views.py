"""The report archive, asking for a report, following its progress and downloading its files.

Staff and viewers see the archive of their dashboard area and download; only staff of the
registry ask for (or retry) a report, for a region of their registry area."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong.regions.models import Region
from shegong.regions.selectors import page_number

from . import labels, selectors, services
from .forms import MonthField, RequestForm
from .models import MonthlyReport, ReportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGE_SIZE = 25
# The figures shown beside each report in the archive (from its snapshot).
KEY_FIGURES = ("colour_red", "elderly_special", "visits", "visit_rate", "activities_held")


def _area_or_404(request: HttpRequest) -> tuple[str, ...]:
    area = selectors.report_area(request.user)
    if not area:
        raise Http404
    return area


def _month(value: str) -> dt.date | None:
    try:
        return MonthField().clean(value) if value else None
    except ValidationError:
        return None


def _key_figures(report: MonthlyReport) -> list[tuple[str, str]]:
    found = []
    for key in KEY_FIGURES:
        if key in report.figures:
            figure = next(f for p in labels.PROGRAMMES for f in p.figures if f.key == key)
            found.append((str(figure.label), labels.text(figure, report.figures[key])))
    return found


def _archive(
    request: HttpRequest, filters: selectors.ReportFilters, form: RequestForm | None
) -> dict:
    queryset = selectors.report_list(fetched_by=request.user, filters=filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(page_number(request.GET))
    return {
        "page": page,
        "reports": [(report, _key_figures(report)) for report in page.object_list],
        "count": page.paginator.count,
        "filters": filters,
        "regions": selectors.regions_in(selectors.report_area(request.user)),
        "form": form,
    }


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    area = _area_or_404(request)
    chosen = request.GET.get("region", "").strip()
    filters = selectors.ReportFilters(
        region=chosen if any(chosen.startswith(p) for p in area) else "",
        month=_month(request.GET.get("month", "").strip()),
    )
    requestable = selectors.requestable_regions(request.user)
    form = RequestForm(regions=requestable) if requestable else None
    return render(request, "reports/report_list.html", _archive(request, filters, form))


@login_required
@require_POST
def report_request(request: HttpRequest) -> HttpResponse:
    _area_or_404(request)
    requestable = selectors.requestable_regions(request.user)
    if not requestable:
        raise Http404
    form = RequestForm(request.POST, regions=requestable)
    if form.is_valid():
        try:
            report = services.request_report(
                request.user, form.cleaned_data["region"], form.cleaned_data["month"]
            )
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error("month", error)
        except PermissionDenied:
            raise Http404 from None
        else:
            return redirect(report)
    context = _archive(request, selectors.ReportFilters(), form)
    return render(request, "reports/report_list.html", context, status=422)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for_user(request.user, pk)
    context = {
        "report": report,
        "step": _(report.step) if report.step else "",
        "key_figures": _key_figures(report),
        "can_request": selectors.can_request(request.user, report.region.prefix),
        "title": labels.report_title(report.region.name, report.month),
    }
    template = "reports/_status.html" if request.htmx else "reports/report_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def report_retry(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for_user(request.user, pk)
    try:
        services.report_retry(request.user, report)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return redirect(report)


def _file_name(report: MonthlyReport, extension: str) -> str:
    region: Region = report.region
    return f"{labels.report_title(region.name, report.month)}.{extension}"


@login_required
def report_download(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    report = selectors.get_report_for_user(request.user, pk)
    file = {"xlsx": report.xlsx, "docx": report.docx}.get(kind)
    if report.status != ReportStatus.DONE or not file or not file.storage.exists(file.name):
        raise Http404
    return FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=_file_name(report, kind),
        content_type=XLSX if kind == "xlsx" else DOCX,
    )
