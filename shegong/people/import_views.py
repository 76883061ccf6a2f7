"""Roster import, duplicate review and Excel export pages."""

from __future__ import annotations

import copy
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports as list_exports
from shegong import uploads
from shegong.accounts import scope
from shegong.progress import progress_get
from shegong.regions.selectors import regions_under

from . import duplicates, exports, imports, selectors, tasks
from .forms import ImportForm
from .models import ExportJob, ExportStatus, ImportJob, ImportStatus
from .views import _filters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get_job(user, pk: int) -> ImportJob:
    return scope.get_visible_or_404(
        ImportJob.objects.select_related("region", "created_by"), user, write=True, pk=pk
    )


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    if not scope.scope_for(request.user).write_prefixes:
        raise Http404
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        regions=regions_under(scope.scope_for(request.user).write_prefixes),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            limit = imports.max_upload_bytes()
            content = uploads.read_upload(
                upload, limit_bytes=limit, message=imports.too_large_message(limit)
            )
            job = imports.import_job_create(
                by=request.user,
                region_code=form.cleaned_data["region_code"],
                filename=upload.name,
                content=content,
                category=form.cleaned_data["category"],
                on_existing=form.cleaned_data["on_existing"],
            )
        except ValidationError as exc:
            for error in exc.messages:
                form.add_error("file", error)
        else:
            tasks.check_import(job.pk)
            return redirect(job)
    jobs = scope.visible(ImportJob.objects.select_related("region", "created_by"), request.user)
    if request.method == "GET" and list_exports.requested(request):
        return list_exports.xlsx_response(
            request, title=_("Earlier imports"), rows=jobs, columns=_import_columns()
        )
    page = Paginator(jobs, 20).get_page(request.GET.get("page"))
    return render(request, "people/import_list.html", {"form": form, "page": page})


def _import_columns() -> list[list_exports.Column]:
    return [
        list_exports.Column(_("file name"), lambda j: j.original_name, width=28),
        list_exports.Column(_("region"), lambda j: j.region.name),
        list_exports.Column(_("category for every row"), lambda j: j.get_category_display()),
        list_exports.Column(_("status"), lambda j: j.get_status_display(), width=10),
        list_exports.Column(_("rows"), lambda j: j.rows_total, width=8),
        list_exports.Column(_("new"), lambda j: j.count_new, width=8),
        list_exports.Column(_("update"), lambda j: j.count_update, width=8),
        list_exports.Column(_("unchanged"), lambda j: j.count_unchanged, width=8),
        list_exports.Column(_("errors"), lambda j: j.count_error, width=8),
        list_exports.Column(_("uploaded at"), lambda j: j.created_at, width=17),
        list_exports.Column(_("uploaded by"), lambda j: str(j.created_by or "")),
    ]


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_job(request.user, pk)
    progress = progress_get(f"import:{job.pk}")
    context = {
        "job": job,
        "progress": progress,
        "stalled": job.is_running and imports.is_stalled(job, progress),
        "has_error_file": imports.error_file(job) is not None,
    }
    template = "people/_import_status.html" if request.htmx else "people/import_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_job(request.user, pk)
    try:
        imports.import_job_confirm(by=request.user, job=job)
    except imports.ImportRefused as exc:
        messages.error(request, str(exc))
    else:
        tasks.run_import(job.pk, request.user.pk)
    return redirect(job)


@login_required
@require_POST
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Check an interrupted job (a killed worker) again from the start; nothing was written."""
    job = _get_job(request.user, pk)
    stale = imports.is_stalled(job, progress_get(f"import:{job.pk}"))
    if (
        job.status in {ImportStatus.CHECKING, ImportStatus.IMPORTING, ImportStatus.UPLOADED}
        and stale
    ):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.UPLOADED, message="")
        tasks.check_import(job.pk)
    return redirect(job)


@login_required
def import_errors(request: HttpRequest, pk: int) -> FileResponse:
    job = _get_job(request.user, pk)
    path = imports.error_file(job)
    if path is None:
        raise Http404
    name = f"{Path(job.original_name).stem}-错误说明.xlsx"
    return FileResponse(open(path, "rb"), as_attachment=True, filename=name, content_type=XLSX)


# -- export -------------------------------------------------------------------------------------


@login_required
@require_POST
def export_start(request: HttpRequest) -> HttpResponse:
    if not scope.can_read_registry(request.user):
        raise Http404
    filters = selectors.PeopleFilters(
        q=request.POST.get("q", ""),
        region=request.POST.get("region", ""),
        category=request.POST.get("category", ""),
        status=request.POST.get("status", ""),
    )
    job = exports.export_job_create(
        by=request.user, filters=filters, unmasked=request.POST.get("unmasked") == "1"
    )
    tasks.run_export(job.pk)
    return redirect("people:export_detail", pk=job.pk)


def _get_export(user, pk: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk, created_by=user).first()
    if job is None:
        raise Http404
    return job


@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _get_export(request.user, pk)
    context = {"job": job, "progress": progress_get(f"export:{job.pk}")}
    template = "people/_export_status.html" if request.htmx else "people/export_detail.html"
    return render(request, template, context)


@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _get_export(request.user, pk)
    if job.status != ExportStatus.DONE or not Path(job.file_path).exists():
        raise Http404
    name = f"人员名单-{job.created_at:%Y%m%d-%H%M}.xlsx"
    return FileResponse(
        open(job.file_path, "rb"), as_attachment=True, filename=name, content_type=XLSX
    )


# -- duplicates ---------------------------------------------------------------------------------


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    if not scope.scope_for(request.user).write_prefixes:
        raise Http404
    filters = _filters(request)
    pairs = duplicates.probable_duplicates(fetched_by=request.user, region=filters.region)
    if list_exports.requested(request):
        return list_exports.xlsx_response(
            request,
            title=_("Probable duplicates"),
            rows=_duplicate_rows(pairs),
            columns=_duplicate_columns(),
        )
    page = Paginator(pairs, 25).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "can_reveal": scope.can_reveal(request.user)}
    return render(request, "people/duplicate_list.html", context)


def _duplicate_rows(pairs: list[duplicates.DuplicatePair]) -> list:
    """Two rows a pair, one for each record (a copy: a person may be in several pairs), each
    carrying the pair's number and reasons."""
    rows = []
    for number, pair in enumerate(pairs, start=1):
        for person in (pair.first, pair.second):
            row = copy.copy(person)
            row.pair_number, row.pair_reasons = number, "、".join(pair.reason_labels)
            rows.append(row)
    return rows


def _duplicate_columns() -> list[list_exports.Column]:
    return [
        list_exports.Column(_("pair"), lambda p: p.pair_number, width=6),
        list_exports.Column(_("why"), lambda p: p.pair_reasons, width=24),
        list_exports.Column(_("record number"), lambda p: p.pk, width=10),
        list_exports.Column(_("name"), lambda p: p.name, width=12),
        list_exports.Column(_("sex"), lambda p: p.get_sex_display(), width=6),
        list_exports.Column(_("date of birth"), lambda p: p.birth_date, width=12),
        list_exports.id_number_column(list_exports.person_of("")),
        list_exports.Column(_("township"), lambda p: getattr(p.region.parent, "name", "")),
        list_exports.Column(_("village"), lambda p: p.region.name),
        list_exports.Column(_("address"), lambda p: p.address, width=30),
    ]


@login_required
@require_POST
def duplicate_merge(request: HttpRequest) -> HttpResponse:
    try:
        keep_id = int(request.POST["keep"])
        merge_id = int(request.POST["merge"])
    except (KeyError, ValueError):
        raise Http404 from None
    keep = selectors.get_person_for_user(request.user, keep_id, write=True)
    merge = selectors.get_person_for_user(request.user, merge_id, write=True)
    try:
        duplicates.person_merge(
            by=request.user, keep=keep, merge=merge, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:duplicates")
    messages.success(
        request,
        _("%(merged)s was merged into %(kept)s.") % {"merged": merge.name, "kept": keep.name},
    )
    return redirect(keep)


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest) -> HttpResponse:
    try:
        ids = [int(request.POST["first"]), int(request.POST["second"])]
    except (KeyError, ValueError):
        raise Http404 from None
    first, second = (selectors.get_person_for_user(request.user, pk, write=True) for pk in ids)
    duplicates.pair_dismiss(by=request.user, first=first, second=second)
    messages.success(request, _("Marked as different people."))
    return redirect("people:duplicates")
