"""Referrals, the social investigation and its report.

Every view answers 404 to users outside the programme (``selectors.can_use``) and reads the
referral through ``selectors.get_referral_for_user``, which applies the scope gate (the
programme's workers and the referring agency's liaisons) and writes the access log.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.casework.models import Notification

from . import report, selectors, services, views_followup
from .forms import DocumentForm, InterviewForm, ReferralForm
from .models import (
    Referral,
    ReferralStatus,
    ReportStatus,
    ServiceContract,
    ServiceRequested,
)

PROGRAMME = "juvenile"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ---- helpers -------------------------------------------------------------------------------------


def _require_programme(user: Any) -> None:
    if not selectors.can_use(user):
        raise Http404


def _can_work(user: Any, referral: Referral) -> bool:
    return scope.works_in_programme(user, PROGRAMME, referral.region_id)


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's errors next to the form's fields (the rest above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """A service's errors by field; those for no field under "general"."""
    if not hasattr(exc, "error_dict"):
        return {"general": exc.messages}
    errors = dict(exc.message_dict)
    errors["general"] = errors.pop("__all__", [])
    return errors


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _steps(referral: Referral, *, can_work: bool, is_liaison: bool) -> list[str]:
    """The workflow forms offered on the referral page, in the order shown."""
    steps = []
    if can_work and referral.status == ReferralStatus.SUBMITTED:
        steps += ["accept", "reject"]
    if can_work and referral.status == ReferralStatus.ACCEPTED:
        steps.append("start")
    if is_liaison and referral.is_open:
        steps.append("withdraw")
    return steps


def _section_rows(texts: dict[str, str], errors: dict[str, list[str]]) -> list[dict]:
    return [
        {
            "key": key,
            "heading": heading,
            "label": label,
            "number": report.NUMERALS[index],
            "text": texts.get(key, ""),
            "errors": errors.get(key, []),
        }
        for index, (key, heading, label) in enumerate(report.SECTIONS)
    ]


def _detail_context(
    request: HttpRequest, referral: Referral, *, errors=None, values=None
) -> dict[str, Any]:
    user = request.user
    can_work = _can_work(user, referral)
    is_liaison = referral.agency_id in scope.partner_agencies(user)
    versions = selectors.versions_of(referral)
    if not can_work:
        # The report is released to the agency once approved; drafts stay with the programme.
        versions = [v for v in versions if v.status == ReportStatus.APPROVED]
    latest = versions[0] if versions else None
    submitted = [v for v in versions if v.status == ReportStatus.SUBMITTED]
    steps = _steps(referral, can_work=can_work, is_liaison=is_liaison)
    return {
        # The guidance, orders, mentoring and closing panels (views_followup's).
        **views_followup.followup_context(request, referral),
        "referral": referral,
        "services_asked": [ServiceRequested(s).label for s in referral.services],
        "events": list(referral.events.select_related("by")),
        "can_work": can_work,
        "is_liaison": is_liaison,
        "is_supervisor": can_work and services.is_supervisor(user, referral),
        "steps": steps,
        "workers": services.programme_members(referral.region_id) if "accept" in steps else [],
        "contracts": list(ServiceContract.objects.filter(ends_on__gte=timezone.localdate()))
        if "accept" in steps
        else [],
        "overdue": referral.is_open and referral.due_on < timezone.localdate(),
        "interviews": list(referral.interviews.select_related("recorded_by")),
        "documents": list(referral.documents.select_related("uploaded_by")),
        "versions": versions,
        "latest": latest,
        "latest_sections": _section_rows(latest.sections, {}) if latest else [],
        "waiting": submitted[0] if submitted else None,
        "approved": next((v for v in versions if v.status == ReportStatus.APPROVED), None),
        "can_write_report": can_work
        and referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)
        and not submitted,
        "errors": errors or {},
        "values": values or {},
        "today": timezone.localdate(),
    }


# ---- referrals -----------------------------------------------------------------------------------


def _referral_columns() -> list[exports.Column]:
    """The referral list as a workbook. A minor's ID number and the guardian's phone stay
    masked even for those who may reveal registry data: no page of the programme reveals them."""

    def worker(referral: Referral) -> str:
        return referral.worker.display_name if referral.worker else ""

    return [
        exports.Column(_("case number"), lambda r: r.case_number, width=24),
        exports.Column(_("minor"), lambda r: r.minor_name, width=12),
        exports.Column(_("sex"), lambda r: r.get_sex_display(), width=6),
        exports.Column(_("date of birth"), lambda r: r.birth_date, width=12),
        exports.Column(_("ID number"), lambda r: r.id_number_masked, width=21),
        exports.Column(_("township"), lambda r: getattr(r.region.parent, "name", "")),
        exports.Column(_("village"), lambda r: r.region.name),
        exports.Column(_("referring agency"), lambda r: r.agency.name, width=24),
        exports.Column(_("procedural status"), lambda r: r.get_procedural_status_display()),
        exports.Column(_("status"), lambda r: r.get_status_display(), width=10),
        exports.Column(_("referred at"), lambda r: r.referred_at, width=17),
        exports.Column(_("due date"), lambda r: r.due_on, width=12),
        exports.Column(_("social worker"), worker),
        exports.Column(_("guardian"), lambda r: r.guardian_name, width=12),
        exports.Column(_("guardian's phone"), lambda r: r.guardian_phone_masked, width=15),
    ]


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    _require_programme(request.user)
    agency = request.GET.get("agency", "").strip()
    filters = selectors.ReferralFilters(
        status=request.GET.get("status", "").strip(),
        agency=int(agency) if agency.isdigit() else None,
        q=request.GET.get("q", "").strip(),
    )
    referrals = selectors.referral_list(user=request.user, filters=filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Referrals"),
            rows=referrals.select_related("region__parent"),
            columns=_referral_columns(),
            filter_labels={"agency": _("referring agency")},
        )
    page = Paginator(referrals, settings.SHEGONG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "referrals": page.object_list,
        "filters": filters,
        "statuses": ReferralStatus.choices,
        "agencies": selectors.agencies_for(request.user),
        "can_refer": bool(services.liaison_agencies(request.user)),
        "today": timezone.localdate(),
    }
    if not scope.works_in_programme(request.user, services.PROGRAMME):
        # Liaisons have no "my work" page: their notifications are shown here.
        context["notifications"] = list(
            Notification.objects.filter(user=request.user, read_at__isnull=True).order_by(
                "-created_at", "-id"
            )[:10]
        )
    return render(request, "juvenile/referral_list.html", context)


@login_required
def referral_new(request: HttpRequest) -> HttpResponse:
    _require_programme(request.user)
    agencies = services.liaison_agencies(request.user)
    if not agencies:
        raise Http404
    form = ReferralForm(request.POST or None, agencies=agencies)
    if form.is_bound and form.is_valid():
        data = dict(form.cleaned_data)
        chosen = data.pop("agency") or agencies[0].pk
        agency = next(a for a in agencies if a.pk == chosen)
        try:
            referral = services.referral_submit(by=request.user, agency=agency, data=data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The referral is submitted."))
            return redirect(referral)
    status = 422 if form.is_bound else 200
    return render(request, "juvenile/referral_form.html", {"form": form}, status=status)


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_programme(request.user)
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    return render(request, "juvenile/referral.html", _detail_context(request, referral))


REFERRAL_ACTIONS = ("accept", "reject", "start", "withdraw")


@login_required
@require_POST
def referral_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require_programme(request.user)
    if action not in REFERRAL_ACTIONS:
        raise Http404
    referral = selectors.get_referral_for_user(request.user, pk, request=request, log=False)
    post = request.POST
    common = {"by": request.user, "referral_id": referral.pk, "version": _int(post.get("version"))}
    try:
        if action == "accept":
            members = {u.pk: u for u in services.programme_members(referral.region_id)}
            worker = members.get(_int(post.get("worker")))
            if post.get("worker") and worker is None:
                raise ValidationError({"worker": [_("Choose a worker of the programme.")]})
            contract = ServiceContract.objects.filter(pk=_int(post.get("contract"))).first()
            services.referral_accept(**common, worker=worker, contract=contract)
        elif action == "reject":
            services.referral_reject(**common, reason=post.get("reason", ""))
        elif action == "start":
            services.referral_start(**common)
        else:
            services.referral_withdraw(**common, reason=post.get("reason", ""))
    except services.StaleReferral as exc:
        messages.error(request, str(exc))
        return redirect(referral)
    except ValidationError as exc:
        referral.refresh_from_db()
        context = _detail_context(request, referral, errors=_errors(exc), values=post)
        return render(request, "juvenile/referral.html", context, status=422)
    messages.success(request, _("Saved."))
    return redirect(referral)


# ---- the social investigation --------------------------------------------------------------------


def _referral_to_work_on(request: HttpRequest, pk: int) -> Referral:
    _require_programme(request.user)
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    if not _can_work(request.user, referral):
        raise Http404
    return referral


@login_required
def interview_new(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral_to_work_on(request, pk)
    form = InterviewForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            services.interview_add(by=request.user, referral_id=referral.pk, data=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Interview recorded."))
            return redirect(f"{referral.get_absolute_url()}#interviews")
    status = 422 if form.is_bound else 200
    context = {"form": form, "referral": referral}
    return render(request, "juvenile/interview_form.html", context, status=status)


@login_required
def document_new(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral_to_work_on(request, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if form.is_bound and form.is_valid():
        try:
            services.document_add(
                by=request.user,
                referral_id=referral.pk,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Document attached."))
            return redirect(f"{referral.get_absolute_url()}#documents")
    status = 422 if form.is_bound else 200
    context = {"form": form, "referral": referral}
    return render(request, "juvenile/document_form.html", context, status=status)


@login_required
def document_download(request: HttpRequest, pk: int, doc: int) -> FileResponse:
    _require_programme(request.user)
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    document = get_object_or_404(referral.documents, pk=doc)
    suffix = PurePath(document.file.name).suffix
    name = document.title if document.title.endswith(suffix) else f"{document.title}{suffix}"
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=name.replace("/", "-"))


# ---- the report ----------------------------------------------------------------------------------


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The ten sections as text areas: the current draft, or a new version starting from the
    latest one (a submitted, returned or approved version is never changed)."""
    referral = _referral_to_work_on(request, pk)
    latest = referral.report_versions.order_by("-number").first()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        submit = "submit" in request.POST
        texts = {key: request.POST.get(key, "") for key in report.SECTION_KEYS}
        version = None
        try:
            version = services.report_save(by=request.user, referral_id=referral.pk, sections=texts)
            if submit:
                services.report_submit(by=request.user, version_id=version.pk)
        except ValidationError as exc:
            errors = _errors(exc)
            if version is not None:
                errors["general"].insert(0, _("The draft is saved, but not submitted:"))
            latest = version or latest
        else:
            messages.success(
                request, _("Submitted for approval.") if submit else _("The draft is saved.")
            )
            return redirect(f"{referral.get_absolute_url()}#report")
    else:
        texts = dict(latest.sections) if latest else {}
    editing_draft = latest is not None and latest.status == ReportStatus.DRAFT
    context = {
        "referral": referral,
        "latest": latest,
        "number": latest.number if editing_draft else (latest.number + 1 if latest else 1),
        "waiting": latest is not None and latest.status == ReportStatus.SUBMITTED,
        "sections": _section_rows(texts, errors),
        "errors": errors,
    }
    status = 422 if errors else 200
    return render(request, "juvenile/report_form.html", context, status=status)


REPORT_ACTIONS = ("submit", "approve", "return")


@login_required
@require_POST
def report_action(request: HttpRequest, pk: int, version: int, action: str) -> HttpResponse:
    _require_programme(request.user)
    if action not in REPORT_ACTIONS:
        raise Http404
    referral = selectors.get_referral_for_user(request.user, pk, request=request, log=False)
    report_version = get_object_or_404(referral.report_versions, number=version)
    try:
        if action == "submit":
            services.report_submit(by=request.user, version_id=report_version.pk)
        else:
            services.report_decide(
                by=request.user,
                version_id=report_version.pk,
                approve=action == "approve",
                comment=request.POST.get("comment", ""),
            )
    except ValidationError as exc:
        errors = _errors(exc)
        headings = {key: heading for key, heading, _label in report.SECTIONS}
        for key in [k for k in errors if k in headings]:
            errors["general"] += [f"{headings[key]}：{e}" for e in errors.pop(key)]
        context = _detail_context(request, referral, errors=errors, values=request.POST)
        return render(request, "juvenile/referral.html", context, status=422)
    done = {
        "submit": _("Submitted for approval."),
        "approve": _("Approved: the referring agency can download the report."),
        "return": _("Returned with your comment."),
    }
    messages.success(request, done[action])
    return redirect(f"{referral.get_absolute_url()}#report")


@login_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest approved version as a Word document (the read is in the access log)."""
    _require_programme(request.user)
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    version = selectors.approved_version(referral)
    if version is None:
        raise Http404
    response = HttpResponse(selectors.report_docx(referral, version), content_type=DOCX)
    name = f"社会调查报告-{referral.case_number}.docx".replace("/", "-").replace("\\", "-")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
