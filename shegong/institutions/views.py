"""Institutions pages: the list, one institution (residents, custody, ledger) and two forms.

Every object comes through the scope gate: a registry role by region, an operator their own
institutions, a bank officer the accounts their bank holds (contract numbers, never residents).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shegong import exports
from shegong.accounts import scope
from shegong.people import idnumbers
from shegong.ratelimits import limit_posts_per_address

from . import selectors, services
from .forms import ClosureForm, ContractForm, DischargeForm, EntryForm
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
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Elderly-care institutions"),
            rows=institutions.order_by("region_id", "name", "id"),
            columns=[
                exports.Column(pgettext("organisation", "name"), lambda i: i.name, width=28),
                exports.Column(_("type"), lambda i: i.get_kind_display()),
                exports.Column(_("region"), lambda i: i.region.name),
                exports.Column(_("address"), lambda i: i.address, width=30),
                exports.Column(_("operator"), lambda i: i.operator_name, width=20),
                exports.Column(_("beds"), lambda i: i.beds_total, width=8),
                exports.Column(_("nursing beds"), lambda i: i.beds_nursing, width=8),
                exports.Column(_("star rating"), lambda i: i.star_rating, width=8),
                exports.Column(_("status"), lambda i: i.get_status_display(), width=10),
            ],
        )
    return render(
        request,
        "institutions/list.html",
        {"institutions": institutions, "show_warnings": scope.can_read_registry(request.user)},
    )


def _resident_columns() -> list[exports.Column]:
    person = exports.person_of("resident.person")
    return [
        exports.Column(_("contract number"), lambda c: c.number, width=18),
        exports.Column(_("name"), lambda c: c.resident.person.name, width=12),
        exports.id_number_column(person),
        exports.Column(_("bed"), lambda c: c.resident.bed, width=8),
        exports.Column(_("care level"), lambda c: c.resident.care_level, width=10),
        exports.Column(_("admitted on"), lambda c: c.resident.admitted_on, width=12),
        exports.Column(_("discharged on"), lambda c: c.resident.discharged_on, width=12),
        exports.Column(_("signed on"), lambda c: c.signed_on, width=12),
        exports.Column(_("status"), lambda c: c.get_status_display(), width=8),
        exports.Column(_("monthly fee"), lambda c: c.monthly_fee, width=12),
        exports.Column(_("deposit"), lambda c: c.deposit, width=12),
        exports.Column(_("balance"), lambda c: c.balance, width=12),
    ]


def _ledger_columns() -> list[exports.Column]:
    def evidence(entry: LedgerEntry) -> str:
        if entry.evidence:
            return _("attached")
        if entry.kind in (EntryKind.PAYMENT_IN, EntryKind.REFUND):
            return ""
        return _("missing")

    return [
        exports.Column(_("date"), lambda e: e.occurred_on, width=12),
        exports.Column(_("contract number"), lambda e: e.contract.number, width=18),
        exports.Column(_("kind"), lambda e: e.get_kind_display()),
        exports.Column(_("fee type"), lambda e: e.get_fee_type_display()),
        exports.Column(_("amount (yuan)"), lambda e: e.signed_amount, width=12),
        exports.Column(_("purpose"), lambda e: e.purpose, width=24),
        exports.Column(_("evidence"), evidence, width=10),
        exports.Column(_("evidence due on"), lambda e: e.evidence_due_on, width=12),
        exports.Column(_("recorded at"), lambda e: e.recorded_at, width=17),
        exports.Column(_("confirmed by the bank"), lambda e: e.confirmed_at, width=17),
    ]


@login_required
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One institution: its facts, custody account, residents and ledger. The residents and
    the (whole) ledger export as .xlsx with ``?export=xlsx&part=residents|ledger``."""
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
    ledger = None
    if account is not None:
        ledger = scope.visible(
            LedgerEntry.objects.filter(account=account).select_related("contract"), user
        )
    if exports.requested(request):
        part = request.GET.get("part", "")
        if part == "residents":
            return exports.xlsx_response(
                request,
                title=_("Residents") + " · " + institution.name,
                rows=contracts,
                columns=_resident_columns(),
            )
        if part == "ledger" and ledger is not None:
            return exports.xlsx_response(
                request,
                title=_("Ledger") + " · " + institution.name,
                rows=ledger,
                columns=_ledger_columns(),
            )
        raise Http404
    summary = selectors.custody_summary(account) if account is not None else None
    return render(
        request,
        "institutions/detail.html",
        {
            "institution": institution,
            "contracts": contracts,
            "account": account,
            "summary": summary,
            "entries": ledger[:LEDGER_ROWS] if ledger is not None else None,
            "can_write": _can_write(user, institution),
            "can_reveal": scope.can_reveal(user),
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
            person = selectors.person_for_admission(
                id_number=number, name=data["name"], fetched_by=request.user
            )
            if person is None and scope.can_read_registry(request.user):
                form.add_error("id_number", _("No person with this ID number in your area."))
            elif person is None:
                form.add_error(
                    "id_number",
                    _(
                        "No one in the registry has this ID number and name. Check both; if "
                        "the person is not registered yet, ask their village or township "
                        "station to register them first."
                    ),
                )
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


def _get_contract_for_user(user, pk: int, cid: int, *, write: bool = False) -> Contract:
    return scope.get_visible_or_404(
        Contract.objects.select_related("resident__person", "resident__institution"),
        user,
        write=write,
        pk=cid,
        resident__institution_id=pk,
    )


@login_required
def contract_detail(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    """One contract: terms, the balance per fee type, its ledger and (for those who may) the
    discharge with its refund. Bank officers never reach it (no resident for them)."""
    contract = _get_contract_for_user(request.user, pk, cid)
    writable = scope.visible(Contract.objects.filter(pk=cid), request.user, write=True).exists()
    form = None
    if writable and contract.resident.discharged_on is None:
        form = DischargeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    services.discharge(
                        by=request.user,
                        contract=contract,
                        discharged_on=data["discharged_on"],
                        reason=data["reason"],
                    )
                    refunded = (
                        services.refund_all(
                            by=request.user, contract=contract, occurred_on=data["discharged_on"]
                        )
                        if data["refund_now"]
                        else []
                    )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                total = sum((e.amount for e in refunded), selectors.ZERO)
                messages.success(
                    request,
                    _("The resident has left; %(amount)s yuan refunded.") % {"amount": total},
                )
                return redirect("institutions:contract", pk=pk, cid=cid)
    elif request.method == "POST" and writable and request.POST.get("action") == "refund_all":
        try:
            services.refund_all(by=request.user, contract=contract)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The balance has been refunded."))
        return redirect("institutions:contract", pk=pk, cid=cid)
    balances = selectors.contract_balances(contract)
    resident = contract.resident
    return render(
        request,
        "institutions/contract_detail.html",
        {
            "institution": resident.institution,
            "contract": contract,
            "resident": resident,
            "balances": balances,
            "total": sum(balances.values(), selectors.ZERO),
            "entries": contract.entries.order_by("-occurred_on", "-pk")[:LEDGER_ROWS],
            "refund_due_on": (
                selectors.refund_due_on(resident.discharged_on) if resident.discharged_on else None
            ),
            "form": form,
            "can_write": writable,
            "refund_days": settings.SHEGONG_REFUND_WORKING_DAYS,
        },
    )


@login_required
def closure(request: HttpRequest, pk: int) -> HttpResponse:
    """Announce a closure (30 days' notice) or, once it has run and everyone was refunded,
    close. The operator or the bureau may announce; only the bureau closes."""
    institution = _get_institution_for_user(request.user, pk, write=True)
    form = ClosureForm(request.POST or None)
    bureau = not scope.works_for_organisation(request.user)
    if request.method == "POST" and request.POST.get("action") == "close":
        if not bureau:
            raise Http404
        try:
            services.institution_close(by=request.user, institution=institution)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("institutions:closure", pk=pk)
        messages.success(request, _("The institution is closed."))
        return redirect("institutions:detail", pk=pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.closure_announce(
                by=request.user,
                institution=institution,
                closes_on=form.cleaned_data["closes_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The closure has been announced."))
            return redirect("institutions:detail", pk=pk)
    return render(
        request,
        "institutions/closure.html",
        {
            "institution": institution,
            "form": form,
            "can_close": bureau,
            "notice_days": settings.SHEGONG_CLOSURE_NOTICE_DAYS,
        },
    )


@login_required
def warnings(request: HttpRequest) -> HttpResponse:
    """The bureau's list: every custody warning of the institutions in the user's area."""
    if not scope.can_read_registry(request.user):
        raise Http404
    found = selectors.warnings_for(fetched_by=request.user)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Custody warnings"),
            rows=found,
            columns=[
                exports.Column(_("institution"), lambda w: w["institution"], width=28),
                exports.Column(_("contract number"), lambda w: w.get("contract_number") or ""),
                exports.Column(_("warning"), lambda w: w["message"], width=60),
            ],
        )
    return render(request, "institutions/warnings.html", {"warnings": found})


@limit_posts_per_address(group="family", rate_setting="SHEGONG_RATE_FAMILY")
def family(request: HttpRequest) -> HttpResponse:
    """The family page: no account; contract number + the last six ID characters. Look-ups are
    limited per minute here (a burst of guesses) and per hour in :mod:`.family`."""
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
