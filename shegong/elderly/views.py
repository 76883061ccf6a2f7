from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.accounts.models import Programme
from shegong.casework import services as casework_services
from shegong.casework.forms import PeriodFilterForm
from shegong.people import selectors as people_selectors
from shegong.people.views import no_file_page, open_file
from shegong.regions.models import Region
from shegong.regions.selectors import page_number, regions_under

from . import scoring, selectors, services, visits
from .forms import DischargeForm, ElderlyProfileForm, ElderlyVisitForm, ServiceOrderForm
from .models import (
    AbilityAssessment,
    ElderlyProfile,
    Level,
    LivingSituation,
    OrderStatus,
    ServiceKind,
    ServiceOrder,
)
from .standard import ITEMS, PARTS


def _adjustment_labels() -> dict[str, str]:
    return {
        scoring.Adjustment.COMA: _("In a coma: completely disabled directly"),
        scoring.Adjustment.MENTAL_DISORDER: _(
            "Dementia or other mental disorder: raised one level"
        ),
        scoring.Adjustment.RISK_EVENTS: _(
            "Two or more care-risk events in the last 30 days: raised one level"
        ),
    }


def _export_columns() -> list[exports.Column]:
    person = exports.person_of("person")
    today = timezone.localdate()

    def difficulty(profile: ElderlyProfile) -> str:
        return "、".join(selectors.special_difficulty_reasons(profile, today=today))

    return [
        exports.Column(_("name"), lambda p: p.person.name, width=12),
        exports.Column(_("sex"), lambda p: p.person.get_sex_display(), width=6),
        exports.Column(_("age"), lambda p: p.person.age_on(today), width=6),
        exports.id_number_column(person),
        exports.phone_column(person),
        exports.Column(_("township"), lambda p: getattr(p.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda p: p.person.region.name),
        exports.Column(_("ability level"), lambda p: p.get_level_display() if p.level else ""),
        exports.Column(_("special difficulty"), difficulty, width=30),
        exports.Column(_("next reassessment due"), lambda p: p.next_assessment_due, width=14),
    ]


@login_required
def elderly_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    filters = selectors.ElderlyFilters(
        q=request.GET.get("q", "").strip(),
        region=request.GET.get("region", "").strip(),
        level=request.GET.get("level", "").strip(),
        overdue=request.GET.get("overdue") == "1",
        special=request.GET.get("special") == "1",
    )
    if exports.requested(request):
        profiles = selectors.elderly_list(fetched_by=request.user, filters=filters)
        return exports.xlsx_response(
            request,
            title=_("Elderly people"),
            rows=profiles.select_related("person__region__parent").order_by(
                "person__region_id", "person__name", "id"
            ),
            columns=_export_columns(),
        )
    number = page_number(request.GET)
    size = settings.SHEGONG_PAGE_SIZE
    items, count = selectors.elderly_page(
        fetched_by=request.user, filters=filters, page=number, page_size=size
    )
    today = timezone.localdate()
    rows = [(p, selectors.special_difficulty_reasons(p, today=today)) for p in items]
    context = {
        "rows": rows,
        "count": count,
        "page": Paginator(range(count), size).get_page(number),
        "filters": filters,
        "regions": regions_under(scope.scope_for(request.user).read_prefixes),
        "levels": Level.choices,
        "today": today,
        "can_reveal": scope.can_reveal(request.user),
    }
    return render(request, "elderly/elderly_list.html", context)


# Programmes built on elderly care (smart devices and alarms) add a panel to the file: a
# callable (request, person) → {"template": …, …} or None, registered in their AppConfig.ready.
PROFILE_PANELS: list = []


@login_required
def profile(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    if not scope.visible(ElderlyProfile.objects.filter(person_id=person_id), request.user).exists():
        # No file yet: offer to open one (for a person aged 60 or over).
        return no_file_page(request, person_id, "elderly/no_file.html")
    elderly = selectors.get_elderly_for_user(request.user, person_id)
    services.profile_record_read(by=request.user, profile=elderly, request=request)
    today = timezone.localdate()
    tier, tier_reasons = visits.tier_and_reasons(elderly, today=today)
    context = {
        "profile": elderly,
        "person": elderly.person,
        "contacts": list(elderly.contacts.all()),
        "history": selectors.history_of(elderly),
        "reasons": selectors.special_difficulty_reasons(elderly, today=today),
        "rule": selectors.SPECIAL_DIFFICULTY_RULE,
        "situations": [
            LivingSituation(s).label for s in elderly.living_situations if s in LivingSituation
        ],
        "assessment_overdue": bool(
            elderly.next_assessment_due and elderly.next_assessment_due < today
        ),
        "can_edit": scope.can_write_region(request.user, elderly.person.region_id),
        "tier": visits.Tier(tier),
        "tier_reasons": tier_reasons,
        "visit_rule": visits.visit_rule(),
        "visit_overdue": bool(elderly.next_visit_due and elderly.next_visit_due < today),
        "high_risk": visits.is_high_risk(elderly, today),
        "last_visits": visits.last_visits(elderly, fetched_by=request.user),
        "discharge_form": DischargeForm(initial={"version": elderly.version}),
        "panels": [
            panel for provider in PROFILE_PANELS if (panel := provider(request, elderly.person))
        ],
    }
    return render(request, "elderly/profile.html", context)


@login_required
@require_POST
def register(request: HttpRequest, person_id: int) -> HttpResponse:
    return open_file(
        request,
        person_id,
        ensure=services.profile_ensure,
        opened=_("The elderly file is open. Fill in the situation below."),
        edit="elderly:edit",
        failed="elderly:profile",
    )


@login_required
def edit(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    elderly = selectors.get_elderly_for_user(request.user, person_id, write=True)
    if request.method == "POST":
        form = ElderlyProfileForm(request.POST, profile=elderly)
        if form.is_valid():
            changes, contacts = form.split()
            try:
                services.profile_update(
                    by=request.user,
                    person_id=person_id,
                    version=form.cleaned_data["version"],
                    changes=changes,
                    contacts=contacts,
                )
            except services.StaleProfile as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(elderly)
    else:
        services.profile_record_read(by=request.user, profile=elderly, request=request)
        form = ElderlyProfileForm(initial=ElderlyProfileForm.initial_for(elderly), profile=elderly)
    context = {"form": form, "profile": elderly, "contact_rows": form.contact_rows()}
    return render(request, "elderly/profile_form.html", context)


def _parts_for_form() -> list[dict]:
    return [
        {"part": part, "items": [item for item in ITEMS if item.part == part.key]} for part in PARTS
    ]


@login_required
def assess(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    person = people_selectors.get_person_for_user(request.user, person_id, write=True)
    if not person.is_elderly:
        raise Http404
    existing = ElderlyProfile.objects.filter(person=person).first()
    candidates = services.assessor_candidates(code=person.region_id).exclude(pk=request.user.pk)
    answers: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    values = {
        "coma": False,
        "dementia": bool(existing and existing.cognitive_impairment),
        "risk_events": "0",
        "second": "",
    }
    if request.method == "POST":
        answers = {item.key: request.POST.get(f"i-{item.key}", "") for item in ITEMS}
        values = {
            "coma": request.POST.get("coma") == "on",
            "dementia": request.POST.get("dementia") == "on",
            "risk_events": request.POST.get("risk_events_30d", "0").strip() or "0",
            "second": request.POST.get("second_assessor", ""),
        }
        second = (
            candidates.filter(pk=values["second"]).first() if values["second"].isdigit() else None
        )
        if second is None:
            errors["second_assessor"] = [_("Choose the second assessor who assessed with you.")]
        try:
            risk_events = int(values["risk_events"])
        except ValueError:
            risk_events = -1
        try:
            if errors:
                # Still validate the items, so that every problem shows at once.
                scoring.validate_items({k: v for k, v in answers.items() if v != ""})
            else:
                assessment = services.assessment_record(
                    by=request.user,
                    person=person,
                    items={k: v for k, v in answers.items() if v != ""},
                    coma=values["coma"],
                    dementia_or_mental_disorder=values["dementia"],
                    risk_events_30d=risk_events,
                    second_assessor=second,
                )
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if not errors:
            return redirect(assessment)
    context = {
        "person": person,
        "parts": _parts_for_form(),
        "answers": answers,
        "errors": errors,
        "item_errors": len([k for k in errors if k not in ("second_assessor", "risk_events_30d")]),
        "values": values,
        "candidates": candidates,
    }
    return render(request, "elderly/assess.html", context, status=422 if errors else 200)


def _result_context(request: HttpRequest, assessment: AbilityAssessment) -> dict:
    parts = []
    for part in PARTS:
        rows = [
            (
                item,
                assessment.items.get(item.key),
                dict(item.options).get(assessment.items.get(item.key), ""),
            )
            for item in ITEMS
            if item.part == part.key
        ]
        parts.append({"part": part, "score": assessment.part_scores.get(part.key, 0), "rows": rows})
    labels = _adjustment_labels()
    person = assessment.profile.person
    return {
        "assessment": assessment,
        "person": person,
        "parts": parts,
        "adjustments": [labels.get(a, a) for a in assessment.adjustments],
        "can_countersign": not assessment.is_signed
        and assessment.assessed_by_id != request.user.pk
        and scope.can_write_region(request.user, person.region_id),
    }


@login_required
def assessment_detail(request: HttpRequest, person_id: int, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    assessment = selectors.get_assessment_for_user(request.user, person_id, pk)
    services.profile_record_read(by=request.user, profile=assessment.profile, request=request)
    return render(request, "elderly/assessment.html", _result_context(request, assessment))


@login_required
def assessment_print(request: HttpRequest, person_id: int, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    assessment = selectors.get_assessment_for_user(request.user, person_id, pk)
    services.profile_record_read(by=request.user, profile=assessment.profile, request=request)
    return render(request, "elderly/assessment_print.html", _result_context(request, assessment))


@login_required
@require_POST
def assessment_countersign(request: HttpRequest, person_id: int, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    try:
        assessment = services.assessment_countersign(
            by=request.user, person_id=person_id, assessment_id=pk
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Signed as the second assessor."))
        return redirect(assessment)
    return redirect("elderly:assessment", person_id=person_id, pk=pk)


# ---- service orders -------------------------------------------------------------------------


def _next_steps(order: ServiceOrder) -> list[str]:
    """The transitions offered on the order page, in the order of the buttons."""
    return {
        OrderStatus.REQUESTED: ["assign", "cancel"],
        OrderStatus.ASSIGNED: ["start", "cancel"],
        OrderStatus.IN_SERVICE: ["complete", "cancel"],
        OrderStatus.DONE: ["rate"],
    }.get(order.status, [])


def _order_export_columns() -> list[exports.Column]:
    return [
        exports.Column(_("created at"), lambda o: o.created_at, width=17),
        exports.Column(_("name"), lambda o: o.person.name, width=12),
        exports.id_number_column(exports.person_of("person")),
        exports.Column(_("township"), lambda o: getattr(o.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda o: o.person.region.name),
        exports.Column(_("service"), lambda o: o.get_kind_display()),
        exports.Column(_("status"), lambda o: o.get_status_display(), width=10),
        exports.Column(_("due date"), lambda o: o.due_on, width=12),
        exports.Column(_("provider"), lambda o: o.provider_display),
        exports.Column(_("rating"), lambda o: o.rating, width=8),
    ]


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Service orders in the user's area, by status and service; with the dashboard's filters,
    ``region`` and ``from``/``to`` on the day the order was created."""
    scope.require_registry_reader(request.user)
    period = PeriodFilterForm(request.GET)
    created_from, created_to = period.period()
    filters = selectors.OrderFilters(
        status=request.GET.get("status", "").strip(),
        kind=request.GET.get("kind", "").strip(),
        region=request.GET.get("region", "").strip(),
        created_from=created_from,
        created_to=created_to,
    )
    if exports.requested(request):
        orders = selectors.orders_list(fetched_by=request.user, filters=filters)
        return exports.xlsx_response(
            request,
            title=_("Service orders"),
            rows=orders.select_related("person__region__parent"),
            columns=_order_export_columns(),
        )
    number = page_number(request.GET)
    size = settings.SHEGONG_PAGE_SIZE
    orders, count = selectors.orders_page(
        fetched_by=request.user, filters=filters, page=number, page_size=size
    )
    today = timezone.localdate()
    context = {
        "rows": [(o, o.is_overdue_on(today)) for o in orders],
        "count": count,
        "page": Paginator(range(count), size).get_page(number),
        "filters": filters,
        "form": period,
        "statuses": OrderStatus.choices,
        "kinds": ServiceKind.choices,
        "regions": regions_under(scope.scope_for(request.user).read_prefixes),
        "can_reveal": scope.can_reveal(request.user),
    }
    return render(request, "elderly/order_list.html", context)


@login_required
def order_new(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    person = people_selectors.get_person_for_user(request.user, person_id, write=True)
    if not person.is_elderly:
        raise Http404
    if request.method == "POST":
        form = ServiceOrderForm(request.POST)
        if form.is_valid():
            try:
                order = services.order_request(by=request.user, person=person, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("The service order is recorded."))
                return redirect(order)
    else:
        form = ServiceOrderForm()
    status = 422 if form.is_bound else 200
    return render(
        request, "elderly/order_form.html", {"form": form, "person": person}, status=status
    )


def _order_context(request: HttpRequest, order: ServiceOrder, errors=None, values=None) -> dict:
    can_edit = scope.can_write_region(request.user, order.person.region_id)
    return {
        "order": order,
        "events": list(order.events.select_related("by")),
        "steps": _next_steps(order) if can_edit else [],
        "overdue": order.is_overdue_on(timezone.localdate()),
        "candidates": services.provider_candidates(code=order.person.region_id)
        if order.status == OrderStatus.REQUESTED
        else [],
        "errors": errors or {},
        "values": values or {},
    }


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    order = selectors.get_order_for_user(request.user, pk)
    return render(request, "elderly/order.html", _order_context(request, order))


ORDER_ACTIONS = ("assign", "start", "complete", "rate", "cancel")


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    scope.require_registry_reader(request.user)
    if action not in ORDER_ACTIONS:
        raise Http404
    order = selectors.get_order_for_user(request.user, pk, write=True)
    post = request.POST
    try:
        version = int(post.get("version", ""))
    except ValueError:
        version = -1
    common = {"by": request.user, "order_id": order.pk, "version": version}
    note = post.get("note", "")
    try:
        if action == "assign":
            worker_id = post.get("provider_user", "")
            worker = (
                services.provider_candidates(code=order.person.region_id)
                .filter(pk=worker_id)
                .first()
                if worker_id.isdigit()
                else None
            )
            if worker_id and worker is None:
                raise ValidationError(
                    {"provider": [_("Choose a worker who works for this person's village.")]}
                )
            services.order_assign(
                **common,
                provider_user=worker,
                provider_name=post.get("provider_name", ""),
                note=note,
            )
        elif action == "start":
            services.order_start(**common, note=note)
        elif action == "complete":
            services.order_complete(**common, note=note)
        elif action == "rate":
            services.order_rate(
                **common, rating=post.get("rating", ""), comment=post.get("comment", "")
            )
        else:
            services.order_cancel(**common, reason=post.get("reason", ""))
    except services.StaleOrder as exc:
        messages.error(request, str(exc))
        return redirect(order)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            errors = dict(exc.message_dict)
            errors["general"] = errors.pop("__all__", [])
        else:
            errors = {"general": exc.messages}
        order.refresh_from_db()
        context = _order_context(request, order, errors=errors, values=post)
        return render(request, "elderly/order.html", context, status=422)
    messages.success(request, _("Saved."))
    return redirect(order)


# ---- visits -----------------------------------------------------------------------------------


@login_required
def visit_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """Record a visit (a casework visit of the elderly programme) from the old person's file."""
    scope.require_registry_reader(request.user)
    elderly = selectors.get_elderly_for_user(request.user, person_id, write=True)
    form = ElderlyVisitForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            casework_services.visit_record(
                by=request.user,
                person=elderly.person,
                programme=Programme.ELDERLY,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect(f"{elderly.get_absolute_url()}#visits")
    context = {"form": form, "person": elderly.person, "modes": form.MODES}
    status = 422 if form.is_bound else 200
    return render(request, "elderly/visit_form.html", context, status=status)


@login_required
@require_POST
def discharge(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    elderly = selectors.get_elderly_for_user(request.user, person_id, write=True)
    form = DischargeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(f"{elderly.get_absolute_url()}#visits")
    try:
        services.profile_record_discharge(
            by=request.user,
            person_id=person_id,
            version=form.cleaned_data["version"],
            discharged_on=form.cleaned_data["discharged_on"],
        )
    except services.StaleProfile as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("High risk recorded: visit within 7 days, then weekly."))
    return redirect(f"{elderly.get_absolute_url()}#visits")


def _month(value: str, today: dt.date) -> dt.date:
    """The first day of ``?month=YYYY-MM``; this month when missing, unreadable or ahead."""
    this_month = today.replace(day=1)
    try:
        year, month = value.split("-")
        chosen = dt.date(int(year), int(month), 1)
    except ValueError:
        return this_month
    return min(chosen, this_month)


def _rate_region(value: str, area: tuple[str, ...]) -> Region | None:
    """The township or village asked for with ``?region=``, if inside the user's area."""
    if not value:
        return None
    region = Region.objects.filter(code=value.ljust(12, "0")).first()
    if region is None or region.prefix != value or not any(value.startswith(p) for p in area):
        raise Http404
    return region


@login_required
def visit_rates(request: HttpRequest) -> HttpResponse:
    """The monthly visit rate per township or village against the 100% target; below it,
    for registry workers (viewers see aggregates only), the old people whose visit is overdue."""
    if not scope.can_see_aggregates(request.user):
        raise Http404
    area = visits.rate_area(request.user)
    if not area:
        raise Http404
    today = timezone.localdate()
    region = _rate_region(request.GET.get("region", "").strip(), area)
    month = _month(request.GET.get("month", ""), today)
    rows, total = visits.visit_rates(
        rows=visits.rows_under((region.prefix,) if region else area), month=month, today=today
    )
    context = {
        "region": region,
        "month": month,
        "previous": (month - dt.timedelta(days=1)).replace(day=1),
        "next": visits.month_bounds(month)[1] + dt.timedelta(days=1)
        if month < today.replace(day=1)
        else None,
        "quarter": visits.quarter_bounds(month),
        "rows": rows,
        "total": total,
        "target": visits.TARGET_RATE,
        "amber_from": visits.AMBER_FROM,
        "visit_rule": visits.visit_rule(),
        "today": today,
        "can_list": scope.can_read_registry(request.user),
    }
    if exports.requested(request) and not context["can_list"]:
        raise Http404
    if context["can_list"]:
        overdue = visits.overdue_list(
            fetched_by=request.user, prefix=region.prefix if region else "", today=today
        )
        if exports.requested(request):
            # The list of old people whose visit is overdue; the rates are figures, not rows.
            return exports.xlsx_response(
                request,
                title=_("Overdue visits"),
                rows=overdue.select_related("person__region__parent"),
                columns=_overdue_visit_columns(today),
                filter_labels={"month": _("Month")},
            )
        page = Paginator(overdue, settings.SHEGONG_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            {
                "page": page,
                "overdue": page.object_list,
                "can_reveal": scope.can_reveal(request.user),
            }
        )
    return render(request, "elderly/visits.html", context)


def _overdue_visit_columns(today: dt.date) -> list[exports.Column]:
    person = exports.person_of("person")

    def high_risk(profile: ElderlyProfile) -> str:
        until = profile.high_risk_until
        return _("high risk") if until and until >= today else ""

    return [
        exports.Column(_("name"), lambda p: p.person.name, width=12),
        exports.id_number_column(person),
        exports.phone_column(person),
        exports.Column(_("township"), lambda p: getattr(p.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda p: p.person.region.name),
        exports.Column(_("next visit due"), lambda p: p.next_visit_due, width=14),
        exports.Column(_("days overdue"), lambda p: (today - p.next_visit_due).days, width=8),
        exports.Column(_("ability level"), lambda p: p.get_level_display() if p.level else ""),
        exports.Column(_("high risk"), high_risk, width=10),
    ]
