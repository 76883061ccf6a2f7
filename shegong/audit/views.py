from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong import exports
from shegong.accounts import scope
from shegong.accounts.models import User
from shegong.regions.templatetags.shegong_tags import audit_field, audit_value

from . import selectors

# The audit filters, named in an exported workbook's title block.
FILTER_LABELS = {
    "user": gettext_lazy("user"),
    "person": gettext_lazy("person no."),
    "since": gettext_lazy("from"),
    "until": gettext_lazy("to"),
}


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, 50).get_page(request.GET.get("page"))


def _context(request: HttpRequest, filters: dict) -> dict:
    return {
        "filters": filters,
        "params": request.GET,
        "users": User.objects.order_by("username").only("id", "username", "full_name"),
    }


def _changes_text(entry) -> str:
    """The changes column of the page, one line a field (untruncated)."""
    try:
        changes = entry.changes_display_dict
    except AttributeError:  # the model is gone: the raw values
        changes = entry.changes_dict
    lines = []
    for field, change in changes.items():
        if isinstance(change, list | tuple) and len(change) == 2:
            change = f"{audit_value(change[0])} → {audit_value(change[1])}"
        lines.append(f"{audit_field(field)}: {change}")
    return "\n".join(lines)


def _change_columns() -> list[exports.Column]:
    return [
        exports.Column(_("time"), lambda e: e.timestamp, width=17),
        exports.Column(_("user"), lambda e: str(e.actor) if e.actor else _("system")),
        exports.Column(_("action"), lambda e: e.get_action_display(), width=8),
        exports.Column(_("record type"), lambda e: e.content_type.name, width=16),
        exports.Column(_("record no."), lambda e: e.object_pk, width=10),
        exports.Column(_("record"), lambda e: e.object_repr, width=24),
        exports.Column(_("changes"), _changes_text, width=60),
    ]


def _access_columns() -> list[exports.Column]:
    return [
        exports.Column(_("time"), lambda e: e.at, width=17),
        exports.Column(_("user"), lambda e: str(e.user) if e.user else ""),
        exports.Column(_("action"), lambda e: e.get_action_display(), width=8),
        exports.Column(_("person"), lambda e: e.person.name if e.person else "", width=12),
        exports.Column(_("object type"), lambda e: e.object_type, width=18),
        exports.Column(_("object id"), lambda e: e.object_id, width=10),
        exports.Column(_("field"), lambda e: e.field, width=12),
        exports.Column(_("detail"), lambda e: e.detail, width=30),
        exports.Column(_("IP address"), lambda e: e.ip_address, width=15),
    ]


@login_required
def changes(request: HttpRequest) -> HttpResponse:
    if not scope.is_admin(request.user):
        raise Http404
    filters = selectors.parse_filters(request.GET)
    entries = selectors.change_log(**filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Changes"),
            rows=entries,
            columns=_change_columns(),
            filter_labels=FILTER_LABELS,
        )
    context = _context(request, filters)
    context["page"] = _page(request, entries)
    return render(request, "audit/changes.html", context)


@login_required
def access(request: HttpRequest) -> HttpResponse:
    if not scope.is_admin(request.user):
        raise Http404
    filters = selectors.parse_filters(request.GET)
    entries = selectors.access_log(**filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Access log"),
            rows=entries,
            columns=_access_columns(),
            filter_labels=FILTER_LABELS,
        )
    context = _context(request, filters)
    context["page"] = _page(request, entries)
    return render(request, "audit/access.html", context)
