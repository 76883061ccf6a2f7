"""Writes to the resource libraries: organisations, their incubation, professionals.

Each write is one transaction, checks the writer's area through the scope gate
(``can_write_region`` on the entry's own region, see :mod:`.libraries`), and is recorded by
django-auditlog with the acting user. An edit carries the ``version`` the form showed: when the
stored row has moved on, nothing is changed and the error names what was changed by someone
else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from shegong.accounts import scope

from . import libraries
from .models import (
    Incubation,
    IncubationStage,
    Milestone,
    Organisation,
    OrganisationKind,
    Professional,
)

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "credit_code",
    "contact_name",
    "contact_phone",
    "services",
    "service_area",
    "region",
    "status",
    "joined_on",
)
PROFESSIONAL_FIELDS = (
    "name",
    "profession",
    "qualification",
    "organisation",
    "skills",
    "availability",
    "phone",
    "region",
    "is_active",
)
# The stages an incubation moves between by an edit; graduation has its own service.
WORKING_STAGES = (IncubationStage.SEED, IncubationStage.STARTUP, IncubationStage.GROWING)


def stale(entry: Any) -> ValidationError:
    return ValidationError(
        _(
            "Someone else changed %(entry)s while you were editing it. Nothing was saved: "
            "reload the page to see their change, then make yours again."
        )
        % {"entry": entry},
        code="stale",
    )


def _unknown(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


def _not_in_future(errors: dict[str, list[str]], field: str, value: dt.date | None) -> None:
    if value is not None and value > timezone.localdate():
        errors.setdefault(field, []).append(_("This date is in the future."))


def _check_region(errors: dict[str, list[str]], by: Any, entry: Any) -> None:
    if entry.region_id and not scope.can_write_region(by, entry.region_id):
        errors.setdefault("region", []).append(_("Choose a region in your area."))


def _full_clean(entry: Any, errors: dict[str, list[str]]) -> None:
    try:
        entry.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _check_organisation(organisation: Organisation, by: Any, *, region_changed: bool) -> None:
    errors: dict[str, list[str]] = {}
    organisation.name = organisation.name.strip()
    if organisation.credit_code:
        organisation.credit_code = uscc.compact(organisation.credit_code)
        if not uscc.is_valid(organisation.credit_code):
            errors["credit_code"] = [
                _("Enter a valid unified social credit code (18 characters with a check digit).")
            ]
    if region_changed:
        _check_region(errors, by, organisation)
    _not_in_future(errors, "joined_on", organisation.joined_on)
    if organisation.name and organisation.region_id:
        # One library per district: the same name twice is the same organisation typed again.
        twin = Organisation.objects.filter(
            name=organisation.name,
            region__code__startswith=organisation.region_id[: libraries.DISTRICT_DIGITS],
        ).exclude(pk=organisation.pk)
        if twin.exists():
            errors.setdefault("name", []).append(
                _("An organisation of this name is already in the library.")
            )
    incubated = (
        organisation.pk and Incubation.objects.filter(organisation_id=organisation.pk).exists()
    )
    if incubated and organisation.kind != OrganisationKind.COMMUNITY:
        errors.setdefault("kind", []).append(
            _("It has an incubation record: it stays a community social organisation.")
        )
    _full_clean(organisation, errors)


def organisation_create(*, by: Any, **fields: Any) -> Organisation:
    """Add an organisation to the library, in a region of the writer's area."""
    _unknown(fields, ORGANISATION_FIELDS)
    if not libraries.may_add(by):
        raise Http404
    with transaction.atomic(), set_actor(by):
        organisation = Organisation(**fields)
        _check_organisation(organisation, by, region_changed=True)
        organisation.save()
    return organisation


def organisation_update(
    *, by: Any, organisation_id: int, version: int, **changes: Any
) -> Organisation:
    """Change an organisation the writer's area covers; ``version`` is what the form showed."""
    _unknown(changes, ORGANISATION_FIELDS)
    with transaction.atomic(), set_actor(by):
        locked = libraries.get_organisation_for_user(by, organisation_id, write=True)
        locked = Organisation.objects.select_for_update().get(pk=locked.pk)
        if locked.version != version:
            raise stale(locked)
        region_before = locked.region_id
        for field, value in changes.items():
            setattr(locked, field, value)
        _check_organisation(locked, by, region_changed=locked.region_id != region_before)
        locked.version += 1
        locked.save()
    return locked


# Incubation ----------------------------------------------------------------------------------


def _incubation_dates(
    errors: dict[str, list[str]], field: str, value: dt.date | None, incubation: Incubation
) -> None:
    _not_in_future(errors, field, value)
    if value is not None and value < incubation.started_on:
        errors.setdefault(field, []).append(_("This date is before the incubation started."))


def incubation_start(
    *, by: Any, organisation: Organisation, started_on: dt.date, mentor: str = ""
) -> Incubation:
    """Open the incubation record of a community social organisation (at the seed stage)."""
    with transaction.atomic(), set_actor(by):
        locked = libraries.get_organisation_for_user(by, organisation.pk, write=True)
        locked = Organisation.objects.select_for_update().get(pk=locked.pk)
        if locked.kind != OrganisationKind.COMMUNITY:
            raise ValidationError(_("Only community social organisations are incubated."))
        if Incubation.objects.filter(organisation=locked).exists():
            raise ValidationError(_("This organisation already has an incubation record."))
        errors: dict[str, list[str]] = {}
        if started_on is None:
            errors["started_on"] = [_("Enter the date the incubation started.")]
        _not_in_future(errors, "started_on", started_on)
        if errors:
            raise ValidationError(errors)
        incubation = Incubation(organisation=locked, started_on=started_on, mentor=mentor.strip())
        incubation.full_clean()
        incubation.save()
    return incubation


def _lock_incubation(by: Any, organisation: Organisation, version: int | None) -> Incubation:
    locked = libraries.get_organisation_for_user(by, organisation.pk, write=True)
    incubation = (
        Incubation.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(organisation=locked)
        .first()
    )
    if incubation is None:
        raise Http404
    if version is not None and incubation.version != version:
        raise stale(incubation)
    return incubation


def incubation_update(
    *, by: Any, organisation: Organisation, version: int, stage: str, mentor: str
) -> Incubation:
    """Move between seed, start-up and growing, or change the mentor. A graduated organisation
    stays graduated."""
    with transaction.atomic(), set_actor(by):
        incubation = _lock_incubation(by, organisation, version)
        if incubation.stage == IncubationStage.GRADUATED and stage != IncubationStage.GRADUATED:
            raise ValidationError(
                {"stage": [_("This organisation has graduated: its stage cannot go back.")]}
            )
        if incubation.stage != IncubationStage.GRADUATED and stage not in WORKING_STAGES:
            raise ValidationError({"stage": [_("Choose seed, start-up or growing.")]})
        incubation.stage = stage
        incubation.mentor = mentor.strip()
        incubation.full_clean()
        incubation.version += 1
        incubation.save()
    return incubation


def incubation_graduate(
    *, by: Any, organisation: Organisation, version: int, graduated_on: dt.date
) -> Incubation:
    """The organisation leaves the incubator, for good: the stage is graduated from now on."""
    with transaction.atomic(), set_actor(by):
        incubation = _lock_incubation(by, organisation, version)
        if incubation.stage == IncubationStage.GRADUATED:
            raise ValidationError(_("This organisation has already graduated."))
        errors: dict[str, list[str]] = {}
        if graduated_on is None:
            errors["graduated_on"] = [_("Enter the graduation date.")]
        _incubation_dates(errors, "graduated_on", graduated_on, incubation)
        if errors:
            raise ValidationError(errors)
        incubation.stage = IncubationStage.GRADUATED
        incubation.graduated_on = graduated_on
        incubation.version += 1
        incubation.save()
    return incubation


def milestone_add(
    *, by: Any, organisation: Organisation, reached_on: dt.date, title: str, note: str = ""
) -> Milestone:
    with transaction.atomic(), set_actor(by):
        incubation = _lock_incubation(by, organisation, None)
        errors: dict[str, list[str]] = {}
        if not title.strip():
            errors["title"] = [_("Say what was reached.")]
        if reached_on is None:
            errors["reached_on"] = [_("Enter the date.")]
        _incubation_dates(errors, "reached_on", reached_on, incubation)
        if errors:
            raise ValidationError(errors)
        milestone = Milestone(
            incubation=incubation, reached_on=reached_on, title=title.strip(), note=note.strip()
        )
        milestone.full_clean()
        milestone.save()
    return milestone


# Professionals -------------------------------------------------------------------------------


def _check_professional(
    professional: Professional, by: Any, *, region_changed: bool, organisation_changed: bool
) -> None:
    errors: dict[str, list[str]] = {}
    professional.name = professional.name.strip()
    if region_changed:
        _check_region(errors, by, professional)
    if (
        organisation_changed
        and professional.organisation_id
        and not libraries.organisation_library(by).filter(pk=professional.organisation_id).exists()
    ):
        errors["organisation"] = [_("Choose an organisation from the library.")]
    _full_clean(professional, errors)


def professional_create(*, by: Any, **fields: Any) -> Professional:
    _unknown(fields, PROFESSIONAL_FIELDS)
    if not libraries.may_add(by):
        raise Http404
    with transaction.atomic(), set_actor(by):
        professional = Professional(**fields)
        _check_professional(professional, by, region_changed=True, organisation_changed=True)
        professional.save()
    return professional


def professional_update(
    *, by: Any, professional_id: int, version: int, **changes: Any
) -> Professional:
    _unknown(changes, PROFESSIONAL_FIELDS)
    with transaction.atomic(), set_actor(by):
        locked = libraries.get_professional_for_user(by, professional_id, write=True)
        locked = Professional.objects.select_for_update().get(pk=locked.pk)
        if locked.version != version:
            raise stale(locked)
        region_before, organisation_before = locked.region_id, locked.organisation_id
        for field, value in changes.items():
            setattr(locked, field, value)
        _check_professional(
            locked,
            by,
            region_changed=locked.region_id != region_before,
            organisation_changed=locked.organisation_id != organisation_before,
        )
        locked.version += 1
        locked.save()
    return locked
