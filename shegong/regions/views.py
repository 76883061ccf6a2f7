from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong import exports
from shegong.accounts import scope

from . import selectors, services
from .forms import StationForm
from .models import Level, Region, Station
from .templatetags.shegong_tags import role_label


def _aggregate_user(request: HttpRequest) -> None:
    if not scope.can_see_aggregates(request.user):
        raise Http404


@login_required
def region_list(request: HttpRequest) -> HttpResponse:
    _aggregate_user(request)
    townships = (
        Region.objects.filter(level=Level.TOWNSHIP)
        .annotate(village_count=Count("children"))
        .select_related("station")
        .order_by("code")
    )
    district = Region.objects.filter(level=Level.DISTRICT).select_related("station").first()
    selected = request.GET.get("township", "")
    villages = selectors.villages(selected[:9]) if selected else Region.objects.none()
    context = {
        "district": district,
        "townships": townships,
        "villages": villages.select_related("station"),
        "selected": selected,
        "can_admin": scope.is_admin(request.user),
    }
    return render(request, "regions/region_list.html", context)


def _coverage_columns() -> list[exports.Column]:
    """The townships, then the (filtered) villages of the coverage page, one row each."""

    def gaps(row: selectors.CoverageRow) -> str:
        if row.complete:
            return ""
        missing = [
            _("%(role)s missing: %(missing)s") % {"role": role_label(role), "missing": n}
            for role, n in row.gaps
        ]
        return "; ".join(missing) if missing else _("no station")

    return [
        exports.Column(_("level"), lambda r: r.region.get_level_display(), width=8),
        exports.Column(_("division code"), lambda r: r.region.code, width=14),
        exports.Column(_("township"), lambda r: _township_name(r.region), width=14),
        exports.Column(
            _("village"), lambda r: r.region.name if r.region.level == Level.VILLAGE else ""
        ),
        exports.Column(_("station"), lambda r: r.station.name if r.station else "", width=24),
        exports.Column(_("staff"), lambda r: r.staff_count, width=8),
        exports.Column(_("complete"), lambda r: _("yes") if r.complete else _("no"), width=8),
        exports.Column(_("gaps"), gaps, width=40),
    ]


def _township_name(region: Region) -> str:
    if region.level == Level.VILLAGE:
        return getattr(region.parent, "name", "")
    return region.name


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    _aggregate_user(request)
    township = request.GET.get("township", "")
    only_gaps = request.GET.get("gaps") == "1"
    result = selectors.coverage(township=township)
    villages = [r for r in result.villages if not only_gaps or not r.complete]
    if exports.requested(request):
        return exports.xlsx_response(
            request,
            title=_("Station coverage and staffing"),
            rows=result.townships + villages,
            columns=_coverage_columns(),
            filter_labels={"township": gettext_lazy("township"), "gaps": gettext_lazy("Only gaps")},
        )
    context = {
        "coverage": result,
        "township_summary": result.summary(Level.TOWNSHIP),
        "village_summary": result.summary(Level.VILLAGE),
        "villages": villages,
        "townships": Region.objects.filter(level=Level.TOWNSHIP).order_by("code"),
        "township": township,
        "only_gaps": only_gaps,
        "can_admin": scope.is_admin(request.user),
    }
    return render(request, "regions/coverage.html", context)


@login_required
def station_detail(request: HttpRequest, code: str) -> HttpResponse:
    _aggregate_user(request)
    station = get_object_or_404(Station.objects.select_related("region__parent"), region_id=code)
    context = {
        "station": station,
        "staff": selectors.station_staff(station),
        "can_edit": scope.admin_can_manage_region(request.user, code),
    }
    return render(request, "regions/station_detail.html", context)


@login_required
def station_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Set up a region's station, or change its details (district administrators)."""
    region = get_object_or_404(Region, code=code)
    if not scope.admin_can_manage_region(request.user, code):
        raise Http404
    station = Station.objects.filter(region=region).first()
    if station is None:
        station = Station(region=region, name=services.station_name(region), rooms=[])
    form = StationForm(request.POST or None, instance=station)
    if request.method == "POST" and form.is_valid():
        try:
            services.station_save(
                by=request.user,
                region=region,
                version=form.cleaned_data["version"],
                data=form.station_data(),
            )
        except services.StaleStation as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Station saved."))
            return redirect("regions:station", code=code)
    return render(request, "regions/station_form.html", {"form": form, "region": region})
