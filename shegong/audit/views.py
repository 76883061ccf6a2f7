from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shegong.accounts import scope
from shegong.accounts.models import User

from . import selectors


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, 50).get_page(request.GET.get("page"))


def _context(request: HttpRequest, filters: dict) -> dict:
    return {
        "filters": filters,
        "params": request.GET,
        "users": User.objects.order_by("username").only("id", "username", "full_name"),
    }


@login_required
def changes(request: HttpRequest) -> HttpResponse:
    if not scope.is_admin(request.user):
        raise Http404
    filters = selectors.parse_filters(request.GET)
    context = _context(request, filters)
    context["page"] = _page(request, selectors.change_log(**filters))
    return render(request, "audit/changes.html", context)


@login_required
def access(request: HttpRequest) -> HttpResponse:
    if not scope.is_admin(request.user):
        raise Http404
    filters = selectors.parse_filters(request.GET)
    context = _context(request, filters)
    context["page"] = _page(request, selectors.access_log(**filters))
    return render(request, "audit/access.html", context)
