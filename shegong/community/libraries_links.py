"""Resource links: what an organisation or a professional of the library gave to whom (a person,
a case, a service order or an activity). These rows are what "linked resources" counts.

A link is personal data when it names a person, so it lives in the region of whom it went to
(the person's village; a case's or a service order's person's village; the organising station
of an activity) and every read goes through ``scope.visible``. The recipient is fetched through
the scope gate for writing: someone outside the writer's area is a 404, like a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.casework.models import Case
from shegong.casework.selectors import get_case_for_user
from shegong.elderly.models import ServiceOrder
from shegong.elderly.selectors import get_order_for_user
from shegong.people.models import Person
from shegong.people.selectors import get_person_for_user
from shegong.regions.models import under_prefix

from . import libraries
from .models import Activity, ActivityStatus, LinkKind, Organisation, Professional, ResourceLink

RECIPIENT_KINDS = ("person", "case", "order", "activity")


@dataclass
class Recipient:
    """Whom a link goes to: exactly one of the four, and the region the link takes from it."""

    person: Person | None = None
    case: Case | None = None
    service_order: ServiceOrder | None = None
    activity: Activity | None = None

    @property
    def region_id(self) -> str:
        if self.person is not None:
            return self.person.region_id
        if self.case is not None:
            return self.case.person.region_id
        if self.service_order is not None:
            return self.service_order.person.region_id
        return self.activity.region_id

    @property
    def kind(self) -> str:
        return next(k for k in RECIPIENT_KINDS if self._field(k) is not None)

    @property
    def target(self) -> Any:
        return self._field(self.kind)

    def _field(self, kind: str) -> Any:
        return getattr(self, "service_order" if kind == "order" else kind)

    def as_fields(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "case": self.case,
            "service_order": self.service_order,
            "activity": self.activity,
        }


def get_recipient_for_user(user: Any, kind: str, pk: int) -> Recipient:
    """The recipient ``kind`` (person, case, order, activity) ``pk``, if the user may record a
    link for it (write access through the scope gate); 404 otherwise."""
    if not scope.can_read_registry(user):
        raise Http404
    if kind == "person":
        return Recipient(person=get_person_for_user(user, pk, write=True))
    if kind == "case":
        return Recipient(case=get_case_for_user(user, pk, write=True))
    if kind == "order":
        return Recipient(service_order=get_order_for_user(user, pk, write=True))
    if kind == "activity":
        activity = scope.get_visible_or_404(
            Activity.objects.select_related("region"), user, write=True, pk=pk
        )
        return Recipient(activity=activity)
    raise Http404


def link_create(
    *,
    by: Any,
    recipient: Recipient,
    organisation: Organisation | None,
    professional: Professional | None,
    kind: str,
    description: str,
    quantity: Decimal,
    unit: str = "",
    value: Decimal = Decimal(0),
    given_on: dt.date,
) -> ResourceLink:
    """Record what a resource gave; the link's region is the recipient's (see the module)."""
    with transaction.atomic(), set_actor(by):
        # The recipient again through the gate, whatever the caller fetched it with.
        recipient = get_recipient_for_user(by, recipient.kind, recipient.target.pk)
        errors: dict[str, list[str]] = {}
        if organisation is None and professional is None:
            errors["organisation"] = [_("Choose the organisation or the professional who gave.")]
        library = libraries.organisation_library(by)
        if organisation is not None and not library.filter(pk=organisation.pk).exists():
            errors["organisation"] = [_("Choose an organisation from the library.")]
        talent = libraries.professional_library(by)
        if professional is not None and not talent.filter(pk=professional.pk).exists():
            errors["professional"] = [_("Choose a professional from the library.")]
        if kind not in LinkKind.values:
            errors["kind"] = [_("Choose service, goods or money.")]
        if not description.strip():
            errors["description"] = [_("Say what was given.")]
        if quantity is None or quantity <= 0:
            errors["quantity"] = [_("The quantity must be more than 0.")]
        if value is None or value < 0:
            errors["value"] = [_("The value cannot be negative.")]
        if given_on is None:
            errors["given_on"] = [_("Enter the date.")]
        elif given_on > timezone.localdate():
            errors["given_on"] = [_("This date is in the future.")]
        activity = recipient.activity
        if activity is not None and activity.status == ActivityStatus.CANCELLED:
            errors["activity"] = [_("This activity was cancelled.")]
        if errors:
            raise ValidationError(errors)
        link = ResourceLink(
            organisation=organisation,
            professional=professional,
            **recipient.as_fields(),
            region_id=recipient.region_id,
            kind=kind,
            description=description.strip(),
            quantity=quantity,
            unit=unit.strip(),
            value=value,
            given_on=given_on,
            recorded_by=by,
        )
        link.full_clean(exclude=["recorded_by"])
        link.save()
    return link


@dataclass
class LinkFilters:
    organisation: int | None = None
    professional: int | None = None
    kind: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region: str = ""  # a township or village code prefix: links that went there


LINK_RELATED = (
    "organisation",
    "professional",
    "person",
    "case__person",
    "service_order__person",
    "activity",
    "region",
)


def link_list(*, fetched_by: Any, filters: LinkFilters) -> QuerySet[ResourceLink]:
    """The links the user may see (their area), newest first."""
    queryset = scope.visible(ResourceLink.objects.all(), fetched_by)
    if filters.organisation is not None:
        queryset = queryset.filter(organisation_id=filters.organisation)
    if filters.professional is not None:
        queryset = queryset.filter(professional_id=filters.professional)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.date_from:
        queryset = queryset.filter(given_on__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(given_on__lte=filters.date_to)
    if filters.region:
        queryset = queryset.filter(under_prefix("region__code", filters.region))
    return queryset.select_related(*LINK_RELATED).order_by("-given_on", "-pk")


def links_for(*, person: Person, fetched_by: Any) -> QuerySet[ResourceLink]:
    """What resources gave ``person``: to them, to their cases and to their service orders
    (activities they took part in are not counted as given to them). For a person page."""
    queryset = scope.visible(ResourceLink.objects.all(), fetched_by).filter(
        Q(person=person) | Q(case__person=person) | Q(service_order__person=person)
    )
    return queryset.select_related(*LINK_RELATED).order_by("-given_on", "-pk")


PANEL_ROWS = 10


def person_panel(request: Any, person: Person) -> dict | None:
    """The resources a person received, on their page (people.views.PERSON_PANELS)."""
    user = request.user
    links = links_for(person=person, fetched_by=user)
    return {
        "template": "community/_person_links_panel.html",
        "person": person,
        "links": links[:PANEL_ROWS],
        "count": links.count(),
        "can_link": scope.can_write_region(user, person.region_id),
    }
