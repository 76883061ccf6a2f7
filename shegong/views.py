from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shegong.accounts import scope
from shegong.ops import health


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if scope.can_see_aggregates(request.user):
        # Registry staff and viewers start from the figures of their area.
        return redirect("dashboard:home")
    if scope.partner_agencies(request.user):
        # A partner agency's liaison works with their agency's referrals.
        return redirect("juvenile:referrals")
    return render(request, "home.html")


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the job queue, Redis and the consumers' heartbeat are fine, else 503.

    The checks live in shegong/ops/health.py; the heartbeat rules in shegong/ops/heartbeat.py.
    """
    report = health.run_checks()
    return JsonResponse(
        {"status": "ok" if report.healthy else "error", **report.checks},
        status=200 if report.healthy else 503,
    )
