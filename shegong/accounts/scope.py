"""The scope gate: the only place that decides what a user may see or change.

A membership's scope is a region-code prefix (district = 6 digits, township = 9, village = 12).
Models that hold personal data declare ``SCOPE_REGION_FIELD``, the lookup path to the 12-digit
region code of the record (``"region__code"`` for a person, ``"person__region__code"`` for a
relation; Django reads the code from the foreign-key column without a join).
Every list, detail, export and API handler for such a model filters through :func:`visible` or
fetches through :func:`get_visible_or_404`. Out-of-scope objects answer 404, never 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from shegong.regions.models import under_prefix

from .models import Membership, Role

M = TypeVar("M", bound=models.Model)

# Roles that work with the people registry inside their region.
REGISTRY_READ_ROLES = frozenset(
    {
        Role.DISTRICT_ADMIN,
        Role.CENTER_WORKER,
        Role.TOWNSHIP_SUPERVISOR,
        Role.TOWNSHIP_WORKER,
        Role.VILLAGE_DIRECTOR,
        Role.VILLAGE_ASSISTANT,
    }
)
REGISTRY_WRITE_ROLES = REGISTRY_READ_ROLES
# Roles that may reveal a masked ID number or phone (every reveal is logged).
REVEAL_ROLES = REGISTRY_READ_ROLES
ADMIN_ROLES = frozenset({Role.DISTRICT_ADMIN})
# Roles that see aggregates (dashboards, coverage) but never personal data.
AGGREGATE_ROLES = REGISTRY_READ_ROLES | {Role.VIEWER}


# Programmes whose records only their own workers see (the justice-involved minors): a
# membership in one of these roles counts for such a programme only when it names it.
CLOSED_PROGRAMMES = frozenset({"juvenile"})
PROGRAMME_ROLES = frozenset(
    {
        Role.DISTRICT_ADMIN,
        Role.CENTER_WORKER,
        Role.TOWNSHIP_SUPERVISOR,
        Role.TOWNSHIP_WORKER,
    }
)


@dataclass(frozen=True)
class Scope:
    """What one user may reach, computed once per request from their active memberships."""

    read_prefixes: tuple[str, ...]
    write_prefixes: tuple[str, ...]
    roles: frozenset[str]
    admin_prefixes: tuple[str, ...]
    # Closed programme → the region prefixes where the user works in it.
    programme_prefixes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def programme(self, name: str) -> tuple[str, ...]:
        return dict(self.programme_prefixes).get(name, ())

    def covers(self, code: str, *, write: bool = False) -> bool:
        prefixes = self.write_prefixes if write else self.read_prefixes
        return any(code.startswith(p) for p in prefixes)


EMPTY_SCOPE = Scope((), (), frozenset(), ())


def _minimal(prefixes: set[str]) -> tuple[str, ...]:
    """Drop prefixes already covered by a shorter one (a district covers its villages)."""
    kept: list[str] = []
    for prefix in sorted(prefixes, key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return tuple(sorted(kept))


def scope_for(user: Any) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_shegong_scope", None)
    if cached is not None:
        return cached
    read: set[str] = set()
    write: set[str] = set()
    admin: set[str] = set()
    roles: set[str] = set()
    programmes: dict[str, set[str]] = {}
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("region")
    for membership in memberships:
        roles.add(membership.role)
        prefix = membership.region.prefix
        if membership.role in PROGRAMME_ROLES:
            for name in set(membership.programmes or ()) & CLOSED_PROGRAMMES:
                programmes.setdefault(name, set()).add(prefix)
        if membership.role in REGISTRY_READ_ROLES:
            read.add(prefix)
        if membership.role in REGISTRY_WRITE_ROLES:
            write.add(prefix)
        if membership.role in ADMIN_ROLES:
            admin.add(prefix)
    scope = Scope(
        _minimal(read),
        _minimal(write),
        frozenset(roles),
        _minimal(admin),
        tuple(sorted((name, _minimal(found)) for name, found in programmes.items())),
    )
    user._shegong_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    """Call after changing a user's memberships within the same request."""
    if hasattr(user, "_shegong_scope"):
        del user._shegong_scope


def _prefix_q(field: str, prefixes: tuple[str, ...]) -> Q:
    q = Q()
    for prefix in prefixes:
        q |= under_prefix(field, prefix)
    return q


# Counsellors see what is assigned to them, wherever it is. The programme that knows what
# "assigned" means (casework) registers, per model, a Q for a user; this module stays below it.
ASSIGNED_Q: dict[type, Callable[[Any], Q]] = {}
ASSIGNMENT_ROLES = frozenset({Role.COUNSELOR})


def register_assigned(model: type, q_for_user: Callable[[Any], Q]) -> None:
    ASSIGNED_Q[model] = q_for_user


# Partner agencies (the juvenile programme registers how to find a user's agencies): a liaison
# reads what their own agency referred, never writes through the gate.
PARTNER_AGENCIES: list[Callable[[Any], list[int]]] = []


def register_partner_agencies(agencies_of: Callable[[Any], list[int]]) -> None:
    if agencies_of not in PARTNER_AGENCIES:
        PARTNER_AGENCIES.append(agencies_of)


def partner_agencies(user: Any) -> list[int]:
    if Role.AGENCY_LIAISON not in scope_for(user).roles:
        return []
    return sorted({pk for agencies_of in PARTNER_AGENCIES for pk in agencies_of(user)})


# Members of an organisation (an elderly-care institution's operators, a custodian bank's
# officers) reach that organisation's records wherever they are, and nothing else. The app that
# knows the organisations registers, per model and role, the lookup path from the model to the
# user (``"operators"``, ``"account__bank__officers"`` …); ``writes`` says whether the role may
# also change those records through the gate.
ORG_ROLES = frozenset({Role.INSTITUTION_OPERATOR, Role.BANK_OFFICER})
# Roles that reach registered records through their own membership (organisation members, and a
# volunteer their own record, tasks and hours).
REACH_ROLES = ORG_ROLES | {Role.VOLUNTEER}
ORG_ACCESS: dict[tuple[type, str], tuple[str, bool]] = {}


def register_org_access(model: type, role: str, path: str, *, writes: bool = False) -> None:
    ORG_ACCESS[(model, role)] = (path, writes)


def _org_condition(model: type, user: Any, roles: frozenset[str], write: bool) -> Q | None:
    condition = None
    for role in roles & REACH_ROLES:
        found = ORG_ACCESS.get((model, role))
        if found is None or (write and not found[1]):
            continue
        # A subquery, not a join: a join over a many-to-many would repeat rows when OR-ed with
        # the region rule of a user who also holds a registry role.
        q = Q(pk__in=model.objects.filter(**{found[0]: user}).values("pk"))
        condition = q if condition is None else condition | q
    return condition


def is_volunteer(user: Any) -> bool:
    return Role.VOLUNTEER in scope_for(user).roles


def works_for_organisation(user: Any) -> bool:
    """An institution operator or a bank officer (whatever the organisation lets them reach)."""
    return bool(scope_for(user).roles & ORG_ROLES)


def _closed_programme(queryset: QuerySet[M], user: Any, write: bool) -> QuerySet[M]:
    """A closed programme's records: its own workers in their area, and (reading) the liaisons
    of the agency the record came from. Nobody else, whatever their role."""
    model = queryset.model
    condition = _prefix_q(
        model.SCOPE_REGION_FIELD, scope_for(user).programme(model.SCOPE_PROGRAMME)
    )
    agency_field = getattr(model, "SCOPE_AGENCY_FIELD", None)
    if not write and agency_field:
        agencies = partner_agencies(user)
        if agencies:
            condition |= Q(**{f"{agency_field}__in": agencies})
    if not condition:
        return queryset.none()
    return queryset.filter(condition)


def works_in_programme(user: Any, programme: str, code: str = "") -> bool:
    """Whether the user works in a closed programme (in the area of ``code`` if given)."""
    prefixes = scope_for(user).programme(programme)
    return any(code.startswith(p) for p in prefixes) if code else bool(prefixes)


def visible(queryset: QuerySet[M], user: Any, *, write: bool = False) -> QuerySet[M]:
    """Restrict a queryset of a scoped model to what ``user`` may read (or write)."""
    field = getattr(queryset.model, "SCOPE_REGION_FIELD", None)
    if field is None:
        raise TypeError(f"{queryset.model.__name__} does not declare SCOPE_REGION_FIELD")
    if getattr(queryset.model, "SCOPE_PROGRAMME", None) in CLOSED_PROGRAMMES:
        return _closed_programme(queryset, user, write)
    scope = scope_for(user)
    prefixes = scope.write_prefixes if write else scope.read_prefixes
    condition = _prefix_q(field, prefixes) if prefixes else None
    assigned = ASSIGNED_Q.get(queryset.model)
    if assigned is not None and scope.roles & ASSIGNMENT_ROLES:
        condition = assigned(user) if condition is None else condition | assigned(user)
    org = _org_condition(queryset.model, user, scope.roles, write)
    if org is not None:
        condition = org if condition is None else condition | org
    programme_field = getattr(queryset.model, "SCOPE_PROGRAMME_FIELD", None)
    if programme_field:
        condition = _closed_rows(condition, field, programme_field, scope)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def _closed_rows(condition: Q | None, field: str, programme_field: str, scope: Scope) -> Q | None:
    """For a model whose rows each belong to a programme (cases, visits): the rows of a closed
    programme only for that programme's own workers in their area (as :func:`_closed_programme`),
    whatever else the user's roles or assignments would show them."""
    closed = Q(**{f"{programme_field}__in": sorted(CLOSED_PROGRAMMES)})
    found = condition & ~closed if condition is not None else None
    for programme in sorted(CLOSED_PROGRAMMES):
        prefixes = scope.programme(programme)
        if prefixes:
            own = Q(**{programme_field: programme}) & _prefix_q(field, prefixes)
            found = own if found is None else found | own
    return found


def sees_assigned_work(user: Any) -> bool:
    return bool(scope_for(user).roles & ASSIGNMENT_ROLES)


def get_visible_or_404(queryset: QuerySet[M], user: Any, *, write: bool = False, **lookup) -> M:
    """The one access helper: the object if in scope, else 404 (same answer as missing)."""
    try:
        return visible(queryset, user, write=write).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def can_read_registry(user: Any) -> bool:
    return bool(scope_for(user).read_prefixes)


def require_registry_reader(user: Any) -> None:
    """Volunteers, viewers and partners never reach a person's file: the same 404 as missing."""
    if not can_read_registry(user):
        raise Http404


def can_write_region(user: Any, code: str) -> bool:
    return scope_for(user).covers(code, write=True)


def can_reveal(user: Any) -> bool:
    return bool(scope_for(user).roles & REVEAL_ROLES)


def is_admin(user: Any) -> bool:
    return bool(scope_for(user).admin_prefixes)


def can_see_aggregates(user: Any) -> bool:
    return bool(scope_for(user).roles & AGGREGATE_ROLES)


def admin_can_manage_region(user: Any, code: str) -> bool:
    return any(code.startswith(p) for p in scope_for(user).admin_prefixes)


def requires_second_factor(user: Any) -> bool:
    """District administrators must use TOTP, except seeded demo accounts in demo mode."""
    from django.conf import settings

    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_demo_account and settings.DEMO_MODE:
        return False
    return Role.DISTRICT_ADMIN in scope_for(user).roles or user.is_superuser
