"""Writes of the minors programme: child files, colour-card assessments, instruments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.accounts.models import Programme, Role
from shegong.audit.models import AccessAction
from shegong.audit.services import access_record
from shegong.casework import services as casework
from shegong.casework.models import Case, Stage, Visit
from shegong.people.models import Person

from . import scoring
from .default_instrument import DEFAULT_INSTRUMENT
from .models import (
    COLOUR_RANK,
    ChildProfile,
    Colour,
    Difficulty,
    Dimension,
    Instrument,
    InterventionRule,
    Item,
    Option,
    RiskAssessment,
)

DEFAULT_RULES = {
    Colour.RED: {
        "case_within_hours": 24,
        "case_recommended": True,
        "visit_every_days": 7,
        "reassess_every_days": 30,
        "supervisor_reviews_plan": True,
    },
    Colour.ORANGE: {
        "case_within_hours": None,
        "case_recommended": True,
        "visit_every_days": 14,
        "reassess_every_days": 91,
        "supervisor_reviews_plan": False,
    },
    Colour.BLUE: {
        "case_within_hours": None,
        "case_recommended": False,
        "visit_every_days": 30,
        "reassess_every_days": 182,
        "supervisor_reviews_plan": False,
    },
}


def rules_ensure() -> None:
    for colour, values in DEFAULT_RULES.items():
        InterventionRule.objects.get_or_create(colour=colour, defaults=values)


def rule_for(colour: str) -> InterventionRule:
    rule = InterventionRule.objects.filter(colour=colour).first()
    return rule or InterventionRule(colour=colour, **DEFAULT_RULES[colour])


def instrument_create_from(data: dict, *, version: int, by: Any = None) -> Instrument:
    """Build an instrument from the nested dict form (the shipped default uses it)."""
    keys = [item[0] for dim in data["dimensions"] for item in dim["items"]]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        # Answers are keyed by item: two items with one key would silently share an answer.
        raise ValidationError(
            _("Item keys must be unique in an instrument: %(keys)s") % {"keys": ", ".join(repeated)}
        )
    instrument = Instrument.objects.create(
        version=version,
        name=data["name"],
        red_from=data["red_from"],
        orange_from=data["orange_from"],
        created_by=by,
    )
    for d_order, dim in enumerate(data["dimensions"]):
        dimension = Dimension.objects.create(
            instrument=instrument,
            key=dim["key"],
            name=dim["name"],
            weight=Decimal(str(dim.get("weight", 1))),
            order=d_order,
        )
        for i_order, (key, text, options) in enumerate(dim["items"]):
            item = Item.objects.create(dimension=dimension, key=key, text=text, order=i_order)
            Option.objects.bulk_create(
                Option(
                    item=item,
                    value=option[0],
                    label=option[1],
                    score=option[2],
                    emergency=len(option) > 3 and option[3],
                    order=o_order,
                )
                for o_order, option in enumerate(options)
            )
    return instrument


def instrument_as_data(instrument: Instrument) -> dict:
    return {
        "name": instrument.name,
        "red_from": instrument.red_from,
        "orange_from": instrument.orange_from,
        "dimensions": [
            {
                "key": d.key,
                "name": d.name,
                "weight": str(d.weight),
                "items": [
                    (
                        i.key,
                        i.text,
                        [(o.value, o.label, o.score, o.emergency) for o in i.options.all()],
                    )
                    for i in d.items.all()
                ],
            }
            for d in instrument.dimensions.prefetch_related("items__options")
        ],
    }


@transaction.atomic
def instrument_ensure_default() -> Instrument:
    """The current instrument; the shipped default becomes version 1 on a new database."""
    current = Instrument.objects.filter(is_current=True).first()
    if current:
        return current
    instrument = instrument_create_from(DEFAULT_INSTRUMENT, version=1)
    instrument.is_current = True
    instrument.published_at = timezone.now()
    instrument.save()
    rules_ensure()
    return instrument


def current_instrument() -> Instrument:
    return Instrument.objects.filter(is_current=True).first() or instrument_ensure_default()


def instrument_draft(*, by: Any, source: Instrument) -> Instrument:
    """A new editable version, copied from ``source``."""
    if not scope.is_admin(by):
        raise ValidationError(_("Only the district administrator edits the instrument."))
    with transaction.atomic(), set_actor(by):
        version = (Instrument.objects.order_by("-version").values_list("version", flat=True)[0]) + 1
        return instrument_create_from(instrument_as_data(source), version=version, by=by)


def instrument_publish(*, by: Any, instrument: Instrument) -> Instrument:
    if not scope.is_admin(by):
        raise ValidationError(_("Only the district administrator edits the instrument."))
    if not instrument.is_draft:
        raise ValidationError(_("This version is already published."))
    if not Item.objects.filter(dimension__instrument=instrument).exists():
        raise ValidationError(_("An instrument without items cannot grade anyone."))
    with transaction.atomic(), set_actor(by):
        Instrument.objects.filter(is_current=True).update(is_current=False)
        instrument.is_current = True
        instrument.published_at = timezone.now()
        instrument.save()
    return instrument


def profile_ensure(*, by: Any, person: Person) -> ChildProfile:
    """The child's file, opened now if needed. A file is opened only for a person under 18;
    one opened earlier stays usable past the 18th birthday (for the closing assessment)."""
    scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
    existing = ChildProfile.objects.filter(person=person).first()
    if existing:
        return existing
    if not person.is_minor:
        raise ValidationError(_("A child file is for a person under 18."))
    return ChildProfile.objects.create(person=person)


class StaleProfile(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(
            _(
                "Someone else changed this child's file while you were editing it. Reload to "
                "see their changes, then apply yours again."
            )
        )
        self.current_version = current_version


PROFILE_FIELDS = (
    "difficulties",
    "father",
    "mother",
    "guardian_capacity",
    "guardian_notes",
    "school",
    "grade",
    "health",
    "director",
    "supervisor",
)


def profile_update(*, by: Any, person_id: int, version: int, changes: dict) -> ChildProfile:
    """Change a child's file; a stale ``version`` is refused, never overwritten."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    with transaction.atomic(), set_actor(by):
        profile = scope.get_visible_or_404(
            ChildProfile.objects.select_for_update(), by, write=True, person_id=person_id
        )
        if profile.version != version:
            raise StaleProfile(profile.version)
        errors = {}
        if set(changes.get("difficulties") or []) - set(Difficulty.values):
            errors["difficulties"] = [_("Unknown kind of difficulty.")]
        code = _region_of(person_id)
        for field, roles in (("director", DIRECTOR_ROLES), ("supervisor", SUPERVISOR_ROLES)):
            user = changes.get(field)
            if user is None or user.pk == getattr(profile, f"{field}_id"):
                continue
            if not responsible_candidates(code=code, roles=roles).filter(pk=user.pk).exists():
                errors[field] = [_("Choose someone with this role for the child's village.")]
        if errors:
            raise ValidationError(errors)
        for field, value in changes.items():
            setattr(profile, field, value)
        profile.version += 1
        profile.save()
    return profile


def _region_of(person_id: int) -> str:
    return Person.objects.filter(pk=person_id).values_list("region_id", flat=True).first() or ""


# Who may be made responsible for a child: directors of the village, supervisors above it.
DIRECTOR_ROLES = (Role.VILLAGE_DIRECTOR, Role.VILLAGE_ASSISTANT, Role.TOWNSHIP_WORKER)
SUPERVISOR_ROLES = (Role.TOWNSHIP_SUPERVISOR, Role.CENTER_WORKER)


def responsible_candidates(*, code: str, roles: tuple[str, ...]):
    """Active users holding one of ``roles`` in a region that contains village ``code``."""
    from shegong.accounts.models import User

    regions = [code, code[:9].ljust(12, "0"), code[:6].ljust(12, "0")] if code else []
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role__in=roles,
            memberships__region__code__in=regions,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def profile_record_read(*, by: Any, profile: ChildProfile, request: Any = None) -> None:
    """Every read of a child's file is in the access log (PIPL: minors' data is sensitive)."""
    access_record(
        user=by, action=AccessAction.READ, obj=profile, person=profile.person, request=request
    )


def rules_update(*, by: Any, changes: dict[str, dict]) -> list[InterventionRule]:
    """Change what each colour demands (district administrator only)."""
    if not scope.is_admin(by):
        raise ValidationError(_("Only the district administrator changes intervention rules."))
    fields = set(DEFAULT_RULES[Colour.RED])
    rules = []
    with transaction.atomic(), set_actor(by):
        rules_ensure()
        for colour, values in changes.items():
            rule = InterventionRule.objects.select_for_update().get(colour=colour)
            for field, value in values.items():
                if field in fields:
                    setattr(rule, field, value)
            if not rule.visit_every_days or not rule.reassess_every_days:
                raise ValidationError(
                    _("Visits and reassessments need an interval of a day or more.")
                )
            rule.save()
            rules.append(rule)
    return rules


def instrument_update(*, by: Any, instrument_id: int, data: dict) -> Instrument:
    """Save a draft's wording, weights, scores, emergency flags and thresholds.

    ``data`` holds ``name``, ``red_from``, ``orange_from`` and maps of ids to values:
    ``dimensions`` {id: {"name", "weight"}}, ``items`` {id: {"text"}},
    ``options`` {id: {"label", "score", "emergency"}}. Keys and structure stay as copied, so
    answers keep meaning the same thing across versions.
    """
    if not scope.is_admin(by):
        raise ValidationError(_("Only the district administrator edits the instrument."))
    with transaction.atomic(), set_actor(by):
        instrument = Instrument.objects.select_for_update().get(pk=instrument_id)
        if not instrument.is_draft:
            raise ValidationError(_("A published version cannot change; make a new draft."))
        errors: dict[str, list[str]] = {}
        red_from, orange_from = data.get("red_from"), data.get("orange_from")
        if red_from is None or orange_from is None or red_from <= orange_from or orange_from < 1:
            errors["red_from"] = [_("Red must start above orange, and orange above zero.")]
        if not (data.get("name") or "").strip():
            errors["name"] = [_("Give the instrument a name.")]
        if errors:
            raise ValidationError(errors)
        instrument.name = data["name"].strip()
        instrument.red_from, instrument.orange_from = red_from, orange_from
        instrument.save()
        dimensions = {d.pk: d for d in Dimension.objects.filter(instrument=instrument)}
        for pk, values in data.get("dimensions", {}).items():
            dimension = dimensions.get(pk)
            if dimension is None:
                continue
            dimension.name = values["name"].strip() or dimension.name
            dimension.weight = values["weight"]
        Dimension.objects.bulk_update(dimensions.values(), ["name", "weight"])
        items = {i.pk: i for i in Item.objects.filter(dimension__instrument=instrument)}
        for pk, values in data.get("items", {}).items():
            if pk in items and values["text"].strip():
                items[pk].text = values["text"].strip()
        Item.objects.bulk_update(items.values(), ["text"])
        options = {o.pk: o for o in Option.objects.filter(item__dimension__instrument=instrument)}
        for pk, values in data.get("options", {}).items():
            option = options.get(pk)
            if option is None:
                continue
            option.label = values["label"].strip() or option.label
            option.score = values["score"]
            option.emergency = values["emergency"]
        Option.objects.bulk_update(options.values(), ["label", "score", "emergency"])
    return instrument


# ---- structure of a draft: add and remove dimensions, items and options ----------------------

MIN_OPTIONS = 2


def _draft_locked(*, by: Any, instrument_id: int) -> Instrument:
    """The draft, locked for this transaction; refused for non-admins and published versions."""
    if not scope.is_admin(by):
        raise ValidationError(_("Only the district administrator edits the instrument."))
    instrument = Instrument.objects.select_for_update().get(pk=instrument_id)
    if not instrument.is_draft:
        raise ValidationError(_("A published version cannot change; make a new draft."))
    return instrument


def _slug(value: str, *, field: str, max_length: int, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    try:
        validate_slug(value)
    except ValidationError:
        errors.setdefault(field, []).append(
            _("Use only letters, digits, hyphens and underscores, without spaces.")
        )
        return value
    if len(value) > max_length:
        errors.setdefault(field, []).append(
            _("At most %(count)s characters.") % {"count": max_length}
        )
    return value


def _text(value: str, *, field: str, max_length: int, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    if not value:
        errors.setdefault(field, []).append(_("This cannot be empty."))
    elif len(value) > max_length:
        errors.setdefault(field, []).append(
            _("At most %(count)s characters.") % {"count": max_length}
        )
    return value


def _option_values(
    option: dict, *, field: str, errors: dict[str, list[str]]
) -> tuple[str, str, int, bool]:
    value = _slug(option.get("value", ""), field=field, max_length=40, errors=errors)
    label = _text(option.get("label", ""), field=field, max_length=200, errors=errors)
    score = option.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 32767:
        errors.setdefault(field, []).append(_("A score is a whole number of 0 or more."))
        score = 0
    return value, label, score, bool(option.get("emergency"))


def instrument_dimension_add(
    *, by: Any, instrument_id: int, key: str, name: str, weight: Decimal
) -> Dimension:
    """A new, empty dimension at the end of a draft."""
    with transaction.atomic(), set_actor(by):
        instrument = _draft_locked(by=by, instrument_id=instrument_id)
        errors: dict[str, list[str]] = {}
        key = _slug(key, field="key", max_length=40, errors=errors)
        name = _text(name, field="name", max_length=100, errors=errors)
        if not isinstance(weight, Decimal) or not Decimal(0) < weight < Decimal(100):
            errors.setdefault("weight", []).append(_("A weight between 0 and 99.99."))
        if key and instrument.dimensions.filter(key=key).exists():
            errors.setdefault("key", []).append(
                _("The key %(key)s is already used in this instrument.") % {"key": key}
            )
        if errors:
            raise ValidationError(errors)
        order = (instrument.dimensions.aggregate(m=Max("order"))["m"] or 0) + 1
        return Dimension.objects.create(
            instrument=instrument,
            key=key,
            name=name,
            weight=weight.quantize(Decimal("0.01")),
            order=order,
        )


def instrument_dimension_remove(
    *, by: Any, instrument_id: int, dimension_id: int, with_items: bool = False
) -> None:
    """Remove a dimension of a draft; one that has items goes only with ``with_items``."""
    with transaction.atomic(), set_actor(by):
        instrument = _draft_locked(by=by, instrument_id=instrument_id)
        dimension = Dimension.objects.get(pk=dimension_id, instrument=instrument)
        if dimension.items.exists() and not with_items:
            raise ValidationError(
                _("This dimension still has items; confirm to remove them with it.")
            )
        dimension.delete()


def instrument_item_add(
    *,
    by: Any,
    instrument_id: int,
    dimension_id: int,
    key: str,
    text: str,
    options: list[dict],
) -> Item:
    """A new item at the end of a dimension of a draft.

    ``options`` is a list of {"value", "label", "score": int, "emergency": bool}; an item needs
    at least two. The item's key is unique in the instrument (answers are keyed by it).
    """
    with transaction.atomic(), set_actor(by):
        instrument = _draft_locked(by=by, instrument_id=instrument_id)
        dimension = Dimension.objects.get(pk=dimension_id, instrument=instrument)
        errors: dict[str, list[str]] = {}
        key = _slug(key, field="key", max_length=60, errors=errors)
        text = _text(text, field="text", max_length=300, errors=errors)
        if key and Item.objects.filter(dimension__instrument=instrument, key=key).exists():
            errors.setdefault("key", []).append(
                _("The key %(key)s is already used in this instrument.") % {"key": key}
            )
        rows = [_option_values(o, field="options", errors=errors) for o in options]
        if len(rows) < MIN_OPTIONS:
            errors.setdefault("options", []).append(_("An item needs at least two options."))
        values = [row[0] for row in rows]
        if len(set(values)) != len(values):
            errors.setdefault("options", []).append(
                _("Each option of an item needs its own value.")
            )
        if errors:
            raise ValidationError(errors)
        order = (dimension.items.aggregate(m=Max("order"))["m"] or 0) + 1
        item = Item.objects.create(dimension=dimension, key=key, text=text, order=order)
        Option.objects.bulk_create(
            Option(item=item, value=v, label=label, score=score, emergency=emergency, order=i)
            for i, (v, label, score, emergency) in enumerate(rows)
        )
    return item


def instrument_item_remove(*, by: Any, instrument_id: int, item_id: int) -> None:
    with transaction.atomic(), set_actor(by):
        instrument = _draft_locked(by=by, instrument_id=instrument_id)
        Item.objects.get(pk=item_id, dimension__instrument=instrument).delete()


def instrument_option_add(
    *,
    by: Any,
    instrument_id: int,
    item_id: int,
    value: str,
    label: str,
    score: int,
    emergency: bool = False,
) -> Option:
    """A new answer option at the end of an item of a draft; its value is unique in the item."""
    with transaction.atomic(), set_actor(by):
        instrument = _draft_locked(by=by, instrument_id=instrument_id)
        item = Item.objects.get(pk=item_id, dimension__instrument=instrument)
        errors: dict[str, list[str]] = {}
        option = {"value": value, "label": label, "score": score, "emergency": emergency}
        value, label, score, emergency = _option_values(option, field="value", errors=errors)
        if value and item.options.filter(value=value).exists():
            errors.setdefault("value", []).append(
                _("The value %(value)s is already used in this item.") % {"value": value}
            )
        if errors:
            raise ValidationError(errors)
        order = (item.options.aggregate(m=Max("order"))["m"] or 0) + 1
        return Option.objects.create(
            item=item, value=value, label=label, score=score, emergency=emergency, order=order
        )


def instrument_option_remove(*, by: Any, instrument_id: int, option_id: int) -> None:
    """Remove an answer option of a draft; an item keeps at least two."""
    with transaction.atomic(), set_actor(by):
        instrument = _draft_locked(by=by, instrument_id=instrument_id)
        option = Option.objects.select_related("item").get(
            pk=option_id, item__dimension__instrument=instrument
        )
        if option.item.options.count() <= MIN_OPTIONS:
            raise ValidationError(_("An item keeps at least two options."))
        option.delete()


def _schedule(profile: ChildProfile, colour: str, assessed_at: dt.datetime) -> None:
    rule = rule_for(colour)
    day = timezone.localdate(assessed_at)
    last_visit = (
        Visit.objects.filter(person=profile.person_id, programme=Programme.MINORS)
        .order_by("-visited_on")
        .values_list("visited_on", flat=True)
        .first()
    )
    profile.next_visit_due = (last_visit or day) + dt.timedelta(days=rule.visit_every_days)
    profile.next_assessment_due = day + dt.timedelta(days=rule.reassess_every_days)


def assessment_record(
    *,
    by: Any,
    person: Person,
    answers: dict[str, str],
    override_colour: str = "",
    override_reason: str = "",
) -> RiskAssessment:
    """Score, grade and file an assessment; a new colour changes the schedule and notifies."""
    # Scope first: an outsider learns nothing, not even which answers are missing.
    scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
    instrument = current_instrument()
    result = scoring.score(scoring.InstrumentSpec.load(instrument), answers)
    colour = result.colour
    if override_colour and override_colour != result.colour:
        if override_colour not in Colour.values:
            raise ValidationError({"override_colour": [_("Unknown colour.")]})
        if not override_reason.strip():
            raise ValidationError(
                {"override_reason": [_("Write why the computed colour is overridden.")]}
            )
        colour = override_colour
    with transaction.atomic(), set_actor(by):
        profile = profile_ensure(by=by, person=person)
        profile = ChildProfile.objects.select_for_update().get(pk=profile.pk)
        assessment = RiskAssessment.objects.create(
            child=profile,
            instrument=instrument,
            answers=answers,
            total=result.total,
            dimension_scores={k: str(v) for k, v in result.dimensions.items()},
            drivers=result.drivers,
            computed_colour=result.colour,
            colour=colour,
            override_reason=override_reason if colour != result.colour else "",
            assessed_by=by,
        )
        _apply_colour(by=by, profile=profile, colour=colour, at=assessment.assessed_at)
    return assessment


def _apply_colour(*, by: Any, profile: ChildProfile, colour: str, at: dt.datetime) -> None:
    """The card takes the assessment's colour; the schedule follows the colour's rule."""
    old = profile.colour
    if old != colour:
        profile.colour = colour
        profile.colour_since = at
    _schedule(profile, colour, at)
    profile.version += 1
    profile.save()
    if old != colour:
        _on_colour_change(by=by, profile=profile, old=old, new=colour)


def assessment_override(*, by: Any, assessment_id: int, colour: str, reason: str) -> RiskAssessment:
    """Override the computed colour of the child's latest assessment, with a written reason.

    Only the latest assessment decides the card, so only it may be overridden; overriding back
    to the computed colour clears the override.
    """
    if colour not in Colour.values:
        raise ValidationError({"colour": [_("Unknown colour.")]})
    with transaction.atomic(), set_actor(by):
        assessment = scope.get_visible_or_404(
            RiskAssessment.objects.select_for_update(), by, write=True, pk=assessment_id
        )
        if colour != assessment.computed_colour and not reason.strip():
            raise ValidationError({"reason": [_("Write why the computed colour is overridden.")]})
        profile = ChildProfile.objects.select_for_update().get(pk=assessment.child_id)
        latest = profile.assessments.order_by("-assessed_at", "-id").values_list("pk", flat=True)
        if latest.first() != assessment.pk:
            raise ValidationError(_("Only the latest assessment can be overridden."))
        assessment.colour = colour
        assessment.override_reason = reason.strip() if colour != assessment.computed_colour else ""
        assessment.overridden_by = by
        assessment.overridden_at = timezone.now()
        assessment.save()
        _apply_colour(by=by, profile=profile, colour=colour, at=assessment.assessed_at)
    return assessment


def _on_colour_change(*, by: Any, profile: ChildProfile, old: str, new: str) -> None:
    person = profile.person
    title = _("%(child)s is now %(colour)s") % {
        "child": person.name,
        "colour": Colour(new).label,
    }
    url = profile.get_absolute_url()
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    # The assessor saw the colour on screen; the people responsible for the child are told.
    for user in {profile.director, profile.supervisor} - {None, by}:
        casework.notify(user, key=f"colour:{profile.pk}:{new}:{stamp}", title=title, url=url)
    rule = rule_for(new)
    open_case = (
        Case.objects.filter(person=person, programme=Programme.MINORS)
        .exclude(stage=Stage.CLOSED)
        .exists()
    )
    # Red: a case must be open within 24 hours. Opening it now leaves nothing to forget.
    if rule.case_within_hours is not None and not open_case:
        owner = profile.director or by
        casework.case_open(
            by=by,
            person=person,
            programme=Programme.MINORS,
            owner=owner,
            reason=_("Opened because the colour card turned %(colour)s.")
            % {"colour": Colour(new).label},
        )
    if COLOUR_RANK.get(new, 0) > COLOUR_RANK.get(old, -1) and profile.supervisor:
        casework.notify(
            profile.supervisor,
            key=f"colour-up:{profile.pk}:{new}:{stamp}",
            title=_("Review needed: %(child)s went up to %(colour)s")
            % {"child": person.name, "colour": Colour(new).label},
            url=url,
        )


def visit_moves_schedule(visit: Visit) -> None:
    """After a minors visit, the next visit is due one interval after it (casework hook)."""
    if visit.programme != Programme.MINORS:
        return
    profile = ChildProfile.objects.select_for_update().filter(person=visit.person_id).first()
    if profile is None or not profile.colour:
        return
    rule = rule_for(profile.colour)
    casework.move_next_visit_due(profile, visit, dt.timedelta(days=rule.visit_every_days))
