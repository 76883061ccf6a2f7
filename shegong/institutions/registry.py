"""Writes to the institution registry: an institution's facts and its custody account.

Who changes what:

- Registry writers of the institution's region (district, township, village staff) register an
  institution, change its facts and set its custody account.
- The institution's operators change what they run day to day: beds, services and staffing.
  Never the status (closure has its own service), the region, the credit code or the account.

There is no version column on :class:`Institution`; an edit instead carries the values the form
showed (:func:`snapshot`), and a save is refused, with what changed, when the stored row no longer
has them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Role, User
from shegong.regions.models import Level, Region, under_prefix

from .models import Bank, CustodyAccount, Institution, Resident

# What the registry edits (status and the closure dates go through the closure service).
REGISTRY_FIELDS = (
    "name",
    "credit_code",
    "filing_number",
    "filed_on",
    "kind",
    "operator_name",
    "region",
    "address",
    "beds_total",
    "beds_nursing",
    "star_rating",
    "services",
    "care_workers",
    "medical_staff",
    "social_workers",
)
# What an operator keeps up to date: capacity, services and staffing. The star rating and the
# filing are awarded by the authorities, so they stay with the registry.
OPERATOR_FIELDS = (
    "beds_total",
    "beds_nursing",
    "services",
    "care_workers",
    "medical_staff",
    "social_workers",
)
REGION_LEVELS = (Level.TOWNSHIP, Level.VILLAGE)


def writes_registry(user: User, institution: Institution) -> bool:
    """A registry writer of the institution's region. Operators write their institution through
    the gate too, so the gate alone is not enough: whoever works for an organisation is not the
    registry."""
    return (
        not scope.works_for_organisation(user)
        and scope.visible(Institution.objects.filter(pk=institution.pk), user, write=True).exists()
    )


def may_register(user: User) -> bool:
    """Whether the user may register new institutions somewhere."""
    return not scope.works_for_organisation(user) and bool(scope.scope_for(user).write_prefixes)


def editable_fields(user: User, institution: Institution) -> tuple[str, ...]:
    if writes_registry(user, institution):
        return REGISTRY_FIELDS
    if scope.visible(Institution.objects.filter(pk=institution.pk), user, write=True).exists():
        return OPERATOR_FIELDS
    return ()


def regions_for(user: User) -> QuerySet[Region]:
    """Townships and villages where the user may register an institution."""
    if scope.works_for_organisation(user):
        return Region.objects.none()
    within = Q()
    for prefix in scope.scope_for(user).write_prefixes:
        within |= under_prefix("code", prefix)
    if not within:
        return Region.objects.none()
    return (
        Region.objects.filter(within, level__in=REGION_LEVELS)
        .select_related("parent")
        .order_by("code")
    )


def snapshot_value(value: Any) -> str:
    """One value as :func:`snapshot` writes it (a region by its code, a date in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, Region):
        return value.code
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def snapshot(institution: Institution, fields: tuple[str, ...]) -> dict[str, str]:
    """The values of ``fields`` as text, for the form to carry and the save to compare."""
    return {
        f: snapshot_value(institution.region_id if f == "region" else getattr(institution, f))
        for f in fields
    }


def _check(institution: Institution, by: User, *, region_changed: bool) -> None:
    """Rules beyond the field validators, each on its field; then the model's own checks (the
    credit code's check digit and uniqueness, the star rating)."""
    errors: dict[str, list[str]] = {}
    region = institution.region
    if region_changed and (
        region.level not in REGION_LEVELS or not scope.can_write_region(by, region.code)
    ):
        errors["region"] = [_("Choose a township or village in your area.")]
    if institution.beds_nursing > institution.beds_total:
        errors["beds_nursing"] = [_("Nursing beds are part of the beds and cannot exceed them.")]
    if institution.pk:
        living = Resident.objects.filter(
            institution=institution, discharged_on__isnull=True
        ).count()
        if institution.beds_total < living:
            errors["beds_total"] = [
                _("%(count)s residents live here now: there cannot be fewer beds.")
                % {"count": living}
            ]
    try:
        institution.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def institution_create(*, by: User, **fields: Any) -> Institution:
    """Register an institution; ``fields`` are among :data:`REGISTRY_FIELDS`."""
    unknown = set(fields) - set(REGISTRY_FIELDS)
    if unknown:
        raise TypeError(f"not registry fields: {sorted(unknown)}")
    if not may_register(by):
        raise PermissionDenied(_("Only the registry registers institutions."))
    with transaction.atomic(), set_actor(by):
        institution = Institution(**fields)
        _check(institution, by, region_changed=True)
        institution.save()
    return institution


def _describe(field: str, value: str) -> str:
    if field == "region":
        return str(Region.objects.filter(code=value).first() or value or "-")
    if field == "kind":
        choices = dict(Institution._meta.get_field("kind").choices)
        return str(choices.get(value, value))
    return value or "-"


def institution_update(
    *,
    by: User,
    institution: Institution,
    changes: dict[str, Any],
    loaded: dict[str, str] | None = None,
) -> Institution:
    """Change the facts in ``changes``, if the user may change each of them.

    ``loaded`` is what the user's form showed (:func:`snapshot`): when the stored values of those
    fields differ, someone else saved in between and nothing is changed; the error names each
    field with the value the form showed and the value now stored.
    """
    with transaction.atomic(), set_actor(by):
        locked = scope.get_visible_or_404(
            Institution.objects.select_for_update().select_related("region"),
            by,
            write=True,
            pk=institution.pk,
        )
        allowed = editable_fields(by, locked)
        refused = sorted(set(changes) - set(allowed))
        if refused:
            raise PermissionDenied(
                _("You may not change: %(fields)s.")
                % {
                    "fields": ", ".join(
                        str(Institution._meta.get_field(f).verbose_name) for f in refused
                    )
                }
            )
        if loaded:
            stored = snapshot(locked, tuple(f for f in loaded if f in REGISTRY_FIELDS))
            changed = [f for f, value in stored.items() if value != loaded[f]]
            if changed:
                raise ValidationError(
                    _(
                        "Someone else saved this institution while you were editing it: "
                        "%(changes)s. Your values are still in the form: check them and save "
                        "again."
                    )
                    % {
                        "changes": "; ".join(
                            _("%(field)s %(old)s → %(new)s")
                            % {
                                "field": Institution._meta.get_field(f).verbose_name,
                                "old": _describe(f, loaded[f]),
                                "new": _describe(f, stored[f]),
                            }
                            for f in changed
                        )
                    },
                    code="conflict",
                )
        region_before = locked.region_id
        for field, value in changes.items():
            setattr(locked, field, value)
        _check(locked, by, region_changed=locked.region_id != region_before)
        if changes:
            locked.save(update_fields=list(changes))
    return locked


def account_set(
    *,
    by: User,
    institution: Institution,
    bank: Bank | None,
    number: str,
    agreement_on: dt.date,
    reserve_ratio: Decimal,
    new_bank: str = "",
) -> CustodyAccount:
    """Open the institution's custody account or change it.

    Moving the account to another bank once money has gone through it is refused: the ledger
    would then describe an account the new bank never held (close it and open a new one instead).
    """
    if not writes_registry(by, institution):
        raise PermissionDenied(_("Only the registry sets an institution's custody account."))
    new_bank = new_bank.strip()
    if bank is None and not new_bank:
        raise ValidationError({"bank": [_("Choose the bank, or enter the name of a new one.")]})
    with transaction.atomic(), set_actor(by):
        if bank is None:
            # A bank typed again (same name) is the same bank, not a second one.
            bank, _created = Bank.objects.get_or_create(name=new_bank)
        # The institution's row serialises two people opening its first account at once.
        Institution.objects.select_for_update().filter(pk=institution.pk).first()
        account = CustodyAccount.objects.select_for_update().filter(institution=institution).first()
        if account is None:
            account = CustodyAccount(institution=institution)
        elif account.bank_id != bank.pk and account.entries.exists():
            raise ValidationError(
                {
                    "bank": [
                        _(
                            "The account at %(bank)s already has ledger entries: its bank cannot "
                            "change."
                        )
                        % {"bank": account.bank.name}
                    ]
                }
            )
        account.bank = bank
        account.number = number.strip()
        account.agreement_on = agreement_on
        account.reserve_ratio = reserve_ratio
        account.full_clean()
        account.save()
    return account


def occupancy(institution: Institution) -> dict[str, int | None]:
    """Residents living there now (not discharged) against the beds; percent is None without
    beds."""
    living = Resident.objects.filter(institution=institution, discharged_on__isnull=True).count()
    beds = institution.beds_total
    return {
        "residents": living,
        "beds": beds,
        "percent": round(living * 100 / beds) if beds else None,
    }


def _role_users(role: str) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, memberships__role=role, memberships__is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


def operator_candidates() -> QuerySet[User]:
    """Active accounts holding the institution-operator role (created on the users page)."""
    return _role_users(Role.INSTITUTION_OPERATOR)


def officer_candidates() -> QuerySet[User]:
    return _role_users(Role.BANK_OFFICER)


def members_set(
    *,
    by: User,
    institution: Institution,
    operators: list[User],
    officers: list[User] | None = None,
) -> None:
    """Who works for the institution (its operators) and, when it has a custody account, for
    the bank holding it (the bank's officers, for every account the bank holds). Only users
    holding the matching role may be named."""
    if not writes_registry(by, institution):
        raise PermissionDenied(_("Only the registry names an institution's operators."))
    errors: dict[str, list[str]] = {}
    allowed = set(operator_candidates().values_list("pk", flat=True))
    if any(user.pk not in allowed for user in operators):
        errors["operators"] = [_("Only accounts with the institution-operator role.")]
    account = CustodyAccount.objects.select_related("bank").filter(institution=institution).first()
    if officers is not None:
        if account is None:
            errors["officers"] = [_("Open the custody account first.")]
        elif any(
            user.pk not in set(officer_candidates().values_list("pk", flat=True))
            for user in officers
        ):
            errors["officers"] = [_("Only accounts with the bank-officer role.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), set_actor(by):
        institution.operators.set(operators)
        if officers is not None and account is not None:
            account.bank.officers.set(officers)
