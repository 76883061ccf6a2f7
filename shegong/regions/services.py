"""Writes to the region tree and stations."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from .models import DEFAULT_ROOMS, Level, Region, Station

BUNDLED_REGIONS = Path(__file__).parent / "data" / "luancheng.csv"


class RegionImportError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def level_of(code: str) -> str:
    if code[6:] == "000000":
        return Level.DISTRICT
    if code[9:] == "000":
        return Level.TOWNSHIP
    return Level.VILLAGE


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == Level.VILLAGE:
        return code[:9] + "000"
    if level == Level.TOWNSHIP:
        return code[:6] + "000000"
    return None


@dataclass
class RegionRow:
    line: int
    code: str
    name: str


def parse_region_csv(text: str) -> list[RegionRow]:
    """Read ``code,name`` rows (a header row is optional); raise with every bad row listed."""
    rows: list[RegionRow] = []
    errors: list[str] = []
    for line, record in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        if not record or not "".join(record).strip():
            continue
        code = record[0].strip()
        if line == 1 and not code.isdigit():
            continue  # header
        name = record[1].strip() if len(record) > 1 else ""
        if re.fullmatch(r"[0-9]{6}", code):
            code += "000000"
        if not re.fullmatch(r"[0-9]{12}", code):
            errors.append(
                _("Row %(line)d: the code %(code)s is not a 12-digit division code.")
                % {"line": line, "code": code}
            )
            continue
        if not name:
            errors.append(_("Row %(line)d: the name is empty.") % {"line": line})
            continue
        rows.append(RegionRow(line, code, name))
    if errors:
        raise RegionImportError(errors)
    return rows


@transaction.atomic
def regions_import(rows: list[RegionRow], *, generated: bool = False) -> tuple[int, int]:
    """Create or rename regions, parents before children; all or nothing."""
    known = set(Region.objects.values_list("code", flat=True))
    incoming = {row.code for row in rows}
    errors = []
    for row in rows:
        parent = parent_code(row.code)
        if parent and parent not in known and parent not in incoming:
            errors.append(
                _(
                    "Row %(line)d: %(name)s (%(code)s) has no parent region %(parent)s "
                    "in the file or the database."
                )
                % {"line": row.line, "name": row.name, "code": row.code, "parent": parent}
            )
    if errors:
        raise RegionImportError(errors)
    created = updated = 0
    for row in sorted(rows, key=lambda r: (level_rank(r.code), r.code)):
        region, was_created = Region.objects.update_or_create(
            code=row.code,
            defaults={
                "name": row.name,
                "level": level_of(row.code),
                "parent_id": parent_code(row.code),
                "is_generated": generated,
            },
        )
        created += was_created
        updated += not was_created
    return created, updated


def level_rank(code: str) -> int:
    return {Level.DISTRICT: 0, Level.TOWNSHIP: 1, Level.VILLAGE: 2}[level_of(code)]


def load_bundled_regions() -> None:
    regions_import(parse_region_csv(BUNDLED_REGIONS.read_text(encoding="utf-8")))


def station_name(region: Region) -> str:
    if region.level == Level.DISTRICT:
        return _("%(name)s social-work guidance centre") % {"name": region.name}
    if region.level == Level.TOWNSHIP:
        return _("%(name)s social-work station") % {"name": region.name}
    return _("%(name)s social-work room") % {"name": region.name}


def station_ensure(region: Region, **fields) -> Station:
    defaults = {"name": station_name(region), "rooms": list(DEFAULT_ROOMS)}
    defaults.update(fields)
    station, _created = Station.objects.get_or_create(region=region, defaults=defaults)
    return station
