"""Volunteer task pages: the list, one task (sign-ups, assignments, hours to approve), the form,
and the POST-only moves of the workflow. A volunteer reaches only the tasks they are on, and of
the person served sees the name and village only."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.regions.selectors import page_number, regions_under

from . import export_columns
from . import volunteers_selectors as selectors
from . import volunteers_tasks as tasks
from .forms_volunteers import TaskForm
from .models import Assignment, TaskKind, TaskStatus, Volunteer, VolunteerTask
from .views_volunteers import add_errors
from .volunteers_selectors import TaskFilters

RENAME = {"person": "person_id_number"}


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    if scope.is_volunteer(request.user) and not scope.can_read_registry(request.user):
        if exports.requested(request):
            raise Http404
        return redirect("community:my_tasks")
    scope.require_registry_reader(request.user)
    filters = TaskFilters(
        q=request.GET.get("q", ""),
        status=request.GET.get("status", ""),
        kind=request.GET.get("kind", ""),
        region=request.GET.get("region", ""),
    )
    queryset = selectors.task_list(fetched_by=request.user, filters=filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Volunteer tasks"),
            rows=queryset.select_related("region__parent"),
            columns=export_columns.task_columns(),
        )
    page = Paginator(queryset, settings.SHEGONG_PAGE_SIZE).get_page(page_number(request.GET))
    return render(
        request,
        "community/task_list.html",
        {
            "page": page,
            "tasks": page.object_list,
            "filters": filters,
            "regions": regions_under(scope.scope_for(request.user).read_prefixes),
            "statuses": TaskStatus.choices,
            "kinds": TaskKind.choices,
            "can_create": bool(scope.scope_for(request.user).write_prefixes),
        },
    )


def _own_assignment(user, task) -> Assignment | None:
    return (
        scope.visible(Assignment.objects.filter(task=task), user)
        .filter(volunteer__user=user)
        .first()
    )


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    task = selectors.get_task_for_user(user, pk)
    organiser = tasks.can_organise(user, task)
    context: dict = {"task": task, "can_organise": organiser}
    if organiser or scope.can_read_registry(user):
        assignments = task.assignments.select_related("volunteer__region", "approved_by")
        context["assignments"] = assignments
        if organiser:
            context["candidates"] = selectors.candidates_for(task=task, fetched_by=user)
    else:
        # A volunteer on the task: the task, the served person's name and village, their own
        # assignment. Nothing about the other volunteers.
        own = _own_assignment(user, task)
        context["own"] = own
        context["can_log"] = own is not None and tasks.may_log(own)
    context["volunteer_view"] = not (organiser or scope.can_read_registry(user))
    return render(request, "community/task_detail.html", context)


def _task_data(request: HttpRequest, form: TaskForm) -> dict | None:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    raw = data.pop("person_id_number").strip()
    data["person"] = None
    if raw:
        try:
            data["person"] = selectors.person_by_id_number(raw=raw, fetched_by=request.user)
        except ValidationError as exc:
            form.add_error("person_id_number", exc)
            return None
    return data


@login_required
def task_new(request: HttpRequest) -> HttpResponse:
    if not scope.scope_for(request.user).write_prefixes:
        raise Http404
    form = TaskForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = _task_data(request, form)
        if data is not None:
            try:
                task = tasks.task_create(by=request.user, **data)
            except ValidationError as exc:
                add_errors(form, exc, RENAME)
            else:
                return redirect("community:task", pk=task.pk)
    return render(request, "community/task_form.html", {"form": form, "task": None})


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for_user(request.user, pk)
    if not tasks.can_organise(request.user, task):
        raise Http404
    initial = {
        "title": task.title,
        "kind": task.kind,
        "region": task.region,
        "date": task.date,
        "place": task.place,
        "slots": task.slots,
        "description": task.description,
        "version": task.version,
    }
    form = TaskForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"]
        data = _task_data(request, form)
        if data is not None:
            if data["person"] is None:
                data["person"] = task.person  # an empty ID number keeps the person served
            try:
                tasks.task_update(by=request.user, task=task, version=version, changes=data)
            except ValidationError as exc:
                add_errors(form, exc, RENAME)
            else:
                return redirect("community:task", pk=task.pk)
    return render(request, "community/task_form.html", {"form": form, "task": task})


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for_user(request.user, pk)
    try:
        tasks.task_set_status(
            by=request.user,
            task=task,
            version=_version(request),
            status=request.POST.get("status", ""),
        )
    except ValidationError as exc:
        _error(request, exc)
    return redirect("community:task", pk=pk)


@login_required
@require_POST
def task_sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    """A volunteer signs up for an open task of their area (one they are not on yet, so it is
    not behind the gate: the service checks that the task covers their village)."""
    if not scope.is_volunteer(request.user):
        raise Http404
    task = VolunteerTask.objects.filter(pk=pk, status=TaskStatus.OPEN).first()
    if task is None:
        raise Http404
    try:
        tasks.sign_up(by=request.user, task=task)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("You signed up. The organiser will confirm."))
    return redirect("community:my_tasks")


@login_required
@require_POST
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for_user(request.user, pk)
    try:
        volunteer_id = int(request.POST.get("volunteer", ""))
    except ValueError:
        raise Http404 from None
    found = scope.visible(Volunteer.objects.filter(pk=volunteer_id), request.user).first()
    if found is None:
        raise Http404
    try:
        tasks.assign(by=request.user, task=task, volunteer=found)
    except ValidationError as exc:
        _error(request, exc)
    return redirect("community:task", pk=pk)


ACTIONS = {"confirm", "decline", "withdraw", "log", "approve", "reject"}


@login_required
@require_POST
def assignment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One move on an assignment; the service decides whether this user may make it."""
    if action not in ACTIONS:
        raise Http404
    user = request.user
    assignment = selectors.get_assignment_for_user(user, pk)
    version = _version(request)
    try:
        if action == "confirm":
            tasks.confirm(by=user, assignment=assignment, version=version)
        elif action == "decline":
            tasks.decline(by=user, assignment=assignment, version=version)
        elif action == "withdraw":
            tasks.withdraw(by=user, assignment=assignment, version=version)
        elif action == "log":
            hours = request.POST.get("hours", "")
            tasks.log_hours(by=user, assignment=assignment, version=version, hours=hours)
        else:
            note = request.POST.get("note", "")
            if action == "approve":
                tasks.approve_hours(by=user, assignment=assignment, version=version, note=note)
            else:
                tasks.reject_hours(by=user, assignment=assignment, version=version, note=note)
    except ValidationError as exc:
        _error(request, exc)
    if assignment.volunteer.user_id == user.pk and not tasks.can_organise(user, assignment.task):
        return redirect("community:my_tasks")
    return redirect("community:task", pk=assignment.task_id)
