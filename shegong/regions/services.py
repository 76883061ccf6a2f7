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
    """The official Chinese name; it is data, not UI text, so it is not translated."""
    if region.level == Level.DISTRICT:
        return f"{region.name}社会工作指导中心"
    if region.level == Level.TOWNSHIP:
        return f"{region.name}社会工作服务站"
    return f"{region.name}社会工作服务室"


class StaleStation(Exception):
    pass


STATION_FIELDS = [
    "name",
    "serves_elderly",
    "serves_minors",
    "serves_social_work",
    "address",
    "opening_hours",
    "phone",
    "rooms",
    "established_on",
]


def station_save(*, by, region: Region, version: int | None, data: dict) -> Station:
    """Create the station of ``region`` or update it if ``version`` is still current."""
    from auditlog.context import set_actor
    from django.http import Http404

    from shegong.accounts import scope

    if not scope.admin_can_manage_region(by, region.code):
        raise Http404
    with transaction.atomic(), set_actor(by):
        station = Station.objects.select_for_update().filter(region=region).first()
        if station is None:
            station = Station(region=region)
        elif version != station.version:
            raise StaleStation(
                _(
                    "Someone else changed this station while you were editing it. "
                    "Reload and try again."
                )
            )
        else:
            station.version += 1
        for field in STATION_FIELDS:
            setattr(station, field, data[field])
        station.save()
    return station


def station_ensure(region: Region, **fields) -> Station:
    defaults = {"name": station_name(region), "rooms": list(DEFAULT_ROOMS)}
    defaults.update(fields)
    station, _created = Station.objects.get_or_create(region=region, defaults=defaults)
    return station
