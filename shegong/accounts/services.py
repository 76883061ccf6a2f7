"""Writes to users, memberships and API tokens. Only district admins manage users."""

from __future__ import annotations

import secrets
import string
from typing import Any

from auditlog.context import set_actor
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from shegong.regions.models import Region

from . import scope
from .models import ApiToken, Membership, Role, User


def _require_admin_over(by: Any, region_code: str) -> None:
    if not scope.admin_can_manage_region(by, region_code):
        raise Http404


def generate_password() -> str:
    """A random password that satisfies the password rules (shown once to the admin)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        core = "".join(secrets.choice(alphabet) for _ in range(12))
        candidate = core + secrets.choice("#%+=@") + secrets.choice(string.digits)
        if any(c.islower() for c in core) and any(c.isupper() for c in core):
            return candidate


def user_create(
    *,
    by: Any,
    username: str,
    full_name: str,
    password: str,
    role: str,
    region_code: str,
    phone: str = "",
    organisation: str = "",
) -> User:
    _require_admin_over(by, region_code)
    errors: dict[str, list[str]] = {}
    if User.objects.filter(username=username).exists():
        errors["username"] = [_("This user name is taken.")]
    candidate = User(username=username, full_name=full_name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        user = User(username=username, full_name=full_name, phone=phone)
        user.set_password(password)
        user.save()
        membership_add(
            by=by, user=user, role=role, region_code=region_code, organisation=organisation
        )
    return user


def membership_add(
    *, by: Any, user: User, role: str, region_code: str, organisation: str = ""
) -> Membership:
    _require_admin_over(by, region_code)
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError({"region_code": [_("Unknown region.")]})
    with transaction.atomic(), set_actor(by):
        membership, created = Membership.objects.get_or_create(
            user=user,
            role=role,
            region=region,
            defaults={"organisation": organisation},
        )
        if not created and not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
    scope.forget_scope(user)
    return membership


def membership_remove(*, by: Any, membership_id: int) -> None:
    membership = Membership.objects.select_related("region").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    _require_admin_over(by, membership.region_id)
    with transaction.atomic(), set_actor(by):
        membership.delete()


def user_set_active(*, by: Any, user: User, active: bool) -> User:
    if user.pk == by.pk and not active:
        raise ValidationError({"is_active": [_("You cannot deactivate your own account.")]})
    with transaction.atomic(), set_actor(by):
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user


def user_reset_password(*, by: Any, user: User) -> str:
    """Set a new random password and return it, to be handed over in person."""
    password = generate_password()
    with transaction.atomic(), set_actor(by):
        user.set_password(password)
        user.save(update_fields=["password"])
    return password


def api_token_create(*, user: User, name: str = "") -> str:
    """Create a token and return its plaintext; only the hash is kept."""
    key = ApiToken.generate_key()
    ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash(key))
    return key
