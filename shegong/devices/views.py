from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.casework.forms import PeriodFilterForm
from shegong.people import selectors as people_selectors
from shegong.regions.selectors import page_number, regions_under

from . import selectors, services
from .models import AlarmStatus, DeviceKind, Outcome, Vendor


def _board_context(request: HttpRequest) -> dict:
    now = timezone.now()
    board = selectors.board(user=request.user, now=now)
    return {
        "board": board,
        "now": now,
        "my_tier": selectors.viewer_tier(request.user),
        "refresh": settings.SHEGONG_ALARM_BOARD_REFRESH,
        "can_reveal": scope.can_reveal(request.user),
    }


def _export_columns() -> list[exports.Column]:
    def user_name(user) -> str:
        return str(user) if user else ""

    return [
        exports.Column(_("raised at"), lambda a: a.raised_at, width=17),
        exports.Column(_("severity"), lambda a: a.get_severity_display(), width=8),
        exports.Column(_("kind"), lambda a: a.get_kind_display()),
        exports.Column(_("status"), lambda a: a.get_status_display(), width=10),
        exports.Column(_("with"), lambda a: a.get_tier_display(), width=8),
        exports.Column(_("name"), lambda a: a.person.name, width=12),
        exports.phone_column(exports.person_of("person")),
        exports.Column(_("township"), lambda a: getattr(a.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda a: a.person.region.name),
        exports.Column(_("acknowledged at"), lambda a: a.acknowledged_at, width=17),
        exports.Column(_("acknowledged by"), lambda a: user_name(a.acknowledged_by)),
        exports.Column(_("resolved at"), lambda a: a.resolved_at, width=17),
        exports.Column(_("outcome"), lambda a: a.get_outcome_display() if a.outcome else ""),
    ]


# Filters of the board (the dashboard's: region, status, raised from/to); any of them turns the
# live board into a plain list of the alarms that match.
BOARD_FILTERS = ("status", "region", "from", "to")
BOARD_STATUSES = (
    ("unacknowledged", pgettext_lazy("alarms", "Not acknowledged")),  # status open
    ("unresolved", pgettext_lazy("alarms", "Not resolved")),  # open or acknowledged
    (AlarmStatus.ACKNOWLEDGED, AlarmStatus.ACKNOWLEDGED.label),
    (AlarmStatus.RESOLVED, AlarmStatus.RESOLVED.label),
)


@login_required
def alarm_board(request: HttpRequest) -> HttpResponse:
    """The live alarm board: refreshes itself (htmx polling) so a station sees new and
    escalated alarms without reloading. With a filter (``status``: a status, ``unacknowledged``
    or ``unresolved``; ``region``; ``from``/``to``: raised on those days) it lists the alarms
    that match instead, newest first, paginated, their count the dashboard's figure."""
    scope.require_registry_reader(request.user)
    period = PeriodFilterForm(request.GET)
    raised_from, raised_to = period.period()
    filters = {
        "status": request.GET.get("status", "").strip(),
        "region": request.GET.get("region", "").strip(),
    }
    alarms = selectors.alarm_list(
        user=request.user, raised_from=raised_from, raised_to=raised_to, **filters
    )
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Alarms"),
            rows=alarms.select_related("person__region__parent"),
            columns=_export_columns(),
        )
    filtered = any(request.GET.get(name, "").strip() for name in BOARD_FILTERS)
    if not filtered:
        context = _board_context(request)
        if request.htmx:
            return render(request, "devices/_board.html", context)
    else:
        page = Paginator(alarms, settings.SHEGONG_PAGE_SIZE).get_page(page_number(request.GET))
        context = {"page": page, "alarms": page.object_list, "now": timezone.now()}
    context.update(
        filtered=filtered,
        filters=filters,
        form=period,
        statuses=BOARD_STATUSES,
        regions=regions_under(scope.scope_for(request.user).read_prefixes),
        can_reveal=scope.can_reveal(request.user),
    )
    return render(request, "devices/board.html", context)


def _alarm_context(request: HttpRequest, alarm, errors=None, values=None) -> dict:
    return {
        "alarm": alarm,
        **selectors.alarm_trail(alarm),
        "can_act": scope.can_write_region(request.user, alarm.person.region_id),
        "outcomes": Outcome.choices,
        "errors": errors or {},
        "values": values or {},
        "now": timezone.now(),
    }


@login_required
def alarm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    alarm = selectors.get_alarm_for_user(request.user, pk)
    return render(request, "devices/alarm.html", _alarm_context(request, alarm))


ALARM_ACTIONS = ("acknowledge", "note", "resolve")


@login_required
@require_POST
def alarm_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    scope.require_registry_reader(request.user)
    if action not in ALARM_ACTIONS:
        raise Http404
    alarm = selectors.get_alarm_for_user(request.user, pk)
    post = request.POST
    now = timezone.now()
    try:
        if action == "acknowledge":
            services.alarm_acknowledge(
                by=request.user, alarm_id=alarm.pk, now=now, note=post.get("note", "")
            )
            messages.success(request, _("Acknowledged: the alarm no longer escalates."))
        elif action == "note":
            services.alarm_note(
                by=request.user, alarm_id=alarm.pk, text=post.get("text", ""), now=now
            )
            messages.success(request, _("Note added."))
        else:
            services.alarm_resolve(
                by=request.user,
                alarm_id=alarm.pk,
                outcome=post.get("outcome", ""),
                note=post.get("note", ""),
                now=now,
            )
            messages.success(request, _("The alarm is resolved."))
    except services.AlarmConflict as exc:
        messages.warning(request, exc.message)
    except ValidationError as exc:
        alarm = selectors.get_alarm_for_user(request.user, pk)
        context = _alarm_context(request, alarm, errors=exc.message_dict, values=post)
        return render(request, "devices/alarm.html", context, status=422)
    if post.get("next") == "board":
        return redirect("devices:board")
    return redirect("devices:alarm", pk=alarm.pk)


# ---- devices --------------------------------------------------------------------------------


def _device_columns() -> list[exports.Column]:
    return [
        exports.Column(_("old person"), lambda d: d.person.name, width=12),
        exports.phone_column(exports.person_of("person")),
        exports.Column(_("township"), lambda d: getattr(d.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda d: d.person.region.name),
        exports.Column(_("kind"), lambda d: d.get_kind_display()),
        exports.Column(_("location"), lambda d: d.location, width=16),
        exports.Column(_("serial number"), lambda d: d.serial, width=20),
        exports.Column(_("vendor"), lambda d: str(d.vendor), width=16),
        exports.Column(_("bound at"), lambda d: d.bound_at, width=17),
        exports.Column(_("last event"), lambda d: d.last_seen, width=17),
    ]


def _unmatched_columns() -> list[exports.Column]:
    return [
        exports.Column(_("received at"), lambda e: e.received_at, width=17),
        exports.Column(_("vendor"), lambda e: str(e.vendor), width=16),
        exports.Column(_("serial number"), lambda e: e.serial, width=20),
        exports.Column(_("type"), lambda e: e.get_type_display()),
        exports.Column(_("event id"), lambda e: e.event_id, width=24),
        exports.Column(_("occurred at"), lambda e: e.occurred_at, width=17),
    ]


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    queryset = selectors.device_list(user=request.user)
    kind = request.GET.get("kind", "")
    if kind in DeviceKind.values:
        queryset = queryset.filter(kind=kind)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Devices"),
            rows=queryset.select_related("person__region__parent"),
            columns=_device_columns(),
        )
    number = page_number(request.GET)
    page = Paginator(queryset, settings.SHEGONG_PAGE_SIZE).get_page(number)
    context = {
        "page": page,
        "devices": page.object_list,
        "kinds": DeviceKind.choices,
        "kind": kind,
        "can_reveal": scope.can_reveal(request.user),
    }
    return render(request, "devices/device_list.html", context)


@login_required
def device_bind(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    person = people_selectors.get_person_for_user(request.user, person_id, write=True)
    vendors = Vendor.objects.filter(is_active=True)
    errors: dict[str, list[str]] = {}
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        vendor_id = request.POST.get("vendor", "")
        vendor = vendors.filter(pk=vendor_id).first() if vendor_id.isdigit() else None
        try:
            services.device_bind(
                by=request.user,
                person_id=person.pk,
                vendor=vendor,
                serial=request.POST.get("serial", ""),
                kind=request.POST.get("kind", ""),
                location=request.POST.get("location", ""),
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("The device is bound; its alarms now reach the station."))
            return redirect("elderly:profile", person_id=person.pk)
    context = {
        "person": person,
        "vendors": vendors,
        "kinds": DeviceKind.choices,
        "errors": errors,
        "values": values,
        "devices": selectors.devices_of(user=request.user, person_id=person.pk),
    }
    return render(request, "devices/bind.html", context, status=422 if errors else 200)


@login_required
@require_POST
def device_unbind(request: HttpRequest, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    device = scope.get_visible_or_404(
        selectors.device_list(user=request.user), request.user, write=True, pk=pk
    )
    try:
        services.device_unbind(by=request.user, device_id=device.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The device is unbound."))
    return redirect("devices:bind", person_id=device.person_id)


@login_required
def unmatched(request: HttpRequest) -> HttpResponse:
    events = selectors.unmatched_events(user=request.user)
    if exports.requested(request):
        return exports.xlsx_response(
            request, title=_("Unmatched events"), rows=events, columns=_unmatched_columns()
        )
    page = Paginator(events, settings.SHEGONG_PAGE_SIZE).get_page(page_number(request.GET))
    vendors = Vendor.objects.order_by("name")
    return render(
        request,
        "devices/unmatched.html",
        {"page": page, "events": page.object_list, "vendors": vendors},
    )


@login_required
@require_POST
def vendor_new(request: HttpRequest) -> HttpResponse:
    """A district administrator registers a vendor platform; the secret is shown once."""
    if not scope.is_admin(request.user):
        raise Http404
    try:
        with transaction.atomic():
            vendor, secret = services.vendor_create(name=request.POST.get("name", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("devices:unmatched")
    return render(request, "devices/vendor_secret.html", {"vendor": vendor, "secret": secret})
