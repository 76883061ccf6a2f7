"""Volunteer pages: the register, one volunteer, the form, the hours certificate and the
volunteer's own page. Every volunteer comes through the scope gate: staff by region, a volunteer
only their own record."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shegong import exports
from shegong.accounts import scope
from shegong.people.crypto import mask_phone
from shegong.regions.selectors import page_number, regions_under

from . import export_columns, volunteers, volunteers_selectors
from .forms_volunteers import VolunteerForm
from .models import Assignment, Volunteer
from .volunteers_selectors import VolunteerFilters
from .volunteers_tasks import may_log


def add_errors(form, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = rename.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _filters(request: HttpRequest) -> VolunteerFilters:
    return VolunteerFilters(
        q=request.GET.get("q", ""),
        region=request.GET.get("region", ""),
        registered=request.GET.get("registered", ""),
        skill=request.GET.get("skill", ""),
        active=request.GET.get("active", ""),
        joined_by=parse_date(request.GET.get("to", "").strip()),
    )


def _export_columns() -> list[exports.Column]:
    return [
        exports.Column(_("name"), lambda v: v.name, width=12),
        exports.Column(
            _("phone"), lambda v: mask_phone(v.phone), full=lambda v: v.phone, field="phone"
        ),
        exports.Column(_("township"), lambda v: getattr(v.region.parent, "name", "")),
        exports.Column(_("village"), lambda v: v.region.name),
        exports.Column(_("skills"), lambda v: v.skills, width=24),
        exports.Column(_("registered on the national system"), lambda v: _yes_no(v.registered)),
        exports.Column(_("national volunteer number"), lambda v: v.national_number, width=18),
        exports.Column(_("joined on"), lambda v: v.joined_on, width=12),
        exports.Column(_("active"), lambda v: _yes_no(v.is_active), width=8),
        exports.Column(_("approved hours"), lambda v: v.approved_hours, width=10),
        exports.Column(_("tasks"), lambda v: v.task_count, width=8),
    ]


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


@login_required
def volunteer_list(request: HttpRequest) -> HttpResponse:
    wants_export = exports.requested(request)
    if scope.is_volunteer(request.user) and not scope.can_read_registry(request.user):
        if wants_export:
            raise Http404
        return redirect("community:my_tasks")
    scope.require_registry_reader(request.user)
    filters = _filters(request)
    if wants_export:
        return exports.xlsx_response(
            request,
            title=_("Volunteers"),
            rows=volunteers_selectors.volunteer_list(fetched_by=request.user, filters=filters),
            columns=_export_columns(),
        )
    number = page_number(request.GET)
    size = settings.SHEGONG_PAGE_SIZE
    items, count = volunteers_selectors.volunteer_page(
        fetched_by=request.user, filters=filters, page=number, page_size=size
    )
    page = Paginator(range(count), size).get_page(number)
    return render(
        request,
        "community/volunteer_list.html",
        {
            "volunteers": items,
            "count": count,
            "page": page,
            "filters": filters,
            "regions": regions_under(scope.scope_for(request.user).read_prefixes),
            "can_create": bool(scope.scope_for(request.user).write_prefixes),
            "can_reveal": scope.can_reveal(request.user),
        },
    )


@login_required
def volunteer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    volunteer = volunteers_selectors.get_volunteer_for_user(user, pk)
    can_write = scope.can_write_region(user, volunteer.region_id)
    return render(
        request,
        "community/volunteer_detail.html",
        {
            "volunteer": volunteer,
            "assignments": volunteers_selectors.volunteer_assignments(volunteer),
            "hours": volunteers_selectors.approved_hours_total(volunteer),
            "activities": volunteers_selectors.activities_count(volunteer),
            "trainings": volunteers_selectors.volunteer_trainings(volunteer),
            "can_write": can_write,
        },
    )


def _account(username: str):
    """The account named ``username`` (None when empty), or a ValidationError."""
    if not username.strip():
        return None
    account = get_user_model().objects.filter(username=username.strip()).first()
    if account is None:
        raise ValidationError(_("No account with this username."))
    return account


def _volunteer_data(request: HttpRequest, form: VolunteerForm, volunteer: Volunteer | None):
    """The service's arguments from a valid form; errors land on the form (then None)."""
    data = form.cleaned_data
    person = volunteer.person if volunteer is not None else None
    try:
        if data["id_number"].strip():
            person = volunteers_selectors.person_by_id_number(
                raw=data["id_number"], fetched_by=request.user, write=True
            )
    except ValidationError as exc:
        form.add_error("id_number", exc)
        return None
    try:
        account = _account(data["username"])
    except ValidationError as exc:
        form.add_error("username", exc)
        return None
    return {
        "person": person,
        "name": data["name"],
        "phone": data["phone"],
        "region": data["region"],
        "skills": data["skills"],
        "availability": data["availability"],
        "registered": data["registered"],
        "national_number": data["national_number"],
        "joined_on": data["joined_on"],
        "user": account,
    }


RENAME = {"person": "id_number", "user": "username"}


@login_required
def volunteer_new(request: HttpRequest) -> HttpResponse:
    if not scope.scope_for(request.user).write_prefixes:
        raise Http404
    form = VolunteerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = _volunteer_data(request, form, None)
        if data is not None:
            try:
                volunteer = volunteers.volunteer_create(by=request.user, **data)
            except ValidationError as exc:
                add_errors(form, exc, RENAME)
            else:
                messages.success(request, _("Volunteer %(name)s registered.") % {"name": volunteer})
                return redirect("community:volunteer", pk=volunteer.pk)
    return render(request, "community/volunteer_form.html", {"form": form, "volunteer": None})


@login_required
def volunteer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = volunteers_selectors.get_volunteer_for_user(request.user, pk, write=True)
    initial = {
        "name": volunteer.name,
        "phone": volunteer.phone,
        "region": volunteer.region,
        "skills": volunteer.skills,
        "availability": volunteer.availability,
        "registered": volunteer.registered,
        "national_number": volunteer.national_number,
        "joined_on": volunteer.joined_on,
        "is_active": volunteer.is_active,
        "username": volunteer.user.username if volunteer.user else "",
        "version": volunteer.version,
    }
    form = VolunteerForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = _volunteer_data(request, form, volunteer)
        if data is not None:
            data["is_active"] = form.cleaned_data["is_active"]
            try:
                volunteers.volunteer_update(
                    by=request.user,
                    volunteer_id=volunteer.pk,
                    version=form.cleaned_data["version"],
                    changes=data,
                )
            except ValidationError as exc:
                add_errors(form, exc, RENAME)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("community:volunteer", pk=volunteer.pk)
    return render(request, "community/volunteer_form.html", {"form": form, "volunteer": volunteer})


def _date_param(request: HttpRequest, name: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return default


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable hours certificate: the volunteer themself, or staff in scope."""
    volunteer = volunteers_selectors.get_volunteer_for_user(request.user, pk)
    today = timezone.localdate()
    start = _date_param(request, "from", today.replace(month=1, day=1))
    end = _date_param(request, "to", today.replace(month=12, day=31))
    if end < start:
        start, end = end, start
    found = volunteers_selectors.certificate(volunteer=volunteer, start=start, end=end)
    return render(
        request,
        "community/certificate.html",
        {"certificate": found, "volunteer": volunteer, "today": today},
    )


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """A volunteer's own page: their tasks, open tasks to sign up for, hours and certificate.
    Of a person served they see the name and village, nothing else."""
    user = request.user
    if not scope.is_volunteer(user):
        raise Http404
    volunteer = (
        scope.visible(Volunteer.objects.filter(user=user), user).select_related("region").first()
    )
    context: dict = {"volunteer": volunteer}
    if exports.requested(request):
        if volunteer is None:
            raise Http404
        return exports.xlsx_response(
            request,
            title=_("My volunteer tasks"),
            rows=_own_assignments(user, volunteer),
            columns=export_columns.my_task_columns(),
        )
    if volunteer is not None:
        assignments = _own_assignments(user, volunteer)
        context.update(
            {
                "rows": [{"assignment": a, "can_log": may_log(a)} for a in assignments],
                "open_tasks": volunteers_selectors.open_tasks_for(volunteer),
                "hours": volunteers_selectors.approved_hours_total(volunteer),
                "activities": volunteers_selectors.activities_count(volunteer),
            }
        )
    return render(request, "community/my_tasks.html", context)


def _own_assignments(user, volunteer: Volunteer):
    return (
        scope.visible(Assignment.objects.filter(volunteer=volunteer), user)
        .select_related("task__region", "task__person__region")
        .order_by("-task__date", "-pk")
    )
