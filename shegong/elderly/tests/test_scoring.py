"""GB/T 42195-2022 scoring on worked examples: every level boundary, each adjustment, the cap."""

import pytest
from django.core.exceptions import ValidationError

from shegong.elderly import scoring
from shegong.elderly.models import Level
from shegong.elderly.standard import ITEMS, PARTS, TOTAL_MAXIMUM

from .conftest import items_totalling


def test_the_standard_has_26_items_in_4_parts_with_the_stated_ranges():
    assert len(ITEMS) == 26
    assert [(p.name, p.maximum) for p in PARTS] == [
        ("自理能力", 32),
        ("基础运动能力", 15),
        ("精神状态", 28),
        ("感知觉与社会参与", 15),
    ]
    for part in PARTS:
        assert sum(i.maximum for i in ITEMS if i.part == part.key) == part.maximum
    assert TOTAL_MAXIMUM == 90
    maxima = {i.key: i.maximum for i in ITEMS}
    assert maxima["stairs"] == 3
    assert maxima["aggression"] == maxima["depression"] == 1
    assert maxima["consciousness"] == 2
    assert maxima["vision"] == maxima["hearing"] == 2
    assert maxima["transport"] == 3


def test_every_option_carries_the_standards_chinese_wording():
    for item in ITEMS:
        assert [score for score, _ in item.options] == list(range(item.maximum, -1, -1))
        assert all(wording for _, wording in item.options)
    eating = next(i for i in ITEMS if i.key == "eating")
    assert eating.options[0] == (4, "独立使用器具将食物送进口中并咽下，没有呛咳")


@pytest.mark.parametrize(
    "total, level",
    [
        (90, Level.INTACT),
        (89, Level.MILD),
        (66, Level.MILD),
        (65, Level.MODERATE),
        (46, Level.MODERATE),
        (45, Level.SEVERE),
        (30, Level.SEVERE),
        (29, Level.COMPLETE),
        (0, Level.COMPLETE),
    ],
)
def test_the_preliminary_level_follows_the_total(total, level):
    result = scoring.score(items_totalling(total))

    assert result.total == total
    assert result.preliminary_level == level
    assert result.level == level
    assert result.adjustments == []


def test_part_scores_add_up_to_the_total():
    result = scoring.score(items_totalling(70))

    assert result.part_scores == {
        "self_care": 12,
        "mobility": 15,
        "mental": 28,
        "perception_social": 15,
    }


def test_a_coma_makes_the_level_completely_disabled_directly():
    result = scoring.score(items_totalling(90), coma=True)

    assert result.preliminary_level == Level.INTACT
    assert result.level == Level.COMPLETE
    assert result.adjustments == [scoring.Adjustment.COMA]


def test_dementia_or_a_mental_disorder_raises_the_level_by_one():
    result = scoring.score(items_totalling(70), dementia_or_mental_disorder=True)

    assert (result.preliminary_level, result.level) == (Level.MILD, Level.MODERATE)


def test_two_risk_events_in_30_days_raise_the_level_by_one_but_one_does_not():
    assert scoring.score(items_totalling(50), risk_events_30d=1).level == Level.MODERATE
    assert scoring.score(items_totalling(50), risk_events_30d=2).level == Level.SEVERE


def test_both_raises_add_up():
    result = scoring.score(items_totalling(90), dementia_or_mental_disorder=True, risk_events_30d=3)

    assert result.level == Level.MODERATE


def test_nothing_goes_beyond_completely_disabled():
    assert scoring.score(items_totalling(29), dementia_or_mental_disorder=True).level == (
        Level.COMPLETE
    )
    result = scoring.score(items_totalling(35), dementia_or_mental_disorder=True, risk_events_30d=2)
    assert result.level == Level.COMPLETE


def test_a_missing_item_is_named():
    items = items_totalling(90)
    del items["memory"]

    with pytest.raises(ValidationError) as caught:
        scoring.score(items)

    assert list(caught.value.message_dict) == ["memory"]


@pytest.mark.parametrize("key, value", [("stairs", 4), ("aggression", 2), ("eating", -1)])
def test_an_out_of_range_score_is_named(key, value):
    items = items_totalling(90)
    items[key] = value

    with pytest.raises(ValidationError) as caught:
        scoring.score(items)

    assert list(caught.value.message_dict) == [key]


def test_an_unknown_item_is_named():
    with pytest.raises(ValidationError) as caught:
        scoring.score({**items_totalling(90), "dancing": 3})

    assert list(caught.value.message_dict) == ["dancing"]
