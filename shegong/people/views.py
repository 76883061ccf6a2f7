from __future__ import annotations

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope
from shegong.regions.models import Region
from shegong.regions.selectors import page_number, regions_under

from . import crypto, duplicates, idnumbers, personal_data, selectors, services
from .forms import PersonForm, RelationForm
from .models import DERIVED_CATEGORIES, Category, Person, PersonStatus, Sex


def _filters(request: HttpRequest) -> selectors.PeopleFilters:
    return selectors.PeopleFilters(
        q=request.GET.get("q", "").strip(),
        region=request.GET.get("region", "").strip(),
        category=request.GET.get("category", "").strip(),
        status=request.GET.get("status", "").strip(),
    )


def _export_columns() -> list[exports.Column]:
    def categories(person: Person) -> str:
        labels = [_("Elderly (60+)")] if person.is_elderly else []
        labels += [_("Child (under 18)")] if person.is_minor else []
        return "、".join([*labels, *(c.get_category_display() for c in person.categories.all())])

    itself = exports.person_of("")
    return [
        exports.Column(_("name"), lambda p: p.name, width=12),
        exports.Column(_("sex"), lambda p: p.get_sex_display(), width=6),
        exports.Column(_("date of birth"), lambda p: p.birth_date, width=12),
        exports.Column(_("age"), lambda p: p.age, width=6),
        exports.id_number_column(itself),
        exports.phone_column(itself),
        exports.Column(_("township"), lambda p: p.region.parent.name if p.region.parent else ""),
        exports.Column(_("village"), lambda p: p.region.name),
        exports.Column(_("address"), lambda p: p.address, width=30),
        exports.Column(_("categories"), categories, width=24),
        exports.Column(_("status"), lambda p: p.get_status_display(), width=8),
    ]


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    filters = _filters(request)
    if exports.requested(request):
        people = selectors.person_list(fetched_by=request.user, filters=filters)
        return exports.xlsx_response(
            request,
            title=_("People registry"),
            rows=people.order_by("region_id", "name", "id"),
            columns=_export_columns(),
        )
    number = page_number(request.GET)
    size = settings.SHEGONG_PAGE_SIZE
    items, count = selectors.person_page(
        fetched_by=request.user, filters=filters, page=number, page_size=size
    )
    paginator = Paginator(range(count), size)
    page = paginator.get_page(number)
    context = {
        "people": items,
        "count": count,
        "page": page,
        "filters": filters,
        "regions": regions_under(scope.scope_for(request.user).read_prefixes),
        "categories": [*DERIVED_CATEGORIES.items(), *Category.choices],
        "statuses": PersonStatus.choices,
        "can_create": bool(scope.scope_for(request.user).write_prefixes),
        "can_reveal": scope.can_reveal(request.user),
    }
    template = "people/_results.html" if request.htmx else "people/person_list.html"
    return render(request, template, context)


def no_file_page(request: HttpRequest, person_id: int, template: str) -> HttpResponse:
    """A programme's page for a person who has no file in it yet: who they are, and (for those
    who may write) the offer to open one. The read is logged like any person page."""
    person = selectors.get_person_for_user(request.user, person_id)
    services.person_record_read(by=request.user, person=person, request=request)
    context = {"person": person, "can_edit": scope.can_write_region(request.user, person.region_id)}
    return render(request, template, context)


def open_file(
    request: HttpRequest,
    person_id: int,
    *,
    ensure,
    opened: str,
    edit: str,
    failed: str | None = None,
) -> HttpResponse:
    """A programme opens its file for a person (``ensure(by=, person=)``), then shows its edit
    page ``edit``; a refusal goes back to the page ``failed`` (or the person) with the reason."""
    scope.require_registry_reader(request.user)
    person = selectors.get_person_for_user(request.user, person_id, write=True)
    try:
        ensure(by=request.user, person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(failed, person_id=person.pk) if failed else redirect(person)
    messages.success(request, opened)
    return redirect(edit, person_id=person.pk)


# Apps built on the registry (community linkage: the resources a person received) add a panel
# to the person page: a callable (request, person) → {"template": …, …} or None, registered in
# their AppConfig.ready.
PERSON_PANELS: list = []


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk)
    services.person_record_read(by=request.user, person=person, request=request)
    # A kept record shows the history of the records merged into it as well.
    merged_from = duplicates.merged_from(person)
    history = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Person),
            object_pk__in=[str(person.pk), *(str(m.pk) for m in merged_from)],
        )
        .select_related("actor")
        .order_by("-timestamp")[:50]
    )
    context = {
        "person": person,
        "household": selectors.household_view(fetched_by=request.user, person=person),
        "relations": selectors.relations_of(fetched_by=request.user, person=person),
        "history": history,
        "can_reveal": scope.can_reveal(request.user),
        "can_edit": scope.can_write_region(request.user, person.region_id),
        "relation_form": RelationForm(),
        "merged_into": duplicates.merged_into(person) if person.status == "merged" else None,
        "merged_from": merged_from,
        "panels": [panel for provider in PERSON_PANELS if (panel := provider(request, person))],
    }
    return render(request, "people/person_detail.html", context)


def _form_errors_from(form: PersonForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _add_domain_errors(form: PersonForm, user, current: Person | None) -> None:
    """When the form itself is invalid, still show what the registry rules say about the rest,
    so a worker sees every problem at once (a wrong check digit and a missing village)."""
    data = {name: form.data.get(name, "") for name in form.fields}
    data["categories"] = form.data.getlist("categories")
    try:
        services.person_validate(by=user, data=data, current=current)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            if field in form.fields and field not in form.errors:
                for error in errors:
                    form.add_error(field, error)


def _service_data(form: PersonForm) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    return data


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    prefixes = scope.scope_for(request.user).write_prefixes
    if not prefixes:
        raise Http404
    initial = {"status": PersonStatus.ACTIVE}
    form = PersonForm(request.POST or None, prefixes=prefixes, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(by=request.user, data=_service_data(form))
        except ValidationError as exc:
            _form_errors_from(form, exc)
        except services.DuplicatePerson as exc:
            form.add_error("id_number", str(exc))
        else:
            messages.success(request, _("%(name)s registered.") % {"name": person.name})
            return redirect(person)
    elif request.method == "POST":
        _add_domain_errors(form, request.user, None)
    return render(request, "people/person_form.html", {"form": form, "creating": True})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk, write=True)
    prefixes = scope.scope_for(request.user).write_prefixes
    conflict = None
    if request.method == "POST":
        form = PersonForm(request.POST, prefixes=prefixes)
        if form.is_valid():
            try:
                person = services.person_update(
                    by=request.user,
                    person_id=person.pk,
                    version=form.cleaned_data["version"] or 0,
                    changes=_service_data(form),
                )
            except ValidationError as exc:
                _form_errors_from(form, exc)
            except services.DuplicatePerson as exc:
                form.add_error("id_number", str(exc))
            except services.StaleVersion as exc:
                # Keep what the worker typed, but against the current version, and show what
                # the other save changed: saving again is then a deliberate overwrite.
                person.refresh_from_db()
                data = request.POST.copy()
                data["version"] = str(exc.current_version)
                form = PersonForm(data, prefixes=prefixes)
                form.is_valid()
                form.add_error(None, str(exc))
                conflict = _conflicting_values(form, person)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(person)
        else:
            _add_domain_errors(form, request.user, person)
    else:
        # The edit form holds the full ID number and phone: opening it reveals both, logged.
        initial = services.person_as_input(person)
        for field in ("id_number", "phone"):
            services.person_reveal(by=request.user, person=person, field=field, request=request)
        initial["version"] = person.version
        form = PersonForm(initial=initial, prefixes=prefixes)
    context = {"form": form, "person": person, "creating": False, "conflict": conflict}
    return render(request, "people/person_form.html", context)


def _conflicting_values(form: PersonForm, person: Person) -> list[tuple[str, str, str]]:
    """(label, saved value, your value) for the fields where the two differ. Numbers masked."""
    saved = services.person_as_input(person)
    rows = []
    for name in ("name", "region_code", "address", "status", "categories", "notes"):
        mine = form.data.getlist(name) if name == "categories" else form.data.get(name, "")
        theirs = saved[name]
        if name == "categories":
            if sorted(mine) == sorted(theirs):
                continue
            labels = dict(Category.choices)
            mine = "、".join(str(labels.get(c, c)) for c in mine)
            theirs = "、".join(str(labels.get(c, c)) for c in theirs)
        elif str(mine or "") == str(theirs or ""):
            continue
        elif name == "region_code":
            names = dict(Region.objects.filter(code__in=[mine, theirs]).values_list("code", "name"))
            mine, theirs = names.get(mine, mine), names.get(theirs, theirs)
        elif name == "status":
            labels = dict(PersonStatus.choices)
            mine, theirs = labels.get(mine, mine), labels.get(theirs, theirs)
        rows.append((str(form.fields[name].label), str(theirs or "—"), str(mine or "—")))
    if person.id_number_hash != crypto.blind_index(
        idnumbers.normalise(form.data.get("id_number", ""))
    ):
        rows.append((str(form.fields["id_number"].label), person.id_number_masked, "…"))
    return rows


@login_required
def check_id_number(request: HttpRequest) -> HttpResponse:
    """Inline check while typing: what the number says (sex, birth date) or what is wrong."""
    scope.require_registry_reader(request.user)
    raw = request.GET.get("id_number", "")
    context: dict = {"empty": not raw.strip()}
    if raw.strip():
        try:
            context["parsed"] = idnumbers.parse(raw)
            context["sex_label"] = Sex(context["parsed"].sex).label
        except idnumbers.IdNumberError as exc:
            context["error"] = str(exc)
    return render(request, "people/_id_check.html", context)


@login_required
@require_POST
def person_personal_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's access request (PIPL 查阅复制): everything held, as .json + .xlsx in a .zip.
    A POST, because it writes the access log."""
    scope.require_registry_reader(request.user)
    person = selectors.get_person_for_user(request.user, pk, write=True)
    data = personal_data.personal_data_export(by=request.user, person=person, request=request)
    response = HttpResponse(personal_data.zip_bytes(data), content_type="application/zip")
    name = personal_data.filename(person, "zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def person_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk)
    value = services.person_reveal(by=request.user, person=person, field=field, request=request)
    return render(request, "people/_revealed.html", {"value": value, "field": field})


@login_required
@require_POST
def relation_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk, write=True)
    form = RelationForm(request.POST)
    if form.is_valid():
        try:
            number = idnumbers.parse(form.cleaned_data["relative_id_number"]).number
        except idnumbers.IdNumberError as exc:
            messages.error(request, str(exc))
            return redirect(person)
        relative = (
            scope.visible(Person.objects.all(), request.user)
            .filter(id_number_hash=crypto.blind_index(number))
            .first()
        )
        if relative is None:
            messages.error(request, _("No person with this ID number in your area."))
            return redirect(person)
        try:
            services.relation_add(
                by=request.user,
                person=person,
                relative=relative,
                kind=form.cleaned_data["kind"],
                is_primary_guardian=form.cleaned_data["is_primary_guardian"],
                notes=form.cleaned_data["notes"],
            )
            messages.success(request, _("Relation recorded."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Please fill in the relative's ID number and the relation."))
    return redirect(person)


@login_required
@require_POST
def relation_remove(request: HttpRequest, pk: int, relation_id: int) -> HttpResponse:
    person = selectors.get_person_for_user(request.user, pk, write=True)
    if not person.relations.filter(pk=relation_id).exists():
        raise Http404
    services.relation_remove(by=request.user, relation_id=relation_id)
    messages.success(request, _("Relation removed."))
    return redirect(person)


@login_required
@require_POST
def household_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Join the household of another person (by ID number), or start a new household."""
    person = selectors.get_person_for_user(request.user, pk, write=True)
    action = request.POST.get("action")
    if action == "new":
        household = services.household_create(
            by=request.user, region_code=person.region_id, address=person.address
        )
    elif action == "leave":
        household = None
    else:
        try:
            number = idnumbers.parse(request.POST.get("member_id_number", "")).number
        except idnumbers.IdNumberError as exc:
            messages.error(request, str(exc))
            return redirect(person)
        member = (
            scope.visible(Person.objects.all(), request.user)
            .filter(id_number_hash=crypto.blind_index(number))
            .first()
        )
        if member is None:
            messages.error(request, _("No person with this ID number in your area."))
            return redirect(person)
        if member.household_id is None:
            member.household = services.household_create(
                by=request.user, region_code=member.region_id, address=member.address
            )
            services.household_join(by=request.user, person=member, household=member.household)
        household = member.household
    services.household_join(by=request.user, person=person, household=household)
    messages.success(request, _("Household updated."))
    return redirect(person)
