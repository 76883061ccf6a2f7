"""Custody warnings reach the civil-affairs bureau: each district admin of the institution's
district is told once per warning (an in-app notification), the morning after it arises and at
once for a closure or a large movement."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from shegong.accounts.models import Membership, Role, User
from shegong.casework.services import notify

from . import selectors
from .models import CustodyAccount, Institution


def bureau_users(institution: Institution) -> list[User]:
    """Active district admins of the district the institution is in."""
    district = institution.region_id[:6] + "000000"
    memberships = Membership.objects.filter(
        is_active=True,
        user__is_active=True,
        role=Role.DISTRICT_ADMIN,
        region__code=district,
    ).select_related("user")
    return sorted({m.user_id: m.user for m in memberships}.values(), key=lambda u: u.pk)


def tell_bureau(account: CustodyAccount) -> int:
    """Notify the bureau of the account's warnings (each once); returns how many warnings."""
    institution = Institution.objects.select_related("region").get(pk=account.institution_id)
    users = bureau_users(institution)
    url = reverse("institutions:detail", args=[institution.pk]) + "#custody"
    with translation.override(settings.LANGUAGE_CODE):
        found = selectors.custody_summary(account)["warnings"]
        for warning in found:
            # The entry or contract names the warning; a balance or closure warning is one per
            # institution (and day, for the reserve: it can come back after being put right).
            subject = warning["entry_id"] or warning["contract_number"] or ""
            key = f"custody:{institution.pk}:{warning['code']}:{subject}"
            for user in users:
                notify(user, key=key, title=f"{institution.name}: {warning['message']}", url=url)
    return len(found)


def tell_bureau_later(institution_id: int) -> None:
    """After the current transaction commits (a closure, a large movement)."""

    def run() -> None:
        account = CustodyAccount.objects.filter(institution_id=institution_id).first()
        if account is not None:
            tell_bureau(account)

    transaction.on_commit(run)


def tell_bureau_all() -> int:
    return sum(tell_bureau(account) for account in CustodyAccount.objects.all())
