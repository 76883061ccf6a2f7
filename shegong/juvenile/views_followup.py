"""Guidance, guardianship orders, mentoring and the closing report of a referral.

The referral page includes the panels ``juvenile/_guidance.html``, ``_orders.html``,
``_mentoring.html`` and ``_closing.html``; :func:`followup_context` gives them what they show.
The pages here are the forms behind those panels: the programme's workers record, a liaison of
the referring agency reads, everybody else gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, Sum
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope

from . import selectors, services
from .forms_followup import (
    GUARDIAN_ITEM_LABELS,
    AssessmentForm,
    CheckForm,
    ClosingForm,
    MentoringForm,
    OrderForm,
    PlanForm,
    SessionForm,
)
from .models import (
    AssessmentStage,
    ClosingReport,
    ComplianceCheck,
    GuardianAssessment,
    GuidancePlan,
    Referral,
    ReferralStatus,
    ServiceRequested,
)

PROGRAMME = "juvenile"
WORKABLE = (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)


def can_work(user, referral: Referral) -> bool:
    """Whether ``user`` records work on the referral: a programme worker in its area."""
    return scope.works_in_programme(user, PROGRAMME, referral.region_id)


def _referral(request: HttpRequest, pk: int) -> Referral:
    if not selectors.can_use(request.user):
        raise Http404
    return selectors.get_referral_for_user(
        request.user, pk, request=request, log=request.method == "GET"
    )


def _referral_to_work_on(request: HttpRequest, pk: int) -> Referral:
    """The referral for a form page: a programme worker's (else 404)."""
    referral = _referral(request, pk)
    if not can_work(request.user, referral):
        raise Http404
    return referral


def _closed_notice(request: HttpRequest, referral: Referral) -> HttpResponse | None:
    """Work is recorded on an accepted referral that is not closed: else back to it."""
    if referral.status in WORKABLE:
        return None
    messages.error(request, _("Work is recorded on an accepted referral that is not closed."))
    return redirect(referral)


def _add_errors(form: Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _form_page(request, template: str, context: dict, form: Form) -> HttpResponse:
    status = 422 if form.is_bound else 200
    return render(request, template, {**context, "form": form}, status=status)


# ---- the panels on the referral page ------------------------------------------------------------


def assessment_change(assessments: dict[str, GuardianAssessment]) -> int | None:
    before, after = assessments.get(AssessmentStage.BEFORE), assessments.get(AssessmentStage.AFTER)
    return after.total - before.total if before and after else None


def followup_context(request: HttpRequest, referral: Referral) -> dict:
    """The context of the guidance, orders, mentoring and closing panels of the referral page."""
    user = request.user
    working = can_work(user, referral)
    assessments = {a.stage: a for a in referral.guardian_assessments.all()}
    orders = list(
        referral.orders.prefetch_related(
            Prefetch("checks", queryset=ComplianceCheck.objects.select_related("checked_by"))
        )
    )
    return {
        "can_work": working,
        "can_record": working and referral.status in WORKABLE,
        "is_liaison": referral.agency_id in scope.partner_agencies(user),
        "plan": GuidancePlan.objects.filter(referral=referral).first(),
        "sessions": list(referral.guidance_sessions.select_related("recorded_by")),
        "assessments": assessments,
        "assessment_change": assessment_change(assessments),
        "orders": orders,
        "mentoring": list(referral.mentoring.select_related("recorded_by")),
        "closing": ClosingReport.objects.filter(referral=referral)
        .select_related("written_by")
        .first(),
        "today": timezone.localdate(),
    }


# ---- guidance -----------------------------------------------------------------------------------


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral_to_work_on(request, pk)
    if (back := _closed_notice(request, referral)) is not None:
        return back
    plan = GuidancePlan.objects.filter(referral=referral).first()
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                services.guidance_plan_save(
                    by=request.user, referral_id=referral.pk, **form.cleaned_data
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The guidance plan is saved."))
                return redirect(f"{referral.get_absolute_url()}#guidance")
    elif plan is not None:
        form = PlanForm(
            initial={
                "goals": plan.goals,
                "content": plan.content,
                "sessions_planned": plan.sessions_planned,
            }
        )
    else:
        form = PlanForm()
    context = {"referral": referral, "plan": plan}
    return _form_page(request, "juvenile/plan_form.html", context, form)


def _record_page(
    request: HttpRequest, pk: int, *, form_class, service, done: str, anchor: str, template: str
) -> HttpResponse:
    """A form that records one thing under a referral (a session, a mentoring record)."""
    referral = _referral_to_work_on(request, pk)
    if (back := _closed_notice(request, referral)) is not None:
        return back
    form = form_class(request.POST) if request.method == "POST" else form_class()
    if form.is_bound and form.is_valid():
        try:
            service(by=request.user, referral_id=referral.pk, data=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(f"{referral.get_absolute_url()}#{anchor}")
    return _form_page(request, template, {"referral": referral}, form)


@login_required
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_page(
        request,
        pk,
        form_class=SessionForm,
        service=services.session_add,
        done=_("The guidance session is recorded."),
        anchor="guidance",
        template="juvenile/session_form.html",
    )


@login_required
def assessment(request: HttpRequest, pk: int, stage: str) -> HttpResponse:
    """The guardian assessment before or after guidance: the form for a worker, the scores of
    both stages side by side for everyone who may read the referral."""
    if stage not in AssessmentStage.values:
        raise Http404
    referral = _referral(request, pk)
    working = can_work(request.user, referral) and referral.status in WORKABLE
    assessments = {a.stage: a for a in referral.guardian_assessments.select_related("assessed_by")}
    current = assessments.get(stage)
    form = None
    if request.method == "POST":
        if not can_work(request.user, referral):
            raise Http404
        if (back := _closed_notice(request, referral)) is not None:
            return back
        form = AssessmentForm(request.POST)
        if form.is_valid():
            try:
                services.guardian_assessment_record(
                    by=request.user,
                    referral_id=referral.pk,
                    stage=stage,
                    scores=form.scores(),
                    assessed_on=form.cleaned_data["assessed_on"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The guardian assessment is recorded."))
                return redirect("juvenile:guardian_assessment", pk=referral.pk, stage=stage)
    elif working:
        initial = {"assessed_on": current.assessed_on, **current.scores} if current else None
        form = AssessmentForm(initial=initial)
    before, after = assessments.get(AssessmentStage.BEFORE), assessments.get(AssessmentStage.AFTER)
    rows = [
        {
            "label": label,
            "before": before.scores.get(item) if before else None,
            "after": after.scores.get(item) if after else None,
        }
        for item, label in GUARDIAN_ITEM_LABELS.items()
    ]
    for row in rows:
        row["change"] = row["after"] - row["before"] if row["before"] and row["after"] else None
    context = {
        "referral": referral,
        "stage": stage,
        "stage_label": AssessmentStage(stage).label,
        "stages": AssessmentStage.choices,
        "form": form,
        "before": before,
        "after": after,
        "rows": rows,
        "change": assessment_change(assessments),
    }
    status = 422 if form is not None and form.is_bound else 200
    return render(request, "juvenile/assessment.html", context, status=status)


# ---- orders and compliance checks ---------------------------------------------------------------


@login_required
def order_new(request: HttpRequest, pk: int) -> HttpResponse:
    referral = _referral_to_work_on(request, pk)
    if (back := _closed_notice(request, referral)) is not None:
        return back
    if request.method == "POST":
        form = OrderForm(request.POST)
        if form.is_valid():
            try:
                services.order_add(by=request.user, referral_id=referral.pk, data=form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The order is recorded; its first check is scheduled."))
                return redirect(f"{referral.get_absolute_url()}#orders")
    else:
        form = OrderForm(initial={"issued_on": timezone.localdate()})
    return _form_page(request, "juvenile/order_form.html", {"referral": referral}, form)


@login_required
def check_record(request: HttpRequest, check: int) -> HttpResponse:
    """One compliance check: its due date (red when overdue) and, for a worker, the result."""
    if not selectors.can_use(request.user):
        raise Http404
    found = scope.get_visible_or_404(
        ComplianceCheck.objects.select_related("order", "checked_by"), request.user, pk=check
    )
    referral = _referral(request, found.order.referral_id)
    working = can_work(request.user, referral) and referral.status in WORKABLE
    open_check = found.checked_on is None
    form = None
    if request.method == "POST":
        if not can_work(request.user, referral):
            raise Http404
        if (back := _closed_notice(request, referral)) is not None:
            return back
        form = CheckForm(request.POST)
        if form.is_valid():
            try:
                services.compliance_record(by=request.user, check_id=found.pk, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The check is recorded."))
                return redirect(f"{referral.get_absolute_url()}#orders")
    elif working and open_check:
        form = CheckForm()
    today = timezone.localdate()
    context = {
        "referral": referral,
        "check": found,
        "order": found.order,
        "checks": list(found.order.checks.all()),
        "overdue": open_check and found.due_on < today,
        "form": form,
        "today": today,
    }
    status = 422 if form is not None and form.is_bound else 200
    return render(request, "juvenile/check.html", context, status=status)


# ---- mentoring ----------------------------------------------------------------------------------


@login_required
def mentoring_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_page(
        request,
        pk,
        form_class=MentoringForm,
        service=services.mentoring_add,
        done=_("The mentoring record is saved."),
        anchor="mentoring",
        template="juvenile/mentoring_form.html",
    )


# ---- closing ------------------------------------------------------------------------------------


def work_done(referral: Referral) -> dict:
    """What was done under the referral, for the closing report (one query per kind)."""
    interviews = referral.interviews.count()
    sessions = referral.guidance_sessions.aggregate(
        held=Count("id"), attended=Count("id", filter=Q(attended=True))
    )
    checks = ComplianceCheck.objects.filter(order__referral=referral).aggregate(
        orders=Count("order", distinct=True), done=Count("id", filter=Q(checked_on__isnull=False))
    )
    mentoring = referral.mentoring.aggregate(records=Count("id"), hours=Sum("hours"))
    return {
        "interviews": interviews,
        "sessions": sessions["held"],
        "sessions_attended": sessions["attended"],
        "orders": checks["orders"],
        "checks_done": checks["done"],
        "mentoring": mentoring["records"],
        "mentoring_hours": mentoring["hours"] or 0,
        "report": services.approved_report(referral),
    }


@login_required
def closing(request: HttpRequest, pk: int) -> HttpResponse:
    """The closing report: written once, when the referral is in progress; read afterwards."""
    referral = _referral(request, pk)
    written = ClosingReport.objects.filter(referral=referral).select_related("written_by").first()
    working = can_work(request.user, referral)
    needs_report = ServiceRequested.INVESTIGATION in referral.services
    done = work_done(referral)
    may_close = (
        working
        and written is None
        and referral.status == ReferralStatus.IN_PROGRESS
        and (done["report"] is not None or not needs_report)
    )
    form = None
    if request.method == "POST":
        if not working:
            raise Http404
        form = ClosingForm(request.POST)
        if form.is_valid():
            try:
                services.closing_write(
                    by=request.user,
                    referral_id=referral.pk,
                    version=form.cleaned_data["version"],
                    summary=form.cleaned_data["summary"],
                    outcome=form.cleaned_data["outcome"],
                )
            except services.StaleReferral as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The closing report is written; the referral is done."))
                return redirect(f"{referral.get_absolute_url()}#closing")
    elif may_close:
        form = ClosingForm(initial={"version": referral.version})
    context = {
        "referral": referral,
        "closing": written,
        "done": done,
        "form": form,
        "needs_report": needs_report,
        "in_progress": referral.status == ReferralStatus.IN_PROGRESS,
        "can_work": working,
    }
    status = 422 if form is not None and form.is_bound else 200
    return render(request, "juvenile/closing.html", context, status=status)
