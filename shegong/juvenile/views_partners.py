"""The programme's overview and its partner records: agencies, the joint opinion, contracts.

Programme workers and liaisons read (a liaison: the opinions and contracts their agency is
party to, and their own agency's figures); a district administrator in the programme adds
records; everybody else gets 404. The rules are in ``partners.py``.
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shegong import exports
from shegong.accounts import scope

from . import partners as records
from . import selectors
from .forms_partners import DELIVERABLE_LABELS, AgencyForm, ContractForm, OpinionForm
from .models import Agency, Referral


def _require_reader(request: HttpRequest) -> None:
    if not records.can_read(request.user):
        raise Http404


def _require_manager(request: HttpRequest) -> None:
    _require_reader(request)
    if not records.can_manage(request.user):
        raise Http404


def _add_errors(form: Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    if not 2000 <= year <= today.year:
        year = today.year
    context = {
        **records.overview(user=request.user, year=year, today=today),
        "year": year,
        "years": list(range(today.year, today.year - 5, -1)),
        "is_liaison": bool(scope.partner_agencies(request.user)),
        "agencies": selectors.agencies_for(request.user)
        if scope.partner_agencies(request.user)
        else [],
    }
    return render(request, "juvenile/overview.html", context)


def _partner_exports() -> dict[str, tuple[str, list[exports.Column]]]:
    """The three lists of the partners page as workbooks (``?export=xlsx&part=…``)."""

    def parties(opinion) -> str:
        return "、".join(agency.name for agency in opinion.parties.all())

    return {
        "agencies": (
            _("Partner agencies"),
            [
                exports.Column(_("name"), lambda a: a.name, width=28),
                exports.Column(_("kind"), lambda a: a.get_kind_display()),
                exports.Column(_("region"), lambda a: a.region.name),
                exports.Column(_("contact"), lambda a: a.contact, width=20),
                exports.Column(_("liaisons"), lambda a: a.liaison_count, width=8),
            ],
        ),
        "opinions": (
            _("Joint opinions"),
            [
                exports.Column(_("title"), lambda o: o.title, width=36),
                exports.Column(_("signed on"), lambda o: o.signed_on, width=12),
                exports.Column(_("parties"), parties, width=40),
                exports.Column(_("scope"), lambda o: o.scope, width=40),
            ],
        ),
        "contracts": (
            _("Service contracts"),
            [
                exports.Column(_("contract number"), lambda c: c.number, width=18),
                exports.Column(_("title"), lambda c: c.title, width=30),
                exports.Column(_("purchaser"), lambda c: c.purchaser.name, width=24),
                exports.Column(_("provider"), lambda c: c.provider.name, width=24),
                exports.Column(_("starts on"), lambda c: c.starts_on, width=12),
                exports.Column(_("ends on"), lambda c: c.ends_on, width=12),
                exports.Column(_("amount (yuan)"), lambda c: c.amount, width=12),
                exports.Column(_("scope of services"), lambda c: c.scope, width=40),
            ],
        ),
    }


@login_required
def partners(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    context = {
        "agencies": Agency.objects.select_related("region").annotate(
            liaison_count=Count("liaisons", distinct=True)
        ),
        "opinions": records.opinions_for(request.user).prefetch_related("parties"),
        "contracts": records.contracts_for(request.user).select_related("purchaser", "provider"),
        "can_manage": records.can_manage(request.user),
    }
    if exports.requested(request):
        part = request.GET.get("part", "")
        found = _partner_exports().get(part)
        if found is None:
            raise Http404
        title, columns = found
        return exports.xlsx_response(request, title=title, rows=context[part], columns=columns)
    if context["can_manage"]:
        context["agencies"] = context["agencies"].prefetch_related("liaisons")
        context["candidates"] = records.liaison_candidates(request.user)
    return render(request, "juvenile/partners.html", context)


@login_required
@require_POST
def agency_liaisons(request: HttpRequest, pk: int) -> HttpResponse:
    """Bind a liaison to an agency, or take one off (district administrators of the programme)."""
    user_id = request.POST.get("user", "")
    try:
        records.liaison_bind(
            by=request.user,
            agency_id=pk,
            user_id=int(user_id) if user_id.isdigit() else 0,
            remove=request.POST.get("action") == "remove",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect(f"{reverse('juvenile:partners')}#agency-{pk}")


@login_required
def opinion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    opinion = get_object_or_404(records.opinions_for(request.user), pk=pk)
    texts = {row.get("agency"): row.get("text", "") for row in opinion.responsibilities or []}
    parties = [(agency, texts.get(agency.pk, "")) for agency in opinion.parties.all()]
    context = {
        "opinion": opinion,
        "parties": parties,
        "document_name": os.path.basename(opinion.document.name) if opinion.document else "",
    }
    return render(request, "juvenile/opinion.html", context)


@login_required
def opinion_document(request: HttpRequest, pk: int) -> FileResponse:
    _require_reader(request)
    opinion = get_object_or_404(records.opinions_for(request.user), pk=pk)
    if not opinion.document:
        raise Http404
    return FileResponse(
        opinion.document.open("rb"),
        as_attachment=True,
        filename=os.path.basename(opinion.document.name),
    )


@login_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    contract = get_object_or_404(
        records.contracts_for(request.user).select_related("purchaser", "provider"), pk=pk
    )
    rows = []
    for row in selectors.contract_delivery(contract, request.user):
        target, delivered = row["target"] or 0, row["delivered"]
        rows.append(
            {
                **row,
                "label": DELIVERABLE_LABELS.get(row["key"], row["key"]),
                "percent": min(round(100 * delivered / target), 100) if target else None,
                "met": bool(target) and delivered >= target,
            }
        )
    referrals = (
        scope.visible(Referral.objects.filter(contract=contract), request.user)
        .select_related("agency", "region", "worker")
        .order_by("-referred_at", "-id")
    )
    context = {"contract": contract, "rows": rows, "referrals": referrals}
    return render(request, "juvenile/contract.html", context)


# ---- adding partner records (a district administrator in the programme) --------------------------


@login_required
def agency_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    regions = records.regions_for_agencies(request.user)
    form = AgencyForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        try:
            records.agency_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The agency is added."))
            return redirect("juvenile:partners")
    status = 422 if form.is_bound else 200
    return render(request, "juvenile/agency_form.html", {"form": form}, status=status)


@login_required
def opinion_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = OpinionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opinion = records.opinion_create(
                by=request.user,
                title=data["title"],
                parties=list(data["parties"]),
                signed_on=data["signed_on"],
                scope_text=data["scope"],
                responsibilities=form.responsibilities(),
                document=data.get("document"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The joint opinion is recorded."))
            return redirect("juvenile:opinion", pk=opinion.pk)
    status = 422 if form.is_bound else 200
    return render(request, "juvenile/opinion_form.html", {"form": form}, status=status)


@login_required
def contract_new(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data, deliverables = form.split()
        try:
            contract = records.contract_create(
                by=request.user, data=data, deliverables=deliverables
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The contract is recorded."))
            return redirect(contract)
    status = 422 if form.is_bound else 200
    return render(request, "juvenile/contract_form.html", {"form": form}, status=status)
