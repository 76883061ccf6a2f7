import datetime as dt

import pytest
from django.utils import translation

from shegong.factories import RegionFactory
from shegong.people import idnumbers
from shegong.testing import is_chinese

# The area check also asks the database which districts this deployment has loaded.
pytestmark = pytest.mark.django_db

# 110101 (Beijing Dongcheng) is in python-stdnum's area table for people born in 1980.
KNOWN_AREA_NUMBER = idnumbers.make("110101", dt.date(1980, 1, 1), 123)


def wrong_check_char(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def full_width(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789Xx"})


def test_it_accepts_a_valid_number():
    parsed = idnumbers.parse(KNOWN_AREA_NUMBER)

    assert parsed.number == "110101198001011232"
    assert parsed.birth_date == dt.date(1980, 1, 1)
    assert parsed.sex == "M"
    assert parsed.warnings == []


def test_it_reads_an_even_sequence_as_female():
    number = idnumbers.make("110101", dt.date(1980, 1, 1), 124)

    assert idnumbers.parse(number).sex == "F"


def test_it_rejects_a_wrong_check_digit_naming_the_expected_character():
    wrong = wrong_check_char(KNOWN_AREA_NUMBER)

    with translation.override("en"), pytest.raises(idnumbers.IdNumberError) as caught:
        idnumbers.parse(wrong)

    message = str(caught.value)
    assert f"should be {KNOWN_AREA_NUMBER[17]}, not {wrong[17]}" in message


def test_it_names_x_when_x_is_the_expected_check_character():
    number = next(
        n
        for n in (idnumbers.make("110101", dt.date(1990, 5, 6), s) for s in range(1000))
        if n.endswith("X")
    )

    with translation.override("en"), pytest.raises(idnumbers.IdNumberError) as caught:
        idnumbers.parse(number[:17] + "0")

    assert "should be X, not 0" in str(caught.value)


def test_it_explains_a_wrong_check_digit_in_chinese():
    with translation.override("zh-hans"), pytest.raises(idnumbers.IdNumberError) as caught:
        idnumbers.parse(wrong_check_char(KNOWN_AREA_NUMBER))

    message = str(caught.value)
    assert is_chinese(message)
    assert KNOWN_AREA_NUMBER[17] in message


def test_it_rejects_an_impossible_birth_date():
    first17 = "110101" + "19800231" + "123"  # 31 February
    number = first17 + idnumbers.check_char(first17)

    with translation.override("en"), pytest.raises(idnumbers.IdNumberError) as caught:
        idnumbers.parse(number)

    assert "19800231" in str(caught.value)
    assert "date of birth" in str(caught.value)


def test_it_rejects_a_birth_date_in_the_future():
    number = idnumbers.make("110101", dt.date.today() + dt.timedelta(days=1), 123)

    with pytest.raises(idnumbers.IdNumberError):
        idnumbers.parse(number)


@pytest.mark.parametrize(
    "raw",
    ["", "12345", "1101011980010112321", "11010119800101123A"],
    ids=["empty", "too-short", "too-long", "letter-in-place-of-check"],
)
def test_it_rejects_malformed_numbers(raw):
    with pytest.raises(idnumbers.IdNumberError) as caught:
        idnumbers.parse(raw)

    assert str(caught.value)


def test_it_upgrades_an_old_15_digit_number():
    parsed = idnumbers.parse("110101800101123")

    assert parsed.number == KNOWN_AREA_NUMBER
    assert parsed.birth_date == dt.date(1980, 1, 1)


def test_it_normalises_full_width_digits_and_spaces():
    raw = " " + full_width(KNOWN_AREA_NUMBER[:9]) + " " + KNOWN_AREA_NUMBER[9:] + "\u3000"

    assert idnumbers.parse(raw).number == KNOWN_AREA_NUMBER


def test_it_upper_cases_a_final_lower_case_x():
    number = idnumbers.make("130111", dt.date(1990, 5, 6), 18)
    assert number.endswith("X")

    assert idnumbers.parse(number.lower()).number == number
    assert idnumbers.parse(full_width(number[:-1]) + "ｘ").number == number


def test_an_unknown_area_code_is_a_warning_not_an_error():
    number = idnumbers.make("990111", dt.date(1980, 1, 1), 123)

    parsed = idnumbers.parse(number)

    assert parsed.number == number
    assert len(parsed.warnings) == 1
    assert "990111" in parsed.warnings[0]


def test_an_area_code_of_a_loaded_district_is_known():
    number = idnumbers.make("130111", dt.date(1980, 1, 1), 123)  # 栾城区 is newer than 1980
    assert idnumbers.parse(number).warnings

    RegionFactory(code="130111000000", name="栾城区")

    assert idnumbers.parse(number).warnings == []


def test_make_builds_numbers_that_parse_back_to_their_parts():
    number = idnumbers.make("130111", dt.date(2015, 3, 9), 42)

    parsed = idnumbers.parse(number)

    assert parsed.birth_date == dt.date(2015, 3, 9)
    assert parsed.sex == "F"
