"""Resident ID numbers (公民身份号码, GB 11643-1999).

18 characters: 6-digit area code, 8-digit birth date, 3-digit sequence (odd = male, even =
female), and an ISO 7064 MOD 11-2 check character (0-9 or X). Every error message says exactly
what is wrong, in the user's language, so a village worker can fix the number.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from stdnum.cn import ric

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    """A specific, user-facing reason why an ID number is not valid."""


@dataclass
class ParsedId:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    warnings: list[str] = field(default_factory=list)


def normalise(raw: str) -> str:
    """Full-width to half-width, strip spaces, upper-case the final x."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s+", "", text).upper()


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15(number: str) -> str:
    """Old 15-digit numbers: insert the century '19' and append the check character."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_char(first17)


def parse(raw: str, *, area_check: Callable[[str], bool] | None = None) -> ParsedId:
    number = normalise(raw)
    if not number:
        raise IdNumberError(_("The ID number is empty."))
    if len(number) == 15 and number.isdigit():
        number = upgrade_15(number)
    if len(number) != 18:
        raise IdNumberError(
            _("An ID number has 18 characters; this one has %(count)d.") % {"count": len(number)}
        )
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise IdNumberError(
            _("An ID number is 17 digits followed by a digit or X; this one has other characters.")
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(
            _("Characters 7–14 of the ID number (%(digits)s) are not a valid date of birth.")
            % {"digits": number[6:14]}
        ) from None
    if birth > dt.date.today() or birth.year < 1890:
        raise IdNumberError(
            _("The date of birth in the ID number (%(date)s) is not possible.")
            % {"date": birth.isoformat()}
        )
    expected = check_char(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            _(
                "The check character of the ID number is wrong: the last character should be "
                "%(expected)s, not %(actual)s. Please check each digit against the ID card."
            )
            % {"expected": expected, "actual": number[17]}
        )
    warnings = []
    if not (area_check or known_area)(number):
        # stdnum's area table lags the real division changes: an unknown area is only a warning.
        warnings.append(
            _("The area code %(area)s is not in the known list; please check it.")
            % {"area": number[:6]}
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ParsedId(number=number, birth_date=birth, sex=sex, warnings=warnings)


def known_area(number: str) -> bool:
    """Known to stdnum's table, or a district this deployment has loaded (栾城区 130111 was
    created in 2014 and is missing from stdnum's table)."""
    from shegong.regions.models import Region

    try:
        ric.get_birth_place(number)
        return True
    except Exception:  # noqa: S110 - stdnum raises its own InvalidComponent for unknown areas
        pass
    return Region.objects.filter(code=number[:6] + "000000").exists()


def make(area: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (used by the demo and test data generators)."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
