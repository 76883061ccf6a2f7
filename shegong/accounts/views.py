from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from shegong import exports

from . import scope, selectors, services
from .forms import MembershipForm, TokenForm, UserCreateForm


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_required
def otp(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP authenticator (first time) or enter the current code."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="shegong", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is wrong or has expired. Try the current code."))
    context = {"form": form, "enrolling": enrolling, "next": _next_url(request)}
    if enrolling:
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = device.config_url.split("secret=")[1].split("&")[0]
    return render(request, "accounts/otp.html", context)


def _admin_only(request: HttpRequest) -> None:
    if not scope.is_admin(request.user):
        raise Http404


def _user_columns() -> list[exports.Column]:
    def roles(user) -> str:
        return "\n".join(
            f"{m.get_role_display()} · {m.region.name}"
            + ("" if m.is_active else " (" + _("inactive") + ")")
            for m in user.memberships.all()
        )

    return [
        exports.Column(_("user name"), lambda u: u.username, width=16),
        exports.Column(_("full name"), lambda u: u.full_name, width=12),
        exports.Column(_("roles"), roles, width=36),
        exports.Column(_("status"), lambda u: _("active") if u.is_active else _("deactivated")),
        exports.Column(_("last login"), lambda u: u.last_login, width=17),
        exports.Column(_("date joined"), lambda u: u.date_joined, width=17),
    ]


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    q = request.GET.get("q", "").strip()
    users = selectors.users_for_admin(fetched_by=request.user, q=q)
    if exports.requested(request):
        return exports.xlsx_response(request, title=_("Users"), rows=users, columns=_user_columns())
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"users": page, "page": page, "q": q})


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    prefixes = scope.scope_for(request.user).admin_prefixes
    form = UserCreateForm(request.POST or None, prefixes=prefixes)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    user = selectors.get_user_for_admin(fetched_by=request.user, pk=pk)
    prefixes = scope.scope_for(request.user).admin_prefixes
    context = {
        "managed": user,
        "membership_form": MembershipForm(prefixes=prefixes),
        "new_password": request.session.pop("new_password", None),
    }
    return render(request, "accounts/user_detail.html", context)


@login_required
@require_POST
def membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    user = selectors.get_user_for_admin(fetched_by=request.user, pk=pk)
    prefixes = scope.scope_for(request.user).admin_prefixes
    form = MembershipForm(request.POST, prefixes=prefixes)
    if form.is_valid():
        try:
            services.membership_add(by=request.user, user=user, **form.cleaned_data)
            messages.success(request, _("Membership added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a role and a region."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int, membership_id: int) -> HttpResponse:
    _admin_only(request)
    user = selectors.get_user_for_admin(fetched_by=request.user, pk=pk)
    if not user.memberships.filter(pk=membership_id).exists():
        raise Http404
    services.membership_remove(by=request.user, membership_id=membership_id)
    messages.success(request, _("Membership removed."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_toggle_active(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    user = selectors.get_user_for_admin(fetched_by=request.user, pk=pk)
    try:
        services.user_set_active(by=request.user, user=user, active=not user.is_active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if user.is_active:
            messages.success(request, _("Account activated."))
        else:
            messages.success(request, _("Account deactivated."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    _admin_only(request)
    user = selectors.get_user_for_admin(fetched_by=request.user, pk=pk)
    request.session["new_password"] = services.user_reset_password(by=request.user, user=user)
    return redirect("accounts:user_detail", pk=user.pk)
