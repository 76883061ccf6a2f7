"""Activity pages: the list, one activity (participants, volunteers, sessions with attendance,
photos, closing), the forms, and the community overview.

Activities come through the scope gate (the organising station's region): volunteers, viewers
and users of other areas get 404. Photos are streamed by a view after the same check, never
from a public media address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.people.models import Person
from shegong.regions.models import Region

from . import activities as services
from . import activities_selectors as selectors
from .forms_activities import (
    ActivityFilterForm,
    ActivityForm,
    CloseForm,
    PhotoForm,
    SessionForm,
)
from .libraries import organisation_library
from .models import Activity, ActivityStatus, Volunteer
from .volunteers import activity_volunteers


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _ids(values: list[str]) -> list[int]:
    return [n for n in (_int(v, -1) for v in values) if n > 0]


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


def _url(activity: Activity, anchor: str = "") -> str:
    url = reverse("community:activity", args=[activity.pk])
    return f"{url}#{anchor}" if anchor else url


def _run(request: HttpRequest, activity: Activity, action, success: str, anchor: str = ""):
    """Run a service; its refusal becomes the page's error message."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(_url(activity, anchor))


# The list ------------------------------------------------------------------------------------


def _export_columns() -> list[exports.Column]:
    return [
        exports.Column(_("date"), lambda a: a.date, width=12),
        exports.Column(_("title"), lambda a: a.title, width=30),
        exports.Column(_("kind"), lambda a: a.get_kind_display()),
        exports.Column(_("status"), lambda a: a.get_status_display(), width=10),
        exports.Column(_("township"), lambda a: getattr(a.region.parent, "name", "")),
        exports.Column(_("organised by"), lambda a: a.region.name),
        exports.Column(_("participants"), lambda a: a.participants_count, width=10),
        exports.Column(_("head count"), lambda a: a.head_count, width=10),
        exports.Column(_("person-times"), lambda a: a.counted_person_times, width=10),
        exports.Column(_("volunteers"), lambda a: a.volunteers_count, width=10),
    ]


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    form = ActivityFilterForm(request.GET)
    form.is_valid()  # a bad field is reported on the form and left out of the filters
    data = form.cleaned_data
    region_code = request.GET.get("region", "").strip()
    filters = selectors.ActivityFilters(
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        date_from=data.get("from"),
        date_to=data.get("to"),
        region=region_code,
        target=data.get("target") or "",
    )
    queryset = selectors.activity_list(fetched_by=request.user, filters=filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request, title=_("Activities"), rows=queryset, columns=_export_columns()
        )
    page = Paginator(queryset, settings.SHEGONG_PAGE_SIZE).get_page(request.GET.get("page"))
    region = None
    if region_code.isdigit() and len(region_code) <= 12:
        region = Region.objects.filter(code=region_code.ljust(12, "0")).first()
    context = {
        "form": form,
        "page": page,
        "activities": page.object_list,
        "region": region,
        "can_create": bool(selectors.organising_regions(request.user)),
    }
    return render(request, "community/activity_list.html", context)


# One activity --------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    activity: Activity,
    *,
    close_form: CloseForm | None = None,
    photo_form: PhotoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_write = selectors.can_write(request.user, activity)
    context = {
        "activity": activity,
        "counted": selectors.beneficiaries(activity),
        "participants": selectors.participants(activity),
        "sessions": selectors.sessions(activity),
        "volunteers": activity_volunteers(activity).order_by("region_id", "name", "pk"),
        "organisations": activity.organisations.order_by("kind", "name"),
        "photos": activity.photos.all(),
        "can_write": can_write,
        "is_planned": activity.status == ActivityStatus.PLANNED,
        "close_form": close_form
        or CloseForm(initial={"summary": activity.summary, "version": activity.version}),
        "photo_form": photo_form or PhotoForm(),
    }
    return render(request, "community/activity_detail.html", context, status=status)


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.get_activity_for_user(request.user, pk))


@login_required
def activity_new(request: HttpRequest) -> HttpResponse:
    regions = selectors.organising_regions(request.user)
    if not regions or not scope.can_read_registry(request.user):
        raise Http404
    choices = Region.objects.filter(code__in=[r.code for r in regions]).order_by("code")
    form = ActivityForm(
        request.POST or None,
        regions=choices,
        organisations=organisation_library(request.user),
        initial={"region": regions[0]},
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            activity = services.activity_create(by=request.user, **data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Activity saved."))
            return redirect(_url(activity))
    return render(request, "community/activity_form.html", {"form": form, "activity": None})


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    codes = [r.code for r in selectors.organising_regions(request.user)] + [activity.region_id]
    choices = Region.objects.filter(code__in=codes).order_by("code")
    initial = {
        field: getattr(activity, field)
        for field in ("title", "kind", "region", "date", "place", "target_group", "head_count")
    }
    initial.update(
        summary=activity.summary,
        organisations=list(activity.organisations.all()),
        version=activity.version,
    )
    form = ActivityForm(
        request.POST or None,
        regions=choices,
        organisations=organisation_library(request.user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        version = changes.pop("version")
        try:
            services.activity_update(
                by=request.user, activity_id=activity.pk, version=version, changes=changes
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Activity saved."))
            return redirect(_url(activity))
    return render(request, "community/activity_form.html", {"form": form, "activity": activity})


@login_required
def participants(request: HttpRequest, pk: int) -> HttpResponse:
    """Find registry people in the user's scope (name or exact ID number) and add them."""
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    if request.method == "POST":
        wanted = _ids(request.POST.getlist("people"))
        return _run(
            request,
            activity,
            lambda: services.participants_add(
                by=request.user,
                activity_id=activity.pk,
                version=_int(request.POST.get("version"), -1),
                people=Person.objects.filter(pk__in=wanted),
            ),
            _("Participants added."),
            "participants",
        )
    q = request.GET.get("q", "").strip()
    context = {
        "activity": activity,
        "q": q,
        "found": selectors.participant_candidates(fetched_by=request.user, activity=activity, q=q),
        "current": selectors.participants(activity),
    }
    return render(request, "community/activity_participants.html", context)


@login_required
@require_POST
def participant_remove(request: HttpRequest, pk: int, person: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    return _run(
        request,
        activity,
        lambda: services.participant_remove(
            by=request.user,
            activity_id=activity.pk,
            version=_int(request.POST.get("version"), -1),
            person_id=person,
        ),
        _("Participant removed."),
        "participants",
    )


@login_required
def volunteers(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    if request.method == "POST":
        wanted = _ids(request.POST.getlist("volunteers"))
        return _run(
            request,
            activity,
            lambda: services.volunteers_assign(
                by=request.user,
                activity_id=activity.pk,
                version=_int(request.POST.get("version"), -1),
                volunteers=Volunteer.objects.filter(pk__in=wanted),
            ),
            _("Volunteers added."),
            "volunteers",
        )
    q = request.GET.get("q", "").strip()
    context = {
        "activity": activity,
        "q": q,
        "found": selectors.volunteer_candidates(fetched_by=request.user, activity=activity, q=q),
        "current": activity_volunteers(activity).order_by("region_id", "name", "pk"),
    }
    return render(request, "community/activity_volunteers.html", context)


# Sessions ------------------------------------------------------------------------------------


def _session_form(request: HttpRequest, activity: Activity, session=None) -> HttpResponse:
    members = selectors.participants(activity)
    initial: dict[str, Any] = {"version": activity.version, "date": activity.date}
    if session is not None:
        initial.update(
            date=session.date,
            topic=session.topic,
            head_count=session.head_count,
            attendees=list(session.attendees.all()),
        )
    form = SessionForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["attendees"] = list(data["attendees"])
        try:
            if session is None:
                services.session_add(by=request.user, activity_id=activity.pk, **data)
            else:
                services.session_update(
                    by=request.user, activity_id=activity.pk, number=session.number, **data
                )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Session saved."))
            return redirect(_url(activity, "sessions"))
    context = {"activity": activity, "session": session, "form": form, "members": members}
    return render(request, "community/session_form.html", context)


@login_required
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    return _session_form(request, activity)


@login_required
def session_edit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    session = get_object_or_404(activity.sessions, number=number)
    return _session_form(request, activity, session)


@login_required
@require_POST
def session_delete(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    return _run(
        request,
        activity,
        lambda: services.session_delete(
            by=request.user,
            activity_id=activity.pk,
            version=_int(request.POST.get("version"), -1),
            number=number,
        ),
        _("Session deleted."),
        "sessions",
    )


# Photos --------------------------------------------------------------------------------------


@login_required
@require_POST
def photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.photo_add(
                by=request.user,
                activity_id=activity.pk,
                file=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Photo added."))
            return redirect(_url(activity, "photos"))
    return _detail(request, activity, photo_form=form, status=422)


@login_required
def photo(request: HttpRequest, pk: int, photo: int) -> FileResponse:
    """The photo's bytes, to users who may see the activity (404 to anyone else)."""
    activity = selectors.get_activity_for_user(request.user, pk)
    found = get_object_or_404(activity.photos, pk=photo)
    try:
        handle = found.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = services.photo_type(handle.read(8))
    handle.seek(0)
    if kind is None:
        handle.close()
        raise Http404
    response = FileResponse(handle, content_type=kind[1])
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def photo_delete(request: HttpRequest, pk: int, photo: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    return _run(
        request,
        activity,
        lambda: services.photo_delete(by=request.user, activity_id=activity.pk, photo_id=photo),
        _("Photo deleted."),
        "photos",
    )


# Closing, reopening, cancelling --------------------------------------------------------------


@login_required
@require_POST
def activity_close(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.activity_close(
                by=request.user,
                activity_id=activity.pk,
                version=form.cleaned_data["version"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The activity is closed as held; its figures count."))
            return redirect(_url(activity))
    return _detail(request, activity, close_form=form, status=422)


@login_required
@require_POST
def activity_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    return _run(
        request,
        activity,
        lambda: services.activity_reopen(
            by=request.user,
            activity_id=activity.pk,
            version=_int(request.POST.get("version"), -1),
        ),
        _("The activity is planned again; close it once its figures are right."),
    )


@login_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk, write=True)
    return _run(
        request,
        activity,
        lambda: services.activity_cancel(
            by=request.user,
            activity_id=activity.pk,
            version=_int(request.POST.get("version"), -1),
        ),
        _("The activity is cancelled; it counts nothing."),
    )
