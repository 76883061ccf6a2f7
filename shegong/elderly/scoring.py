"""Scoring a GB/T 42195-2022 ability assessment. Pure: no database, no clock.

Preliminary level by total (0–90): 90 能力完好; 66–89 轻度失能; 46–65 中度失能; 30–45 重度失能;
0–29 完全失能. Then the standard's adjustments (5.2): a coma makes the level 完全失能 directly;
a diagnosis of dementia or another mental disorder raises it one level; two or more care-risk
events (fall, choking, suicide or self-harm, wandering off …) in the last 30 days raise it one
level. The two raises are separate conditions and add up; nothing goes beyond 完全失能.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Level
from .standard import ITEM_BY_KEY, ITEMS, PARTS

# From the most able to the least: "raising" a level moves one step right.
LEVELS = (Level.INTACT, Level.MILD, Level.MODERATE, Level.SEVERE, Level.COMPLETE)
# (lowest total of the band, level), highest band first.
BANDS = ((90, Level.INTACT), (66, Level.MILD), (46, Level.MODERATE), (30, Level.SEVERE))
RISK_EVENTS_TO_RAISE = 2


class Adjustment:
    COMA = "coma"
    MENTAL_DISORDER = "dementia_or_mental_disorder"
    RISK_EVENTS = "risk_events_30d"


@dataclass
class Result:
    total: int
    part_scores: dict[str, int]
    preliminary_level: str
    level: str
    adjustments: list[str] = field(default_factory=list)


def level_for_total(total: int) -> str:
    for lowest, level in BANDS:
        if total >= lowest:
            return level
    return Level.COMPLETE


def raise_level(level: str, steps: int = 1) -> str:
    return LEVELS[min(LEVELS.index(level) + steps, len(LEVELS) - 1)]


def validate_items(items: dict[str, Any]) -> dict[str, int]:
    """Every one of the 26 items scored within its range, nothing else; else a ValidationError
    naming each wrong item (the API's 422)."""
    errors: dict[str, list[str]] = {}
    scores: dict[str, int] = {}
    for item in ITEMS:
        value = items.get(item.key)
        if value is None or value == "":
            errors[item.key] = [
                _("Not scored: %(item)s (%(key)s).") % {"item": item.name, "key": item.key}
            ]
            continue
        if isinstance(value, bool) or not isinstance(value, int | str):
            value = "?"
        try:
            number = int(value)
        except ValueError:
            number = -1
        if not 0 <= number <= item.maximum:
            errors[item.key] = [
                _("%(item)s (%(key)s) is scored 0 to %(maximum)s, not %(value)s.")
                % {"item": item.name, "key": item.key, "maximum": item.maximum, "value": value}
            ]
            continue
        scores[item.key] = number
    for key in items:
        if key not in ITEM_BY_KEY:
            errors[key] = [_("There is no item %(key)s in the standard.") % {"key": key}]
    if errors:
        raise ValidationError(errors)
    return scores


def score(
    items: dict[str, Any],
    *,
    coma: bool = False,
    dementia_or_mental_disorder: bool = False,
    risk_events_30d: int = 0,
) -> Result:
    if risk_events_30d < 0:
        raise ValidationError(
            {"risk_events_30d": [_("The number of care-risk events cannot be negative.")]}
        )
    scores = validate_items(items)
    part_scores = {part.key: 0 for part in PARTS}
    for item in ITEMS:
        part_scores[item.part] += scores[item.key]
    total = sum(part_scores.values())
    preliminary = level_for_total(total)
    adjustments: list[str] = []
    if coma:
        adjustments.append(Adjustment.COMA)
        level = Level.COMPLETE
    else:
        steps = 0
        if dementia_or_mental_disorder:
            adjustments.append(Adjustment.MENTAL_DISORDER)
            steps += 1
        if risk_events_30d >= RISK_EVENTS_TO_RAISE:
            adjustments.append(Adjustment.RISK_EVENTS)
            steps += 1
        level = raise_level(preliminary, steps)
    return Result(total, part_scores, str(preliminary), str(level), adjustments)
