"""Training course pages: the list, one course with its sessions, the course form, and the
attendance of one session. Staff only; courses come through the scope gate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shegong import exports
from shegong.accounts import scope

from . import export_columns, training
from .forms_volunteers import CourseForm, TrainingSessionForm
from .models import TrainingSession
from .views_volunteers import add_errors


def _ids(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise Http404 from None


@login_required
def training_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    courses = training.course_list(fetched_by=request.user)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Training courses"),
            rows=courses.annotate(total_hours=Sum("sessions__hours")).order_by("-pk"),
            columns=export_columns.course_columns(),
        )
    return render(
        request,
        "community/training_list.html",
        {
            "courses": courses,
            "can_create": bool(scope.scope_for(request.user).write_prefixes),
        },
    )


@login_required
def training_new(request: HttpRequest) -> HttpResponse:
    if not scope.scope_for(request.user).write_prefixes:
        raise Http404
    form = CourseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            course = training.course_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("community:training", pk=course.pk)
    return render(request, "community/training_form.html", {"form": form})


@login_required
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    course = training.get_course_for_user(request.user, pk)
    can_write = scope.can_write_region(request.user, course.region_id)
    form = TrainingSessionForm(request.POST or None) if can_write else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                training.session_add(by=request.user, course=course, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Session added."))
                return redirect("community:training", pk=pk)
    return render(
        request,
        "community/training_detail.html",
        {
            "course": course,
            "sessions": training.course_sessions(course),
            "form": form,
            "can_write": can_write,
        },
    )


@login_required
def training_attendance(request: HttpRequest, pk: int, session_id: int) -> HttpResponse:
    course = training.get_course_for_user(request.user, pk)
    if not scope.can_write_region(request.user, course.region_id):
        raise Http404
    session = TrainingSession.objects.filter(course=course, pk=session_id).first()
    if session is None:
        raise Http404
    staff = training.eligible_staff(course)
    volunteers = training.eligible_volunteers(course, request.user)
    if request.method == "POST":
        try:
            training.attendance_set(
                by=request.user,
                session=session,
                staff_ids=_ids(request.POST.getlist("staff")),
                volunteer_ids=_ids(request.POST.getlist("volunteers")),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Attendance saved."))
            return redirect("community:training", pk=pk)
    return render(
        request,
        "community/training_attendance.html",
        {
            "course": course,
            "session": session,
            "staff": staff,
            "volunteers": volunteers,
            "ticked_staff": set(session.staff.values_list("pk", flat=True)),
            "ticked_volunteers": set(session.volunteers.values_list("pk", flat=True)),
        },
    )
