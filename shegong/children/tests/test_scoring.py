"""Scoring is pure: totals, weights, thresholds, emergencies and the order of the drivers."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shegong.children import scoring
from shegong.children.default_instrument import DEFAULT_INSTRUMENT
from shegong.children.models import Colour, Dimension, Instrument

from .answers import answers, answers_scoring

pytestmark = pytest.mark.django_db


def emergency_options(spec):
    return [
        (key, value)
        for key, item in spec.items.items()
        for value, (_label, _score, emergency) in item.options.items()
        if emergency
    ]


def test_the_default_instrument_has_five_dimensions_and_25_to_35_items(spec):
    assert [name for _key, name, _w in spec.dimensions] == [
        "自身发展状况",
        "监护人情况",
        "家庭状况",
        "学校教育",
        "社会环境",
    ]
    assert 25 <= len(spec.items) <= 35
    assert len(emergency_options(spec)) >= 5


def test_all_lowest_answers_are_blue_with_a_zero_total(spec):
    result = scoring.score(spec, answers(spec, "low"))

    assert result.colour == Colour.BLUE
    assert result.total == 0
    assert result.drivers == []
    assert set(result.dimensions) == {key for key, _n, _w in spec.dimensions}


@pytest.mark.parametrize(
    ("total", "colour"),
    [(14, Colour.BLUE), (15, Colour.ORANGE), (29, Colour.ORANGE), (30, Colour.RED)],
)
def test_the_thresholds_decide_the_colour(spec, total, colour):
    assert DEFAULT_INSTRUMENT["orange_from"] == 15 and DEFAULT_INSTRUMENT["red_from"] == 30

    result = scoring.score(spec, answers_scoring(spec, total))

    assert result.total == total
    assert result.colour == colour


def test_the_total_is_the_sum_of_weighted_dimension_scores(instrument):
    Dimension.objects.filter(instrument=instrument, key="guardian").update(weight=Decimal("1.5"))
    spec = scoring.InstrumentSpec.load(Instrument.objects.get(pk=instrument.pk))
    chosen = answers(spec, "low", health="chronic", carer="grandparents")  # 2 + 2

    result = scoring.score(spec, chosen)

    assert result.dimensions["self"] == 2
    assert result.dimensions["guardian"] == Decimal("3.0")
    assert result.total == Decimal("5.0")


def test_every_emergency_answer_makes_the_card_red(spec):
    found = emergency_options(spec)
    assert found
    for key, value in found:
        result = scoring.score(spec, answers(spec, "low", **{key: value}))

        assert result.colour == Colour.RED, key
        assert result.emergency
        assert result.drivers[0]["item"] == key
        assert result.total < spec.instrument.orange_from


def test_drivers_list_emergencies_first_then_the_heaviest_items(spec):
    [(first_key, first_value), (second_key, second_value), *_] = emergency_options(spec)
    chosen = answers(spec, "high", **{first_key: first_value, second_key: second_value})

    drivers = scoring.score(spec, chosen).drivers

    assert [d["emergency"] for d in drivers[:2]] == [True, True]
    assert not any(d["emergency"] for d in drivers[2:])
    scores = [d["score"] for d in drivers[2:]]
    assert scores == sorted(scores, reverse=True)
    assert min(scores) >= 2


def test_missing_and_unknown_answers_are_named(spec):
    chosen = answers(spec, "low")
    missing = next(iter(chosen))
    del chosen[missing]
    chosen["no_such_item"] = "x"
    some_item = list(chosen)[0]
    chosen[some_item] = "not_an_option"

    with pytest.raises(ValidationError) as caught:
        scoring.score(spec, chosen)

    assert set(caught.value.message_dict) == {missing, "no_such_item", some_item}
