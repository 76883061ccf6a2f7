"""Case pages and "my work". Thin: parse → access helper or selector → service → render.

Every change posts back to the case page. Changes of the case itself carry the version the
worker read: a stale one is refused with a message and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.accounts.models import User
from shegong.people import selectors as people_selectors
from shegong.people import services as people_services
from shegong.regions.selectors import regions_under

from . import selectors, services, work_export
from .forms import CaseOpenForm, NoteForm, PeriodFilterForm, PlanForm, TaskForm, VisitForm
from .models import (
    STAGE_ORDER,
    Approval,
    ApprovalStatus,
    ApprovalSubject,
    Case,
    Notification,
    PlanStatus,
    PlanTask,
    Stage,
    VisitMode,
)


def _int(value: Any, default: int | None = 0) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc)


def _run(request: HttpRequest, case_id: int, action, success: str, anchor: str = "") -> Any:
    """Call a service; a refusal becomes a message on the case page, success another."""
    # Out of scope is 404 before anything else is looked at.
    selectors.get_case_for_user(request.user, case_id, write=True)
    try:
        action()
    except services.StaleCase as exc:
        messages.error(request, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(request, success)
    return redirect(_case_url(case_id, anchor))


def _case_url(case_id: int, anchor: str = "") -> str:
    url = Case(pk=case_id).get_absolute_url()
    return f"{url}#{anchor}" if anchor else url


def _user_from(request: HttpRequest, name: str) -> User:
    user = User.objects.filter(pk=_int(request.POST.get(name)), is_active=True).first()
    if user is None:
        raise ValidationError(_("Choose a person."))
    return user


# ---- lists ----------------------------------------------------------------------------------


CASE_FILTER_LABELS = {
    "stage": gettext_lazy("Stage"),
    "programme": gettext_lazy("Programme"),
    "mine": gettext_lazy("Mine"),
    "dates": gettext_lazy("Dates"),
}


def _case_export_columns() -> list[exports.Column]:
    person = exports.person_of("person")
    return [
        exports.Column(_("name"), lambda c: c.person.name, width=12),
        exports.id_number_column(person),
        exports.Column(_("township"), lambda c: getattr(c.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda c: c.person.region.name),
        exports.Column(_("programme"), lambda c: c.get_programme_display()),
        exports.Column(_("stage"), lambda c: c.get_stage_display(), width=10),
        exports.Column(_("title"), lambda c: c.title, width=20),
        exports.Column(_("case owner"), lambda c: c.owner.display_name),
        exports.Column(_("opened at"), lambda c: c.opened_at, width=17),
        exports.Column(_("closed at"), lambda c: c.closed_at, width=17),
    ]


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases in the user's area. Besides stage, programme, name and "mine" it takes the
    dashboard's filters: ``region`` and ``from``/``to`` on the date chosen by ``dates``
    (``opened``, the default, or ``closed``); ``stage=all`` is every stage."""
    scope.require_registry_reader(request.user)
    period = PeriodFilterForm(request.GET)
    date_from, date_to = period.period()
    stage = request.GET.get("stage", "open").strip()
    dates = request.GET.get("dates", "").strip()
    filters = selectors.CaseFilters(
        stage="" if stage == "all" else stage,
        programme=request.GET.get("programme", "").strip(),
        q=request.GET.get("q", "").strip(),
        mine=request.GET.get("mine") == "1",
        region=request.GET.get("region", "").strip(),
        dates=dates if dates in selectors.CASE_DATES else "opened",
        date_from=date_from,
        date_to=date_to,
    )
    cases = selectors.case_list(fetched_by=request.user, filters=filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Cases"),
            rows=cases,
            columns=_case_export_columns(),
            filter_labels=CASE_FILTER_LABELS,
        )
    paginator = Paginator(cases, settings.SHEGONG_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "cases": page.object_list,
        "filters": filters,
        "form": period,
        "stages": Stage.choices,
        "programmes": selectors.programme_choices(request.user),
        # Without a choice the lists leave the closed programmes out: say so to their workers.
        "programmes_closed": selectors.offers_closed_programme(request.user),
        "regions": regions_under(scope.scope_for(request.user).read_prefixes),
        "can_reveal": scope.can_reveal(request.user),
    }
    return render(request, "casework/case_list.html", context)


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    today = timezone.localdate()
    notifications = Notification.objects.filter(user=request.user).order_by(
        "read_at", "-created_at", "-id"
    )[:30]
    context = {
        "today": today,
        "work": selectors.work_for(user=request.user, today=today),
        "notifications": notifications,
        "unread": Notification.objects.filter(user=request.user, read_at__isnull=True).count(),
        "days": selectors.UPCOMING_DAYS,
        "overdue_orders": _overdue_service_orders(request.user, today),
        "elderly_visits": _elderly_visits_due(request.user, today),
        "overdue_checks": _overdue_guardianship_checks(request.user, today),
    }
    if exports.requested(request):
        rows = work_export.work_rows(
            context["work"],
            days=context["days"],
            overdue_orders=context["overdue_orders"],
            overdue_checks=context["overdue_checks"],
            elderly_visits=context["elderly_visits"],
        )
        return exports.xlsx_response(
            request, title=_("My work"), rows=rows, columns=work_export.work_columns()
        )
    return render(request, "casework/my_work.html", context)


def _overdue_service_orders(user, today) -> list:
    """Elderly-care service orders overdue for this provider (the elderly app answers; imported
    here, not at module level, so that casework stays below the programmes)."""
    from shegong.elderly.selectors import overdue_orders_for

    return overdue_orders_for(user=user, today=today)


def _elderly_visits_due(user, today) -> list | None:
    """Old people in the user's scope whose visit is due within a week or overdue, for the
    roles that make the visits (``None`` for others); imported here like the orders above."""
    from shegong.elderly.visits import visits_due_for

    return visits_due_for(user=user, today=today)


def _overdue_guardianship_checks(user, today) -> list:
    """Compliance checks of guardianship orders overdue on the juvenile referrals this user works
    on (the juvenile app answers; imported here like the orders above)."""
    from shegong.juvenile.selectors import overdue_checks

    if not scope.works_in_programme(user, "juvenile"):
        return []
    return list(overdue_checks(user=user, today=today))


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notification_id = request.POST.get("notification")
    services.notification_read(
        user=request.user, notification_id=_int(notification_id) if notification_id else None
    )
    # Pages other than "my work" show notifications too (a liaison's referral list).
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("casework:my_work")


# ---- the case page --------------------------------------------------------------------------


def _stepper(case: Case) -> list[dict]:
    current = STAGE_ORDER.index(case.stage)
    return [
        {"value": value, "label": label, "done": i < current, "current": i == current}
        for i, (value, label) in enumerate(Stage.choices)
    ]


def _moves(case: Case) -> dict[str, tuple[str, str] | None]:
    if not case.is_open:
        return {"back": None, "forward": None}
    i = STAGE_ORDER.index(case.stage)
    labels = dict(Stage.choices)
    back = STAGE_ORDER[i - 1] if i > 0 else None
    forward = STAGE_ORDER[i + 1] if i + 1 < len(STAGE_ORDER) else None
    return {
        "back": (back, labels[back]) if back else None,
        "forward": (forward, labels[forward]) if forward else None,
    }


def _value_label(value: str) -> str:
    """Stage values and "subject:status" pairs of the event trail, in words."""
    if ":" in value:
        subject, status = value.split(":", 1)
        subjects, statuses = dict(ApprovalSubject.choices), dict(ApprovalStatus.choices)
        return f"{subjects.get(subject, subject)} · {statuses.get(status, status)}"
    return str(dict(Stage.choices).get(value, value))


def _event_rows(events) -> list[dict]:
    return [
        {
            "event": event,
            "from": _value_label(event.from_value),
            "to": _value_label(event.to_value),
        }
        for event in events
    ]


def _detail(request: HttpRequest, case: Case, **forms: Any) -> HttpResponse:
    user = request.user
    supervisor = selectors.is_supervisor_of(user, case)
    staff = selectors.case_staff(case)
    approvals = list(selectors.approvals_of(case, user))
    pending = {a.subject for a in approvals if a.status == ApprovalStatus.REQUESTED}
    workers = list(case.workers.order_by("username"))
    worker_ids = {w.pk for w in workers}
    can_edit = scope.can_write_region(user, case.person.region_id)
    context = {
        "case": case,
        "person": case.person,
        "plan": case.plan,
        "child": selectors.child_profile_of(case.person_id, user),
        "stepper": _stepper(case),
        "moves": _moves(case),
        "workers": workers,
        "addable_workers": [u for u in staff if u.pk not in worker_ids],
        "owners": [u for u in selectors.case_staff(case, owner=True) if u.pk != case.owner_id],
        "events": _event_rows(selectors.events_of(case, user)),
        "tasks": selectors.tasks_of(case, user),
        "approvals": approvals,
        "requestable": [
            (value, label)
            for value, label in ApprovalSubject.choices
            if value not in pending and services.APPROVAL_STAGE[value] == case.stage
        ],
        "is_supervisor": supervisor,
        "to_decide": [
            a
            for a in approvals
            if supervisor and a.status == ApprovalStatus.REQUESTED and a.requested_by_id != user.pk
        ],
        "notes": selectors.notes_for(case=case, user=user),
        "visits": selectors.visits_of(person_id=case.person_id, user=user),
        "can_edit": can_edit,
        "plan_editable": can_edit and case.is_open and case.plan.status != PlanStatus.SUBMITTED,
        "visit_form": forms.get("visit_form") or VisitForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "plan_form": forms.get("plan_form")
        or PlanForm(
            initial={
                "version": case.plan.version,
                "goals": case.plan.goals,
                "services": case.plan.services,
            }
        ),
        "task_form": forms.get("task_form")
        or TaskForm(staff=staff, initial={"owner": user.pk if user in staff else None}),
        "modes": VisitMode.choices,
        "today": timezone.localdate(),
    }
    return render(request, "casework/case_detail.html", context)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, pk)
    people_services.person_record_read(by=request.user, person=case.person, request=request)
    return _detail(request, case)


@login_required
def case_open(request: HttpRequest) -> HttpResponse:
    """Open a case for a person (``?person=<id>``, linked from the person and card pages)."""
    person = people_selectors.get_person_for_user(
        request.user, _int(request.GET.get("person")), write=True
    )
    form = CaseOpenForm(request.POST or None, initial={"programme": request.GET.get("programme")})
    # A closed programme only for its own workers (the service refuses it to anyone else).
    form.fields["programme"].choices = selectors.programme_choices(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(by=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Case opened."))
            return redirect(case)
    open_cases = scope.visible(Case.objects.filter(person=person), request.user).exclude(
        stage=Stage.CLOSED
    )
    context = {"form": form, "person": person, "open_cases": open_cases}
    return render(request, "casework/case_open.html", context)


@login_required
@require_POST
def case_move(request: HttpRequest, pk: int) -> HttpResponse:
    to_stage = request.POST.get("to_stage", "")
    label = dict(Stage.choices).get(to_stage, to_stage)
    return _run(
        request,
        pk,
        lambda: services.case_move(
            by=request.user,
            case_id=pk,
            version=_int(request.POST.get("version")),
            to_stage=to_stage,
            note=request.POST.get("note", ""),
        ),
        _("The case moved to %(stage)s.") % {"stage": label},
    )


@login_required
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        lambda: services.case_reopen(
            by=request.user,
            case_id=pk,
            version=_int(request.POST.get("version")),
            reason=request.POST.get("reason", ""),
        ),
        _("The case is open again."),
    )


@login_required
@require_POST
def case_workers(request: HttpRequest, pk: int) -> HttpResponse:
    remove = request.POST.get("action") == "remove"
    return _run(
        request,
        pk,
        lambda: services.case_assign(
            by=request.user,
            case_id=pk,
            version=_int(request.POST.get("version")),
            worker=_user_from(request, "worker"),
            remove=remove,
        ),
        _("Worker removed.") if remove else _("Worker assigned."),
        "people",
    )


@login_required
@require_POST
def case_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        lambda: services.case_transfer(
            by=request.user,
            case_id=pk,
            version=_int(request.POST.get("version")),
            owner=_user_from(request, "owner"),
            note=request.POST.get("note", ""),
        ),
        _("The case has a new owner."),
        "people",
    )


@login_required
@require_POST
def plan_save(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, pk, write=True)
    form = PlanForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, plan_form=form)
    return _run(
        request,
        pk,
        lambda: services.plan_save(
            by=request.user,
            case_id=pk,
            version=form.cleaned_data["version"],
            goals=form.cleaned_data["goals"],
            services=form.cleaned_data["services"],
        ),
        _("Plan saved."),
        "plan",
    )


@login_required
@require_POST
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, pk, write=True)
    form = TaskForm(request.POST, staff=selectors.case_staff(case))
    if form.is_valid():
        try:
            services.plan_task_add(by=request.user, case_id=pk, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Task added."))
            return redirect(_case_url(pk, "plan"))
    return _detail(request, case, task_form=form)


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    if not PlanTask.objects.filter(pk=task_id, plan__case_id=pk).exists():
        raise Http404
    return _run(
        request,
        pk,
        lambda: services.plan_task_done(by=request.user, task_id=task_id),
        _("Task done."),
        "plan",
    )


@login_required
@require_POST
def approval_request(request: HttpRequest, pk: int) -> HttpResponse:
    return _run(
        request,
        pk,
        lambda: services.approval_request(
            by=request.user,
            case_id=pk,
            subject=request.POST.get("subject", ""),
            note=request.POST.get("note", ""),
        ),
        _("Approval requested; the supervisors are told."),
        "approvals",
    )


@login_required
@require_POST
def approval_decide(request: HttpRequest, pk: int, approval_id: int) -> HttpResponse:
    if not Approval.objects.filter(pk=approval_id, case_id=pk).exists():
        raise Http404
    approve = request.POST.get("decision") == "approve"
    return _run(
        request,
        pk,
        lambda: services.approval_decide(
            by=request.user,
            approval_id=approval_id,
            approve=approve,
            comment=request.POST.get("comment", ""),
        ),
        _("Approved.") if approve else _("Returned with your comment."),
        "approvals",
    )


@login_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, pk, write=True)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(by=request.user, case_id=pk, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect(_case_url(pk, "notes"))
    return _detail(request, case, note_form=form)


@login_required
@require_POST
def visit_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, pk, write=True)
    form = VisitForm(request.POST)
    if form.is_valid():
        try:
            services.visit_record(
                by=request.user,
                person=case.person,
                programme=case.programme,
                case=case if case.is_open else None,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect(_case_url(pk, "visits"))
    return _detail(request, case, visit_form=form)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)
