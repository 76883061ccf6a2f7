"""Institutions pages: the list, one institution (residents, custody, ledger) and two forms.

Every object comes through the scope gate: a registry role by region, an operator their own
institutions, a bank officer the accounts their bank holds (contract numbers, never residents).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.people import crypto, idnumbers
from shegong.people.models import Person

from . import selectors, services
from .forms import ContractForm, EntryForm
from .models import Contract, CustodyAccount, EntryKind, Institution, LedgerEntry

LEDGER_ROWS = 100


def _get_institution_for_user(user, pk: int, *, write: bool = False) -> Institution:
    return scope.get_visible_or_404(
        Institution.objects.select_related("region"), user, write=write, pk=pk
    )


def _can_write(user, institution: Institution) -> bool:
    return scope.visible(Institution.objects.filter(pk=institution.pk), user, write=True).exists()


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def institution_list(request: HttpRequest) -> HttpResponse:
    if not (scope.can_read_registry(request.user) or scope.works_for_organisation(request.user)):
        raise Http404
    institutions = selectors.institution_list(fetched_by=request.user)
    return render(request, "institutions/list.html", {"institutions": institutions})


@login_required
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    institution = _get_institution_for_user(user, pk)
    contracts = selectors.contracts_with_balance(
        scope.visible(
            Contract.objects.filter(resident__institution=institution).select_related(
                "resident__person"
            ),
            user,
        )
    )
    account = (
        scope.visible(CustodyAccount.objects.select_related("bank"), user)
        .filter(institution=institution)
        .first()
    )
    summary = entries = None
    if account is not None:
        summary = selectors.custody_summary(account)
        entries = scope.visible(
            LedgerEntry.objects.filter(account=account).select_related("contract"), user
        )[:LEDGER_ROWS]
    return render(
        request,
        "institutions/detail.html",
        {
            "institution": institution,
            "contracts": contracts,
            "account": account,
            "summary": summary,
            "entries": entries,
            "can_write": _can_write(user, institution),
        },
    )


@login_required
def contract_new(request: HttpRequest, pk: int) -> HttpResponse:
    institution = _get_institution_for_user(request.user, pk, write=True)
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = None
        try:
            number = idnumbers.parse(data["id_number"]).number
        except idnumbers.IdNumberError as exc:
            form.add_error("id_number", str(exc))
        else:
            person = (
                scope.visible(Person.objects.all(), request.user)
                .filter(id_number_hash=crypto.blind_index(number))
                .first()
            )
            if person is None:
                form.add_error("id_number", _("No person with this ID number in your area."))
        if person is not None:
            try:
                contract = services.contract_create(
                    by=request.user,
                    institution=institution,
                    person=person,
                    monthly_fee=data["monthly_fee"],
                    monthly_bed_fee=data["monthly_bed_fee"],
                    deposit=data["deposit"],
                    prepaid_months=data["prepaid_months"],
                    membership_fee=data["membership_fee"],
                    bed=data["bed"],
                    signed_on=data["signed_on"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, _("Contract %(number)s signed.") % {"number": contract.number}
                )
                return redirect("institutions:detail", pk=institution.pk)
    return render(
        request, "institutions/contract_form.html", {"institution": institution, "form": form}
    )


@login_required
def entry_new(request: HttpRequest, pk: int) -> HttpResponse:
    institution = _get_institution_for_user(request.user, pk, write=True)
    contracts = scope.visible(
        Contract.objects.filter(resident__institution=institution), request.user, write=True
    )
    form = EntryForm(request.POST or None, request.FILES or None, contracts=contracts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "by": request.user,
            "contract": data["contract"],
            "fee_type": data["fee_type"],
            "amount": data["amount"],
            "occurred_on": data["occurred_on"],
        }
        try:
            kind = data["kind"]
            if kind == EntryKind.PAYMENT_IN:
                services.payment_in(**common)
            elif kind == EntryKind.REFUND:
                services.refund(**common)
            elif kind == EntryKind.WITHDRAWAL:
                services.withdrawal(**common, purpose=data["purpose"], evidence=data["evidence"])
            else:
                services.emergency_advance(**common, purpose=data["purpose"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Ledger entry recorded."))
            return redirect("institutions:detail", pk=institution.pk)
    return render(
        request, "institutions/entry_form.html", {"institution": institution, "form": form}
    )


def family(request: HttpRequest) -> HttpResponse:
    """The family page: no account; contract number + the last six ID characters."""
    from shegong.audit.services import client_ip

    from . import family as lookups

    context: dict = {"values": {}}
    status = 200
    if request.method == "POST":
        number = request.POST.get("number", "")
        context["values"] = {"number": number}
        try:
            found = lookups.look_up(
                number=number, id_tail=request.POST.get("id_tail", ""), ip=client_ip(request)
            )
        except lookups.TooManyLookups:
            context["error"] = _("Too many look-ups. Please try again in an hour.")
            status = 429
        else:
            if found is None:
                context["error"] = _(
                    "No contract matches this number and these ID characters. Check both and "
                    "try again."
                )
                status = 404
            else:
                context["found"] = found
    return render(request, "institutions/family.html", context, status=status)
