"""Scoring a colour-card assessment against an instrument. Pure: no database writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Colour, Instrument


@dataclass
class ItemSpec:
    key: str
    text: str
    dimension: str
    options: dict[str, tuple[str, int, bool]]  # value → (label, score, emergency)


@dataclass
class InstrumentSpec:
    """An instrument read into memory once (one query per table)."""

    instrument: Instrument
    dimensions: list[tuple[str, str, Decimal]]  # key, name, weight
    items: dict[str, ItemSpec] = field(default_factory=dict)

    @classmethod
    def load(cls, instrument: Instrument) -> InstrumentSpec:
        dimensions = list(instrument.dimensions.prefetch_related("items__options"))
        spec = cls(instrument, [(d.key, d.name, d.weight) for d in dimensions])
        for dimension in dimensions:
            for item in dimension.items.all():
                spec.items[item.key] = ItemSpec(
                    item.key,
                    item.text,
                    dimension.key,
                    {o.value: (o.label, o.score, o.emergency) for o in item.options.all()},
                )
        return spec


@dataclass
class Result:
    colour: str
    total: Decimal
    dimensions: dict[str, Decimal]
    drivers: list[dict]
    emergency: bool


def score(spec: InstrumentSpec, answers: dict[str, str]) -> Result:
    """Total, per-dimension scores, the items that drove the grade, and the colour.

    Every item must be answered with one of its options; anything missing or unknown is a
    ValidationError naming each item (the API's 422).
    """
    errors = {}
    for key, item in spec.items.items():
        value = answers.get(key)
        if value in (None, ""):
            errors[key] = [_("Not answered: %(item)s") % {"item": item.text}]
        elif value not in item.options:
            errors[key] = [
                _("%(value)s is not an answer to %(item)s") % {"value": value, "item": item.text}
            ]
    for key in answers:
        if key not in spec.items:
            errors[key] = [_("There is no item %(key)s in this instrument.") % {"key": key}]
    if errors:
        raise ValidationError(errors)

    weights = {key: weight for key, _name, weight in spec.dimensions}
    dimensions = {key: Decimal(0) for key, _name, _weight in spec.dimensions}
    drivers = []
    emergency = False
    for key, item in spec.items.items():
        label, points, is_emergency = item.options[answers[key]]
        dimensions[item.dimension] += Decimal(points) * weights[item.dimension]
        if is_emergency:
            emergency = True
        if is_emergency or points >= 2:
            drivers.append(
                {
                    "item": key,
                    "text": item.text,
                    "answer": label,
                    "score": points,
                    "emergency": is_emergency,
                }
            )
    total = sum(dimensions.values(), Decimal(0))
    instrument = spec.instrument
    if emergency or total >= instrument.red_from:
        colour = Colour.RED
    elif total >= instrument.orange_from:
        colour = Colour.ORANGE
    else:
        colour = Colour.BLUE
    # Emergencies first, then the heaviest items: what a supervisor reads first.
    drivers.sort(key=lambda d: (not d["emergency"], -d["score"], d["item"]))
    return Result(colour, total, dimensions, drivers, emergency)
