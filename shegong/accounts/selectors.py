from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from shegong.regions.models import under_prefix

from . import scope
from .models import Membership, User


def users_for_admin(*, fetched_by: Any, q: str = "") -> QuerySet[User]:
    """Users an admin manages: those with a membership in the admin's area, or none at all."""
    prefixes = scope.scope_for(fetched_by).admin_prefixes
    if not prefixes:
        return User.objects.none()
    inside = Q()
    for prefix in prefixes:
        inside |= under_prefix("region__code", prefix)
    in_area = Membership.objects.filter(inside, user=OuterRef("pk"))
    any_membership = Membership.objects.filter(user=OuterRef("pk"))
    # Superusers are the operators' accounts: resetting one would hand over the whole system.
    queryset = User.objects.filter(Exists(in_area) | ~Exists(any_membership)).exclude(
        is_superuser=True
    )
    if q:
        queryset = queryset.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return queryset.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("region"))
    ).order_by("username")


def get_user_for_admin(*, fetched_by: Any, pk: int) -> User:
    user = users_for_admin(fetched_by=fetched_by).filter(pk=pk).first()
    if user is None:
        raise Http404
    return user
