"""The list of visit records (探访记录) of every programme, within the user's area.

The dashboard's "Visits" figures link here with their region and period: the list counts what
they count. Visits of the justice-involved minors (a closed programme) are left out unless that
programme is chosen, which only its own workers can do (``selectors.programme_q``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong import exports
from shegong.accounts import scope
from shegong.accounts.models import User
from shegong.regions.selectors import regions_under

from . import selectors
from .forms import PeriodFilterForm
from .models import VisitMode
from .views import _int

FILTER_LABELS = {
    "programme": gettext_lazy("Programme"),
    "mode": gettext_lazy("mode"),
    "worker": gettext_lazy("visited by"),
}


def _export_columns() -> list[exports.Column]:
    person = exports.person_of("person")
    return [
        exports.Column(_("date"), lambda v: v.visited_on, width=12),
        exports.Column(_("programme"), lambda v: v.get_programme_display()),
        exports.Column(_("mode"), lambda v: v.get_mode_display(), width=10),
        exports.Column(_("name"), lambda v: v.person.name, width=12),
        exports.id_number_column(person),
        exports.Column(_("township"), lambda v: getattr(v.person.region.parent, "name", "")),
        exports.Column(_("village"), lambda v: v.person.region.name),
        exports.Column(_("visited by"), lambda v: v.visited_by.display_name),
        exports.Column(_("who was seen"), lambda v: v.seen),
        exports.Column(_("together with"), lambda v: v.companions),
        exports.Column(_("next visit"), lambda v: v.next_visit_on, width=12),
    ]


def _worker_names(worker: int | None) -> dict[str, str]:
    """The chosen worker by name, for the export's line of filters."""
    if worker is None:
        return {}
    found = User.objects.filter(pk=worker).first()
    return {str(worker): found.display_name} if found else {}


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    scope.require_registry_reader(request.user)
    period = PeriodFilterForm(request.GET)
    date_from, date_to = period.period()
    filters = selectors.VisitFilters(
        programme=request.GET.get("programme", "").strip(),
        region=request.GET.get("region", "").strip(),
        date_from=date_from,
        date_to=date_to,
        mode=request.GET.get("mode", "").strip(),
        worker=_int(request.GET.get("worker", "").strip(), default=None),
        q=request.GET.get("q", "").strip(),
    )
    visits = selectors.visit_list(fetched_by=request.user, filters=filters)
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Visits"),
            rows=visits,
            columns=_export_columns(),
            filter_labels=FILTER_LABELS,
            filter_values={"worker": _worker_names(filters.worker)},
        )
    page = Paginator(visits, settings.SHEGONG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "visits": page.object_list,
        "filters": filters,
        "form": period,
        "regions": regions_under(scope.scope_for(request.user).read_prefixes),
        "programmes": selectors.programme_choices(request.user),
        # Without a choice the lists leave the closed programmes out: say so to their workers.
        "programmes_closed": selectors.offers_closed_programme(request.user),
        "modes": VisitMode.choices,
        "workers": selectors.visit_workers(fetched_by=request.user),
        "can_reveal": scope.can_reveal(request.user),
    }
    return render(request, "casework/visit_list.html", context)
