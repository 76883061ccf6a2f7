"""Bank statements pages: the list, the upload, one statement's reconciliation, confirmations.

Everything comes through the scope gate. A bank officer reaches the accounts their bank holds
and sees contract numbers only; an operator reads their institution's statements; registry
roles read (and upload) by region. Only an officer of the account's bank confirms movements.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from shegong import exports, uploads
from shegong.accounts import scope
from shegong.forms import BootstrapMixin

from . import reconcile
from .models import BankStatement, CustodyAccount, Institution, LedgerEntry

MAX_STATEMENT_BYTES = 10 * 1024 * 1024


class StatementUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("statement file"),
        help_text=gettext_lazy(
            ".xlsx or .csv (UTF-8 or GBK) as exported by the bank, up to 10 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # The type and content checks run where the statement is read (roster.read_table).
        self.content = uploads.read_upload(upload, limit_bytes=uploads.limit(MAX_STATEMENT_BYTES))
        return upload


def _get_account_for_user(user, pk: int) -> tuple[Institution, CustodyAccount]:
    """The institution and its custody account, if the user may see both; else 404."""
    institution = scope.get_visible_or_404(
        Institution.objects.select_related("region"), user, pk=pk
    )
    account = scope.get_visible_or_404(
        CustodyAccount.objects.select_related("bank"), user, institution=institution
    )
    account.institution = institution
    return institution, account


def _get_statement_for_user(user, account: CustodyAccount, sid: int) -> BankStatement:
    statement = scope.get_visible_or_404(
        BankStatement.objects.select_related("uploaded_by"), user, pk=sid, account=account
    )
    statement.account = account
    return statement


STATEMENT_COLUMNS = [
    exports.Column(gettext_lazy("from"), lambda s: s.period_start, width=12),
    exports.Column(gettext_lazy("to"), lambda s: s.period_end, width=12),
    exports.Column(gettext_lazy("file name"), lambda s: s.file_name, width=30),
    exports.Column(gettext_lazy("lines"), lambda s: s.line_count, width=8),
    exports.Column(gettext_lazy("matched"), lambda s: s.matched_count, width=8),
    exports.Column(gettext_lazy("bank only"), lambda s: s.bank_only_count, width=8),
    exports.Column(gettext_lazy("ledger only"), lambda s: s.ledger_only_count, width=8),
    exports.Column(gettext_lazy("closing balance"), lambda s: s.closing_balance, width=14),
    exports.Column(gettext_lazy("uploaded at"), lambda s: s.uploaded_at, width=17),
    exports.Column(gettext_lazy("uploaded by"), lambda s: str(s.uploaded_by or "")),
]


@login_required
def statement_list(request: HttpRequest, pk: int) -> HttpResponse:
    institution, account = _get_account_for_user(request.user, pk)
    statements = reconcile.statement_list(account, fetched_by=request.user)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Bank statements") + " · " + institution.name,
            rows=statements,
            columns=STATEMENT_COLUMNS,
        )
    return render(
        request,
        "institutions/statements.html",
        {
            "institution": institution,
            "account": account,
            "statements": statements,
            "can_upload": reconcile.can_upload(request.user, account),
        },
    )


@login_required
def statement_upload(request: HttpRequest, pk: int) -> HttpResponse:
    institution, account = _get_account_for_user(request.user, pk)
    if not reconcile.can_upload(request.user, account):
        raise Http404
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            statement = reconcile.statement_import(
                by=request.user, account=account, file=form.content, filename=upload.name
            )
        except reconcile.StatementRowsError as exc:
            row_errors = exc.cell_errors
            form.add_error(None, _("Nothing was imported: correct these rows and upload again."))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            messages.success(
                request,
                _("Statement imported. Lines: %(lines)d; matched to the ledger: %(matched)d.")
                % {
                    "lines": statement.lines.count(),
                    "matched": statement.lines.filter(entry__isnull=False).count(),
                },
            )
            return redirect("institutions:statement_detail", pk=institution.pk, sid=statement.pk)
    return render(
        request,
        "institutions/statement_upload.html",
        {"institution": institution, "account": account, "form": form, "row_errors": row_errors},
    )


@login_required
def statement_detail(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    institution, account = _get_account_for_user(request.user, pk)
    statement = _get_statement_for_user(request.user, account, sid)
    return render(
        request,
        "institutions/reconciliation.html",
        {
            "institution": institution,
            "account": account,
            "report": reconcile.reconciliation(statement),
            "can_confirm": reconcile.is_officer_of(request.user, account.bank),
        },
    )


@login_required
@require_POST
def statement_confirm(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    institution, account = _get_account_for_user(request.user, pk)
    statement = _get_statement_for_user(request.user, account, sid)
    if not reconcile.is_officer_of(request.user, account.bank):
        raise Http404
    count = reconcile.statement_confirm_matched(by=request.user, statement=statement)
    messages.success(
        request,
        ngettext("%(count)d movement confirmed.", "%(count)d movements confirmed.", count)
        % {"count": count},
    )
    return redirect("institutions:statement_detail", pk=institution.pk, sid=statement.pk)


@login_required
@require_POST
def entry_confirm(request: HttpRequest, pk: int, eid: int) -> HttpResponse:
    institution, account = _get_account_for_user(request.user, pk)
    if not reconcile.is_officer_of(request.user, account.bank):
        raise Http404
    # Read access: the bank records no ledger entry; the service checks the officer's bank.
    entry = scope.get_visible_or_404(
        LedgerEntry.objects.select_related("contract"), request.user, pk=eid, account=account
    )
    reconcile.entry_confirm(by=request.user, entry=entry)
    messages.success(
        request, _("Movement of contract %(number)s confirmed.") % {"number": entry.contract.number}
    )
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return redirect("institutions:detail", pk=institution.pk)
