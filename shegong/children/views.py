from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as CaseWhen
from django.db.models import Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.people import selectors as people_selectors
from shegong.people.views import no_file_page, open_file
from shegong.regions.selectors import page_number, regions_under

from . import scoring, selectors, services
from .forms import ChildProfileForm, OverrideForm, RuleFormSet
from .models import (
    ChildProfile,
    Colour,
    Difficulty,
    Dimension,
    Instrument,
    InterventionRule,
    Item,
    Option,
)


def _admin(request: HttpRequest) -> None:
    if not scope.is_admin(request.user):
        raise Http404


def _filters(request: HttpRequest) -> selectors.ChildFilters:
    overdue = request.GET.get("overdue", "")
    return selectors.ChildFilters(
        q=request.GET.get("q", "").strip(),
        region=request.GET.get("region", "").strip(),
        colour=request.GET.get("colour", "").strip(),
        overdue=overdue if overdue in selectors.OVERDUE_CHOICES else "",
        unassigned=request.GET.get("unassigned") == "1",
    )


def _export_columns() -> list[exports.Column]:
    person = exports.person_of("person")

    def director(child: ChildProfile) -> str:
        return str(child.director) if child.director else ""

    return [
        exports.Column(_("colour card"), lambda c: c.get_colour_display() or _("not graded")),
        exports.Column(_("name"), lambda c: c.person.name, width=12),
        exports.Column(_("sex"), lambda c: c.person.get_sex_display(), width=6),
        exports.Column(_("date of birth"), lambda c: c.person.birth_date, width=12),
        exports.id_number_column(person),
        exports.Column(_("township"), lambda c: getattr(c.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda c: c.person.region.name),
        exports.Column(_("next visit due"), lambda c: c.next_visit_due, width=14),
        exports.Column(_("next reassessment due"), lambda c: c.next_assessment_due, width=14),
        exports.Column(_("responsible child director"), director),
    ]


@login_required
def child_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    filters = _filters(request)
    if exports.requested(request):
        children = selectors.child_list(fetched_by=request.user, filters=filters)
        return exports.xlsx_response(
            request,
            title=_("Colour-card children"),
            rows=selectors.in_working_order(children),
            columns=_export_columns(),
        )
    number = page_number(request.GET)
    size = settings.SHEGONG_PAGE_SIZE
    items, count = selectors.child_page(
        fetched_by=request.user, filters=filters, page=number, page_size=size
    )
    context = {
        "children": items,
        "count": count,
        "page": Paginator(range(count), size).get_page(number),
        "filters": filters,
        "regions": regions_under(scope.scope_for(request.user).read_prefixes),
        "colours": Colour.choices,
        "today": timezone.localdate(),
        "is_admin": scope.is_admin(request.user),
        "can_reveal": scope.can_reveal(request.user),
    }
    template = "children/_results.html" if request.htmx else "children/child_list.html"
    return render(request, template, context)


@login_required
def colour_card(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    if not scope.visible(ChildProfile.objects.filter(person_id=person_id), request.user).exists():
        # No file yet: the person page links here for every child; offer to start one.
        return no_file_page(request, person_id, "children/no_file.html")
    profile = selectors.get_child_for_user(request.user, person_id)
    services.profile_record_read(by=request.user, profile=profile, request=request)
    today = timezone.localdate()
    context = {
        "profile": profile,
        "person": profile.person,
        "history": selectors.history_of(profile),
        "case": selectors.open_case_of(profile),
        "rule": services.rule_for(profile.colour) if profile.colour else None,
        "difficulties": [Difficulty(d).label for d in profile.difficulties if d in Difficulty],
        "visit_overdue": bool(profile.next_visit_due and profile.next_visit_due < today),
        "assessment_overdue": bool(
            profile.next_assessment_due and profile.next_assessment_due < today
        ),
        "can_edit": scope.can_write_region(request.user, profile.person.region_id),
        "now": timezone.now(),
    }
    return render(request, "children/colour_card.html", context)


@login_required
@require_POST
def child_register(request: HttpRequest, person_id: int) -> HttpResponse:
    return open_file(
        request,
        person_id,
        ensure=services.profile_ensure,
        opened=_("The child's file is open. Fill in the situation below."),
        edit="children:edit",
    )


@login_required
def child_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    profile = selectors.get_child_for_user(request.user, person_id, write=True)
    if request.method == "POST":
        form = ChildProfileForm(request.POST, profile=profile)
        if form.is_valid():
            changes = dict(form.cleaned_data)
            version = changes.pop("version")
            try:
                services.profile_update(
                    by=request.user, person_id=person_id, version=version, changes=changes
                )
            except services.StaleProfile as exc:
                data = request.POST.copy()
                data["version"] = str(exc.current_version)
                form = ChildProfileForm(data, profile=profile)
                form.is_valid()
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(profile)
    else:
        services.profile_record_read(by=request.user, profile=profile, request=request)
        form = ChildProfileForm(initial=ChildProfileForm.initial_for(profile), profile=profile)
    return render(request, "children/child_form.html", {"form": form, "profile": profile})


def _dimensions_for_form(spec: scoring.InstrumentSpec) -> list[dict]:
    """The instrument as the form shows it: one card per dimension, options in order."""
    dimensions = []
    for key, name, _weight in spec.dimensions:
        items = [
            {
                "key": item.key,
                "text": item.text,
                "options": [
                    {"value": value, "label": label, "score": score, "emergency": emergency}
                    for value, (label, score, emergency) in item.options.items()
                ],
            }
            for item in spec.items.values()
            if item.dimension == key
        ]
        dimensions.append({"key": key, "name": name, "items": items})
    return dimensions


@login_required
def assess(request: HttpRequest, person_id: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    person = people_selectors.get_person_for_user(request.user, person_id, write=True)
    if not person.is_minor:
        raise Http404
    instrument = services.current_instrument()
    spec = scoring.InstrumentSpec.load(instrument)
    answers: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = {
            key: request.POST[f"q-{key}"] for key in spec.items if request.POST.get(f"q-{key}")
        }
        try:
            assessment = services.assessment_record(by=request.user, person=person, answers=answers)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("children:assessment", person_id=person.pk, pk=assessment.pk)
    context = {
        "person": person,
        "instrument": instrument,
        "dimensions": _dimensions_for_form(spec),
        "answers": answers,
        "errors": errors,
        "missing": len(errors),
    }
    return render(request, "children/assess.html", context, status=422 if errors else 200)


def _result_context(request: HttpRequest, assessment, *, form: OverrideForm | None = None):
    """The result of an assessment, shown against the instrument version it was made with."""
    spec = scoring.InstrumentSpec.load(assessment.instrument)
    scores = {k: Decimal(v) for k, v in assessment.dimension_scores.items()}
    dimensions = [
        {"key": key, "name": name, "weight": weight, "score": scores.get(key, Decimal(0))}
        for key, name, weight in spec.dimensions
    ]
    answered = []
    for dimension in dimensions:
        for item in spec.items.values():
            if item.dimension == dimension["key"]:
                value = assessment.answers.get(item.key, "")
                label, score, emergency = item.options.get(value, (value, 0, False))
                answered.append((dimension["name"], item.text, label, score, emergency))
    latest = assessment.child.assessments.order_by("-assessed_at", "-id").first()
    is_latest = latest is not None and latest.pk == assessment.pk
    can_override = is_latest and scope.can_write_region(
        request.user, assessment.child.person.region_id
    )
    if form is None and can_override:
        form = OverrideForm(
            initial={"colour": assessment.colour, "reason": assessment.override_reason}
        )
    return {
        "assessment": assessment,
        "person": assessment.child.person,
        "dimensions": dimensions,
        "answered": answered,
        "instrument": assessment.instrument,
        "is_latest": is_latest,
        "form": form if can_override else None,
        "colours": Colour.choices,
    }


@login_required
def assessment_detail(request: HttpRequest, person_id: int, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    assessment = selectors.get_assessment_for_user(request.user, person_id, pk)
    services.profile_record_read(by=request.user, profile=assessment.child, request=request)
    return render(request, "children/assessment.html", _result_context(request, assessment))


@login_required
@require_POST
def assessment_override(request: HttpRequest, person_id: int, pk: int) -> HttpResponse:
    scope.require_registry_reader(request.user)
    assessment = selectors.get_assessment_for_user(request.user, person_id, pk)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.assessment_override(
                by=request.user,
                assessment_id=assessment.pk,
                colour=form.cleaned_data["colour"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("The final colour is recorded."))
            return redirect("children:assessment", person_id=person_id, pk=pk)
    context = _result_context(request, assessment, form=form)
    return render(request, "children/assessment.html", context, status=422)


# ---- overview -----------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    data = selectors.overview(fetched_by=request.user)
    return render(request, "children/overview.html", {"overview": data, "colours": Colour})


# ---- instrument and rules (district administrator) ----------------------------------------------


@login_required
def instrument_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    services.current_instrument()
    context = {"instruments": Instrument.objects.select_related("created_by")}
    return render(request, "children/instrument_list.html", context)


@login_required
@require_POST
def instrument_draft(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    source = get_object_or_404(Instrument, pk=pk)
    draft = services.instrument_draft(by=request.user, source=source)
    messages.success(request, _("Draft version %(version)s made.") % {"version": draft.version})
    return redirect("children:instrument", pk=draft.pk)


@login_required
@require_POST
def instrument_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    instrument = get_object_or_404(Instrument, pk=pk)
    try:
        services.instrument_publish(by=request.user, instrument=instrument)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Version %(version)s is now used for new assessments.")
            % {"version": instrument.version},
        )
    return redirect("children:instrument", pk=pk)


def _posted_int(data, name: str, errors: dict, *, low: int = 0) -> int:
    try:
        value = int(data.get(name, ""))
        if value < low:
            raise ValueError
        return value
    except ValueError:
        errors[name] = _("Enter a whole number of %(low)s or more.") % {"low": low}
        return low


def _instrument_post(request: HttpRequest, instrument: Instrument) -> tuple[dict, dict]:
    """Read the draft's edit form: ``dim-<id>-name``, ``item-<id>-text``, ``opt-<id>-score`` …"""
    data = request.POST
    errors: dict[str, str] = {}
    parsed: dict = {
        "name": data.get("name", ""),
        "red_from": _posted_int(data, "red_from", errors, low=1),
        "orange_from": _posted_int(data, "orange_from", errors, low=1),
        "dimensions": {},
        "items": {},
        "options": {},
    }
    for dimension in instrument.dimensions.prefetch_related("items__options"):
        try:
            weight = Decimal(data.get(f"dim-{dimension.pk}-weight", ""))
            if not Decimal(0) < weight < Decimal(100):
                raise ValueError
        except (ArithmeticError, ValueError):
            errors[f"dim-{dimension.pk}-weight"] = _("A weight between 0 and 99.99.")
            weight = dimension.weight
        parsed["dimensions"][dimension.pk] = {
            "name": data.get(f"dim-{dimension.pk}-name", dimension.name),
            "weight": weight.quantize(Decimal("0.01")),
        }
        for item in dimension.items.all():
            parsed["items"][item.pk] = {"text": data.get(f"item-{item.pk}-text", item.text)}
            for option in item.options.all():
                parsed["options"][option.pk] = {
                    "label": data.get(f"opt-{option.pk}-label", option.label),
                    "score": _posted_int(data, f"opt-{option.pk}-score", errors),
                    "emergency": data.get(f"opt-{option.pk}-emergency") == "on",
                }
    return parsed, errors


@login_required
def instrument_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    instrument = get_object_or_404(Instrument.objects.select_related("created_by"), pk=pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not instrument.is_draft:
            raise Http404
        parsed, errors = _instrument_post(request, instrument)
        if not errors:
            try:
                services.instrument_update(
                    by=request.user, instrument_id=instrument.pk, data=parsed
                )
            except ValidationError as exc:
                errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
            else:
                messages.success(request, _("Draft saved."))
                return redirect("children:instrument", pk=pk)
    context = {
        "instrument": instrument,
        "dimensions": instrument.dimensions.prefetch_related("items__options"),
        "errors": errors,
        "posted": request.POST if errors else None,
        "new_option_rows": range(NEW_ITEM_OPTIONS),
    }
    return render(
        request, "children/instrument_detail.html", context, status=422 if errors else 200
    )


# Adding and removing parts of a draft: POST-only; the service refuses published versions.


def _structure_done(request: HttpRequest, pk: int, call, success: str, anchor: str = ""):
    """Run a structure change; its refusal becomes a message on the draft page."""
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(reverse("children:instrument", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _posted_score(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def instrument_dimension_add(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    instrument = get_object_or_404(Instrument, pk=pk)
    try:
        weight = Decimal(request.POST.get("weight", "") or "1")
    except ArithmeticError:
        weight = Decimal(0)
    return _structure_done(
        request,
        instrument.pk,
        lambda: services.instrument_dimension_add(
            by=request.user,
            instrument_id=instrument.pk,
            key=request.POST.get("key", ""),
            name=request.POST.get("name", ""),
            weight=weight,
        ),
        _("Dimension added."),
        "add-dimension",
    )


@login_required
@require_POST
def instrument_dimension_remove(request: HttpRequest, pk: int, dimension_id: int) -> HttpResponse:
    _admin(request)
    dimension = get_object_or_404(Dimension, pk=dimension_id, instrument_id=pk)
    confirmed = request.POST.get("confirm") == "1"
    if dimension.items.exists() and not confirmed:
        context = {"instrument": dimension.instrument, "dimension": dimension}
        return render(request, "children/dimension_remove.html", context)
    return _structure_done(
        request,
        pk,
        lambda: services.instrument_dimension_remove(
            by=request.user, instrument_id=pk, dimension_id=dimension.pk, with_items=confirmed
        ),
        _("Dimension removed."),
    )


NEW_ITEM_OPTIONS = 4  # option rows on the add-item form


def _posted_options(data) -> list[dict]:
    """``opt-<n>-value/label/score/emergency`` rows of the add-item form; blank rows skipped."""
    options = []
    for n in range(NEW_ITEM_OPTIONS):
        value = data.get(f"opt-{n}-value", "").strip()
        label = data.get(f"opt-{n}-label", "").strip()
        if not value and not label:
            continue
        options.append(
            {
                "value": value,
                "label": label,
                "score": _posted_score(data.get(f"opt-{n}-score", "")),
                "emergency": data.get(f"opt-{n}-emergency") == "on",
            }
        )
    return options


@login_required
@require_POST
def instrument_item_add(request: HttpRequest, pk: int, dimension_id: int) -> HttpResponse:
    _admin(request)
    dimension = get_object_or_404(Dimension, pk=dimension_id, instrument_id=pk)
    return _structure_done(
        request,
        pk,
        lambda: services.instrument_item_add(
            by=request.user,
            instrument_id=pk,
            dimension_id=dimension.pk,
            key=request.POST.get("key", ""),
            text=request.POST.get("text", ""),
            options=_posted_options(request.POST),
        ),
        _("Item added."),
        f"dim-{dimension.pk}",
    )


@login_required
@require_POST
def instrument_item_remove(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _admin(request)
    item = get_object_or_404(Item, pk=item_id, dimension__instrument_id=pk)
    return _structure_done(
        request,
        pk,
        lambda: services.instrument_item_remove(by=request.user, instrument_id=pk, item_id=item.pk),
        _("Item removed."),
        f"dim-{item.dimension_id}",
    )


@login_required
@require_POST
def instrument_option_add(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    _admin(request)
    item = get_object_or_404(Item, pk=item_id, dimension__instrument_id=pk)
    return _structure_done(
        request,
        pk,
        lambda: services.instrument_option_add(
            by=request.user,
            instrument_id=pk,
            item_id=item.pk,
            value=request.POST.get("value", ""),
            label=request.POST.get("label", ""),
            score=_posted_score(request.POST.get("score", "")),
            emergency=request.POST.get("emergency") == "on",
        ),
        _("Option added."),
        f"item-{item.pk}",
    )


@login_required
@require_POST
def instrument_option_remove(request: HttpRequest, pk: int, option_id: int) -> HttpResponse:
    _admin(request)
    option = get_object_or_404(Option, pk=option_id, item__dimension__instrument_id=pk)
    return _structure_done(
        request,
        pk,
        lambda: services.instrument_option_remove(
            by=request.user, instrument_id=pk, option_id=option.pk
        ),
        _("Option removed."),
        f"item-{option.item_id}",
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    _admin(request)
    services.rules_ensure()
    rank = CaseWhen(*(When(colour=c, then=Value(r)) for c, r in selectors.DISPLAY_RANK.items()))
    queryset = InterventionRule.objects.alias(rank=rank).order_by("rank")
    formset = RuleFormSet(request.POST or None, queryset=queryset)
    if request.method == "POST" and formset.is_valid():
        changes = {form.instance.colour: form.cleaned_data for form in formset.forms}
        for values in changes.values():
            values.pop("id", None)
        try:
            services.rules_update(by=request.user, changes=changes)
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, _("Intervention rules saved."))
            return redirect("children:rules")
    context = {"formset": formset, "defaults": services.DEFAULT_RULES}
    return render(request, "children/rules.html", context)
