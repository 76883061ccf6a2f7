"""Registry pages: register and edit an institution, set its custody account, and its
inspections with their rectification items.

Every object comes through the scope gate; whoever may not reach a page gets the same 404 as for
a missing institution (a bank officer reaches an institution's facts but never its inspections).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope

from . import inspections, registry
from .forms_registry import (
    AccountForm,
    FollowUpForm,
    InspectionForm,
    InstitutionForm,
    ItemFormSet,
    MembersForm,
)
from .models import CustodyAccount, Institution, RectificationItem, RectificationStatus
from .views import _add_errors, _get_institution_for_user

LOADED_SALT = "institutions.edit"


def _get_institution_for_inspections(user, pk: int) -> Institution:
    institution = _get_institution_for_user(user, pk)
    if not inspections.may_see_inspections(user, institution):
        raise Http404
    return institution


def _for_registry(user, pk: int) -> tuple[Institution, CustodyAccount | None]:
    """The institution (and its custody account) for a registry writer of its area; 404 for
    anyone else, operators included."""
    institution = _get_institution_for_user(user, pk, write=True)
    if not registry.writes_registry(user, institution):
        raise Http404
    account = CustodyAccount.objects.select_related("bank").filter(institution=institution).first()
    return institution, account


@login_required
def institution_new(request: HttpRequest) -> HttpResponse:
    if not registry.may_register(request.user):
        raise Http404
    form = InstitutionForm(
        request.POST or None,
        fields=registry.REGISTRY_FIELDS,
        regions=registry.regions_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            institution = registry.institution_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s registered.") % {"name": institution.name})
            return redirect("institutions:detail", pk=institution.pk)
    return render(request, "institutions/institution_form.html", {"form": form})


@login_required
def institution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the facts the user may change. The form carries the values it showed (signed), and
    a save over someone else's change in between is refused with what they changed."""
    user = request.user
    institution = _get_institution_for_user(user, pk, write=True)
    fields = registry.editable_fields(user, institution)
    if not fields:
        raise Http404
    stored = registry.snapshot(institution, fields)
    loaded_token = signing.dumps(stored, salt=LOADED_SALT)
    initial = {f: getattr(institution, f) for f in fields}
    form = InstitutionForm(
        request.POST or None,
        initial=initial,
        fields=fields,
        regions=registry.regions_for(user) if "region" in fields else None,
    )
    if request.method == "POST":
        try:
            loaded = signing.loads(request.POST.get("loaded", ""), salt=LOADED_SALT)
        except signing.BadSignature:
            loaded = None
            form.add_error(None, _("This form is out of date: reload the page."))
        else:
            loaded_token = request.POST["loaded"]
        if loaded is not None and form.is_valid():
            changes = {
                f: value
                for f, value in form.cleaned_data.items()
                if registry.snapshot_value(value) != loaded.get(f)
            }
            try:
                registry.institution_update(
                    by=user, institution=institution, changes=changes, loaded=loaded
                )
            except ValidationError as exc:
                _add_errors(form, exc)
                if getattr(exc, "code", None) == "conflict":
                    # Saving again now means "mine over theirs", knowingly.
                    loaded_token = signing.dumps(stored, salt=LOADED_SALT)
            else:
                messages.success(request, _("Saved."))
                return redirect("institutions:detail", pk=institution.pk)
    return render(
        request,
        "institutions/institution_form.html",
        {"form": form, "institution": institution, "loaded": loaded_token},
    )


@login_required
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    institution, account = _for_registry(user, pk)
    initial = {}
    if account is not None:
        initial = {
            "bank": account.bank,
            "number": account.number,
            "agreement_on": account.agreement_on,
            "reserve_ratio": account.reserve_ratio,
        }
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registry.account_set(by=user, institution=institution, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Custody account saved."))
            return redirect("institutions:detail", pk=institution.pk)
    return render(
        request,
        "institutions/account_form.html",
        {
            "form": form,
            "institution": institution,
            "account": account,
            "has_entries": account is not None and account.entries.exists(),
        },
    )


@login_required
def members(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the institution's operators and the custody bank's officers (accounts with those
    roles are created on the users page)."""
    user = request.user
    institution, account = _for_registry(user, pk)
    initial = {"operators": list(institution.operators.all())}
    if account is not None:
        initial["officers"] = list(account.bank.officers.all())
    form = MembersForm(
        request.POST or None,
        initial=initial,
        operators=registry.operator_candidates(),
        officers=registry.officer_candidates(),
    )
    if account is None:
        del form.fields["officers"]
    if request.method == "POST" and form.is_valid():
        try:
            registry.members_set(
                by=user,
                institution=institution,
                operators=list(form.cleaned_data["operators"]),
                officers=list(form.cleaned_data["officers"]) if account is not None else None,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Operators and bank officers saved."))
            return redirect("institutions:detail", pk=institution.pk)
    return render(
        request,
        "institutions/members_form.html",
        {"form": form, "institution": institution, "account": account},
    )


def _inspection_columns(today) -> list[exports.Column]:
    """One row per item to put right (an inspection that found nothing: one row without)."""

    def item(attribute: str):
        return lambda row: getattr(row[1], attribute) if row[1] is not None else None

    def status(row) -> str:
        return row[1].get_status_display() if row[1] is not None else ""

    def overdue(row) -> str:
        item = row[1]
        if item is None or item.status != RectificationStatus.OPEN:
            return ""
        return _("overdue") if item.deadline < today else ""

    return [
        exports.Column(_("inspected on"), lambda row: row[0].inspected_on, width=12),
        exports.Column(_("inspectors"), lambda row: row[0].inspectors, width=20),
        exports.Column(_("findings"), lambda row: row[0].findings, width=40),
        exports.Column(_("what to put right"), item("description"), width=36),
        exports.Column(_("deadline"), item("deadline"), width=12),
        exports.Column(_("status"), status, width=10),
        exports.Column(_("overdue"), overdue, width=8),
        exports.Column(_("reported done on"), item("reported_on"), width=12),
        exports.Column(_("verified on"), item("verified_on"), width=12),
    ]


@login_required
def inspection_list(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    institution = _get_institution_for_inspections(user, pk)
    found = inspections.inspection_list(institution, fetched_by=user)
    today = timezone.localdate()
    if exports.requested(request):
        rows = [
            (inspection, item)
            for inspection in found
            for item in (list(inspection.items.all()) or [None])
        ]
        return exports.xlsx_response(
            request,
            title=_("Inspections") + " · " + institution.name,
            rows=rows,
            columns=_inspection_columns(today),
        )
    return render(
        request,
        "institutions/inspections.html",
        {
            "institution": institution,
            "inspections": found,
            "today": today,
            "can_inspect": inspections.may_inspect(user, institution),
            # Items are written by whoever writes the institution (registry or operator).
            "can_follow_up": scope.visible(
                Institution.objects.filter(pk=institution.pk), user, write=True
            ).exists(),
        },
    )


@login_required
def inspection_new(request: HttpRequest, pk: int) -> HttpResponse:
    """An inspection and its items. "Add a row" posts the form back with one more blank row, so
    it works without JavaScript."""
    user = request.user
    institution = _get_institution_for_inspections(user, pk)
    if not inspections.may_inspect(user, institution):
        raise Http404
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None and "add_row" in data:
        total = int(data.get("items-TOTAL_FORMS") or 0)
        data["items-TOTAL_FORMS"] = str(min(total + 1, ItemFormSet.max_num))
        form, formset = InspectionForm(data), ItemFormSet(data, prefix="items")
        # What was typed is shown again, without complaining about what is not typed yet.
        for each in (form, *formset):
            each._errors = ErrorDict()
        formset._non_form_errors = formset.error_class()
        return render(
            request,
            "institutions/inspection_form.html",
            {"institution": institution, "form": form, "formset": formset},
        )
    form = InspectionForm(data)
    formset = ItemFormSet(data, prefix="items")
    if data is not None and form.is_valid() and formset.is_valid():
        items = [row for row in formset.cleaned_data if row]
        try:
            inspections.inspection_create(
                by=user, institution=institution, items=items, **form.cleaned_data
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            # The items' errors name their row: they go above the rows.
            formset._non_form_errors = formset.error_class(errors.pop("items", []))
            for field, found in errors.items():
                form.add_error(field if field in form.fields else None, found)
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect("institutions:inspections", pk=institution.pk)
    return render(
        request,
        "institutions/inspection_form.html",
        {"institution": institution, "form": form, "formset": formset},
    )


@login_required
@require_POST
def item_follow_up(request: HttpRequest, pk: int, iid: int) -> HttpResponse:
    """Report done, accept, refuse or note an item; the outcome is a message on the list."""
    user = request.user
    institution = _get_institution_for_inspections(user, pk)
    item = scope.get_visible_or_404(
        RectificationItem.objects.filter(inspection__institution=institution), user, pk=iid
    )
    form = FollowUpForm(request.POST)
    target = reverse("institutions:inspections", args=[institution.pk]) + f"#item-{item.pk}"
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the item."))
        return redirect(target)
    action, note, version = (form.cleaned_data[k] for k in ("action", "note", "version"))
    if action in ("accept", "refuse") and not inspections.may_inspect(user, institution):
        raise Http404
    if action != "note" and version is None:
        messages.error(request, _("This form is out of date: reload the page."))
        return redirect(target)
    try:
        if action == "report":
            inspections.item_report_done(by=user, item=item, note=note, version=version)
            messages.success(request, _("Reported as put right."))
        elif action == "note":
            inspections.item_note(by=user, item=item, note=note)
            messages.success(request, _("Note added."))
        else:
            accepted = action == "accept"
            inspections.item_verify(
                by=user, item=item, note=note, accepted=accepted, version=version
            )
            messages.success(
                request, _("Verified.") if accepted else _("Refused: the item is open again.")
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(target)
