"""Library pages: organisations (with incubation), professionals and resource links.

Reads go through :mod:`.libraries` (the district's library for every registry reader; counts
only for viewers; 404 for anyone else), writes through :mod:`.libraries_services` and
:mod:`.libraries_links`, which check the writer's area.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shegong import exports
from shegong.accounts import scope
from shegong.regions.selectors import page_number, regions_under

from . import export_columns, libraries, libraries_links, libraries_services
from .forms_libraries import (
    GraduateForm,
    IncubationForm,
    IncubationStartForm,
    LinkForm,
    MilestoneForm,
    OrganisationForm,
    ProfessionalForm,
    writable_regions,
)
from .models import (
    Activity,
    ActivityStatus,
    Incubation,
    IncubationStage,
    LinkKind,
    OrganisationKind,
    OrganisationStatus,
    Profession,
)

LINKS_ON_DETAIL = 20


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _page(request: HttpRequest, page_of, filters) -> dict:
    number = page_number(request.GET)
    size = settings.SHEGONG_PAGE_SIZE
    items, count = page_of(fetched_by=request.user, filters=filters, page=number, page_size=size)
    return {
        "items": items,
        "count": count,
        "page": Paginator(range(count), size).get_page(number),
        "filters": filters,
        "regions": regions_under(libraries.library_districts(request.user)),
    }


def _counts_or_404(request: HttpRequest, template: str) -> HttpResponse:
    """Viewers see the library's figures, never its entries; anyone else outside the registry
    gets the same 404 as for a missing page (and so does a viewer asking for an export)."""
    if not scope.can_see_aggregates(request.user) or exports.requested(request):
        raise Http404
    return render(request, template, {"counts": libraries.library_counts(request.user)})


# Organisations -------------------------------------------------------------------------------


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    if not scope.can_read_registry(request.user):
        return _counts_or_404(request, "community/organisation_list.html")
    get = request.GET
    filters = libraries.OrganisationFilters(
        kind=get.get("kind", "").strip(),
        status=get.get("status", "").strip(),
        q=get.get("q", "").strip(),
        region=libraries.region_filter(get.get("region", "")),
        linked=get.get("linked") == "1",
        mobilised=get.get("mobilised") == "1",
        area=libraries.region_filter(get.get("area", "")),
        start=parse_date(get.get("from", "").strip()),
        end=parse_date(get.get("to", "").strip()),
    )
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Organisation library"),
            rows=libraries.organisation_list(fetched_by=request.user, filters=filters),
            columns=export_columns.organisation_columns(),
            filter_labels=export_columns.LIBRARY_FILTER_LABELS,
        )
    context = _page(request, libraries.organisation_page, filters)
    context.update(
        kinds=OrganisationKind.choices,
        statuses=OrganisationStatus.choices,
        can_add=libraries.may_add(request.user),
        can_reveal=scope.can_reveal(request.user),
    )
    return render(request, "community/organisation_list.html", context)


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    organisation = libraries.get_organisation_for_user(user, pk)
    incubation = (
        Incubation.objects.filter(organisation=organisation).prefetch_related("milestones").first()
    )
    links = libraries_links.link_list(
        fetched_by=user, filters=libraries_links.LinkFilters(organisation=organisation.pk)
    )
    context = {
        "organisation": organisation,
        "professionals": list(organisation.professionals.select_related("region")),
        "links": list(links[:LINKS_ON_DETAIL]),
        "links_visible": links.count(),
        "links_total": organisation.links.count(),
        "incubation": incubation,
        "can_edit": libraries.may_edit(user, organisation),
        "can_link": scope.can_read_registry(user),
        "graduated": IncubationStage.GRADUATED,
    }
    return render(request, "community/organisation_detail.html", context)


def _organisation_form(request: HttpRequest, form, organisation=None) -> HttpResponse:
    return render(
        request,
        "community/organisation_form.html",
        {"form": form, "organisation": organisation},
    )


@login_required
def organisation_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not libraries.may_add(user):
        raise Http404
    form = OrganisationForm(request.POST or None, regions=writable_regions(user))
    if request.method == "POST" and form.is_valid():
        try:
            organisation = libraries_services.organisation_create(by=user, **form.values())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s added to the library.") % {"name": organisation})
            return redirect("community:organisation", pk=organisation.pk)
    return _organisation_form(request, form)


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    organisation = libraries.get_organisation_for_user(user, pk, write=True)
    initial = {f: getattr(organisation, f) for f in libraries_services.ORGANISATION_FIELDS}
    form = OrganisationForm(
        request.POST or None,
        initial={**initial, "version": organisation.version},
        regions=writable_regions(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            libraries_services.organisation_update(
                by=user,
                organisation_id=organisation.pk,
                version=form.cleaned_data["version"] or 0,
                **form.values(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("community:organisation", pk=organisation.pk)
    return _organisation_form(request, form, organisation)


# Incubation ----------------------------------------------------------------------------------


def _incubation_page(request: HttpRequest, pk: int, form_class, save, *, initial=None, **extra):
    """A small form about an organisation's incubation; ``save(organisation, data)`` writes."""
    template = extra.pop("template", "community/incubation_form.html")
    organisation = libraries.get_organisation_for_user(request.user, pk, write=True)
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save(organisation, form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("community:organisation", pk=organisation.pk)
    context = {"organisation": organisation, "form": form, **extra}
    return render(request, template, context)


def _incubation_of(organisation) -> Incubation:
    incubation = Incubation.objects.filter(organisation=organisation).first()
    if incubation is None:
        raise Http404
    return incubation


@login_required
def incubation_start(request: HttpRequest, pk: int) -> HttpResponse:
    def save(organisation, data):
        libraries_services.incubation_start(by=request.user, organisation=organisation, **data)

    return _incubation_page(request, pk, IncubationStartForm, save, title=_("Start incubation"))


@login_required
def incubation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = libraries.get_organisation_for_user(request.user, pk, write=True)
    incubation = _incubation_of(organisation)
    if incubation.stage == IncubationStage.GRADUATED:
        messages.info(request, _("This organisation has graduated: its stage cannot go back."))
        return redirect("community:organisation", pk=organisation.pk)

    def save(organisation, data):
        libraries_services.incubation_update(by=request.user, organisation=organisation, **data)

    initial = {
        "stage": incubation.stage,
        "mentor": incubation.mentor,
        "version": incubation.version,
    }
    return _incubation_page(
        request, pk, IncubationForm, save, initial=initial, title=_("Incubation stage")
    )


@login_required
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = libraries.get_organisation_for_user(request.user, pk, write=True)
    _incubation_of(organisation)

    def save(organisation, data):
        libraries_services.milestone_add(by=request.user, organisation=organisation, **data)

    return _incubation_page(request, pk, MilestoneForm, save, title=_("Add a milestone"))


@login_required
def incubation_graduate(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = libraries.get_organisation_for_user(request.user, pk, write=True)
    incubation = _incubation_of(organisation)

    def save(organisation, data):
        libraries_services.incubation_graduate(by=request.user, organisation=organisation, **data)

    return _incubation_page(
        request,
        pk,
        GraduateForm,
        save,
        initial={"version": incubation.version},
        title=_("Graduate"),
        template="community/incubation_graduate.html",
        incubation=incubation,
    )


# Professionals -------------------------------------------------------------------------------


@login_required
def professional_list(request: HttpRequest) -> HttpResponse:
    if not scope.can_read_registry(request.user):
        return _counts_or_404(request, "community/professional_list.html")
    get = request.GET
    filters = libraries.ProfessionalFilters(
        profession=get.get("profession", "").strip(),
        q=get.get("q", "").strip(),
        region=libraries.region_filter(get.get("region", "")),
        organisation=_int(get.get("organisation")),
    )
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Professionals"),
            rows=libraries.professional_list(fetched_by=request.user, filters=filters),
            columns=export_columns.professional_columns(),
            filter_labels=export_columns.LIBRARY_FILTER_LABELS,
        )
    context = _page(request, libraries.professional_page, filters)
    organisation = None
    if filters.organisation is not None:
        organisation = libraries.organisation_library(request.user).filter(pk=filters.organisation)
        organisation = organisation.first()
    context.update(
        professions=Profession.choices,
        organisation=organisation,
        can_add=libraries.may_add(request.user),
        can_reveal=scope.can_reveal(request.user),
    )
    return render(request, "community/professional_list.html", context)


@login_required
def professional_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    professional = libraries.get_professional_for_user(user, pk)
    links = libraries_links.link_list(
        fetched_by=user, filters=libraries_links.LinkFilters(professional=professional.pk)
    )
    context = {
        "professional": professional,
        "links": list(links[:LINKS_ON_DETAIL]),
        "links_visible": links.count(),
        "can_edit": libraries.may_edit(user, professional),
    }
    return render(request, "community/professional_detail.html", context)


def _professional_form(request: HttpRequest, data, initial=None) -> ProfessionalForm:
    user = request.user
    return ProfessionalForm(
        data,
        initial=initial,
        regions=writable_regions(user),
        organisations=libraries.organisation_library(user).order_by("name", "pk"),
    )


@login_required
def professional_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not libraries.may_add(user):
        raise Http404
    initial = {"organisation": _int(request.GET.get("organisation"))}
    form = _professional_form(request, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            professional = libraries_services.professional_create(by=user, **form.values())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s added to the library.") % {"name": professional})
            return redirect("community:professional", pk=professional.pk)
    return render(request, "community/professional_form.html", {"form": form})


@login_required
def professional_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    professional = libraries.get_professional_for_user(user, pk, write=True)
    initial = {f: getattr(professional, f) for f in libraries_services.PROFESSIONAL_FIELDS}
    form = _professional_form(
        request, request.POST or None, {**initial, "version": professional.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            libraries_services.professional_update(
                by=user,
                professional_id=professional.pk,
                version=form.cleaned_data["version"] or 0,
                **form.values(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("community:professional", pk=professional.pk)
    return render(
        request, "community/professional_form.html", {"form": form, "professional": professional}
    )


# Resource links ------------------------------------------------------------------------------


@login_required
def link_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    get = request.GET
    filters = libraries_links.LinkFilters(
        organisation=_int(get.get("organisation")),
        professional=_int(get.get("professional")),
        kind=get.get("kind", "").strip(),
        date_from=_date(get.get("from")),
        date_to=_date(get.get("to")),
        region=libraries.region_filter(get.get("region", "")),
    )
    queryset = libraries_links.link_list(fetched_by=request.user, filters=filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Resource links"),
            rows=queryset.select_related("region__parent"),
            columns=export_columns.link_columns(),
            filter_labels=export_columns.LIBRARY_FILTER_LABELS,
        )
    page = Paginator(queryset, settings.SHEGONG_PAGE_SIZE).get_page(page_number(get))
    library = libraries.organisation_library(request.user)
    context = {
        "page": page,
        "links": page.object_list,
        "count": page.paginator.count,
        "filters": filters,
        "kinds": LinkKind.choices,
        "regions": regions_under(scope.scope_for(request.user).read_prefixes),
        "organisation": library.filter(pk=filters.organisation).first()
        if filters.organisation
        else None,
        "professional": libraries.professional_library(request.user)
        .filter(pk=filters.professional)
        .first()
        if filters.professional
        else None,
    }
    return render(request, "community/link_list.html", context)


def _recipient(request: HttpRequest) -> libraries_links.Recipient | None:
    """The recipient preset by ``?person=``, ``?case=``, ``?order=`` or ``?activity=`` (the
    first given), fetched through the scope gate: 404 outside the user's area."""
    for kind in libraries_links.RECIPIENT_KINDS:
        if kind in request.GET:
            pk = _int(request.GET[kind])
            if pk is None:
                raise Http404
            return libraries_links.get_recipient_for_user(request.user, kind, pk)
    return None


@login_required
def link_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope.require_registry_reader(user)
    recipient = _recipient(request)
    if recipient is None:
        # Where to start from: a person, a case, a service order, or one of the activities.
        activities = (
            scope.visible(Activity.objects.all(), user, write=True)
            .exclude(status=ActivityStatus.CANCELLED)
            .select_related("region")
            .order_by("-date", "-pk")[:20]
        )
        # A provider chosen already (from its page) goes along to the form.
        carry = {k: v for k in ("organisation", "professional") if _int(v := request.GET.get(k))}
        return render(
            request,
            "community/link_start.html",
            {"activities": activities, "carry": urlencode(carry)},
        )
    initial = {
        "organisation": _int(request.GET.get("organisation")),
        "professional": _int(request.GET.get("professional")),
    }
    form = LinkForm(
        request.POST or None,
        initial=initial,
        organisations=libraries.organisation_library(user).order_by("name", "pk"),
        professionals=libraries.professional_library(user).order_by("name", "pk"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            link = libraries_links.link_create(by=user, recipient=recipient, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Resource link recorded."))
            # Back where the worker came from: the activity or the person's page.
            if link.activity_id:
                return redirect("community:activity", pk=link.activity_id)
            if link.person_id:
                return redirect("people:detail", pk=link.person_id)
            return redirect("community:links")
    return render(request, "community/link_form.html", {"form": form, "recipient": recipient})
