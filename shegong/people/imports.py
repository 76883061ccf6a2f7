"""Roster import: upload → check (preview) → confirm → one all-or-nothing transaction.

Checking and importing read the same file through the same plan, so what the preview promised
is what the import does; the import plans again inside its transaction, and if anything has
become an error since the preview (someone registered one of the people meanwhile) it refuses
and changes nothing. Re-running a file that is already in changes nothing: every row is
"unchanged".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle  # noqa: S403 - only for the plan files this module writes itself
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shegong import uploads
from shegong.accounts import scope
from shegong.bulk import bulk_insert
from shegong.progress import STALE_AFTER_SECONDS, progress_get, progress_set
from shegong.regions.models import Level, Region, under_prefix

from . import crypto, idnumbers, roster, services
from .models import (
    ImportJob,
    ImportStatus,
    MergeRecord,
    OnExisting,
    Person,
    PersonCategory,
    Relation,
    RelationKind,
)

MAX_UPLOAD_BYTES = 30 * 1024 * 1024


def max_upload_bytes() -> int:
    """30 MB, or less when SHEGONG_UPLOAD_MAX_BYTES says so."""
    return uploads.limit(MAX_UPLOAD_BYTES)


def too_large_message(limit: int) -> str:
    return _("The file is larger than %(limit)s; split it by village and import each.") % {
        "limit": uploads.size_text(limit)
    }


ERRORS_KEPT_ON_PAGE = 1000
BATCH = 2000
AUDITED_COLUMN = {
    "name": "name",
    "sex": "sex",
    "birth_date": "birth_date",
    "id_number_masked": "id_number_masked",
    "phone_masked": "phone_masked",
    "region": "region_id",
    "address": "address",
    "status": "status",
    "disability_kind": "disability_kind",
    "disability_grade": "disability_grade",
    "notes": "notes",
}
AUDITED_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "phone_masked",
    "region",
    "address",
    "status",
    "disability_kind",
    "disability_grade",
    "notes",
]
# Service field → roster column, for placing a validation message on the right column.
FIELD_COLUMN = {
    "region_code": "village",
    "categories": "category",
    "household_id": "village",
}


class ImportRefused(Exception):
    """The import cannot run (errors appeared since the preview, wrong state …)."""


# -- planning ---------------------------------------------------------------------------------


@dataclass
class Plan:
    roster: roster.Roster
    candidates: list[tuple[roster.RosterRow, dict[str, Any]]] = field(default_factory=list)
    new: list[tuple[roster.RosterRow, dict[str, Any]]] = field(default_factory=list)
    update: list[tuple[roster.RosterRow, Person, dict[str, Any]]] = field(default_factory=list)
    unchanged: list[tuple[roster.RosterRow, Person]] = field(default_factory=list)
    error_rows: list[roster.RosterRow] = field(default_factory=list)

    @property
    def errors(self) -> list[roster.CellError]:
        return [e for row in self.error_rows for e in row.errors]


def _village_lookup(region: Region) -> dict[str, str | None]:
    """Village name (with and without 村/社区 suffix) → code; None where two villages share it."""
    lookup: dict[str, str | None] = {}
    villages = Region.objects.filter(under_prefix("code", region.prefix), level=Level.VILLAGE)
    for code, name in villages.values_list("code", "name"):
        keys = {name}
        for suffix in ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村"):
            if name.endswith(suffix) and len(name) > len(suffix):
                keys.add(name[: -len(suffix)])
        for key in keys:
            lookup[key] = None if key in lookup and lookup[key] != code else code
    return lookup


def _row_data(row: roster.RosterRow, region: Region, villages: dict[str, str | None]) -> str | None:
    """Resolve the village into ``row.values['region_code']``; return an error or None."""
    if row.village_name:
        code = villages.get(row.village_name, "")
        if code is None:
            return _(
                "Two villages in your area are called %(name)s; import them village by village."
            ) % {"name": row.village_name}
        if not code:
            return _("There is no village called %(name)s in %(region)s.") % {
                "name": row.village_name,
                "region": region.name,
            }
        row.values["region_code"] = code
        return None
    if region.level == Level.VILLAGE:
        row.values["region_code"] = region.code
        return None
    return _("The village is empty. Fill in the village column, or import into one village.")


def _column_label(plan: Plan, field_name: str) -> str:
    """The file's heading for a field, or (when the file has no such column, e.g. a disability
    kind the rules require) the field's name in the user's language, never its code."""
    heading = plan.roster.heading(FIELD_COLUMN.get(field_name, field_name))
    if heading:
        return heading
    model_field = {"region_code": "region", "household_id": "household"}.get(field_name, field_name)
    try:
        return str(Person._meta.get_field(model_field).verbose_name)
    except FieldDoesNotExist:
        return field_name


def _add_validation_errors(row: roster.RosterRow, plan: Plan, exc: ValidationError) -> None:
    for field_name, messages in exc.message_dict.items():
        column = _column_label(plan, field_name)
        for message in messages:
            row.errors.append(roster.CellError(row.row, column, message))


def _merge_existing(person: Person, values: dict[str, Any]) -> dict[str, Any]:
    """The person's values with the file's non-empty cells on top; categories are added."""
    data = services.person_as_input(person)
    for key, value in values.items():
        if key == "categories":
            data["categories"] = list(dict.fromkeys([*data["categories"], *value]))
        elif key == "notes":
            if value and value not in (data["notes"] or ""):
                data["notes"] = f"{data['notes']}\n{value}".strip()
        elif value not in (None, ""):
            data[key] = value
    return data


def _same(person: Person, cleaned: dict[str, Any]) -> bool:
    return (
        person.name == cleaned["name"]
        and person.sex == cleaned["sex"]
        and person.birth_date == cleaned["birth_date"]
        and person.phone_hash == crypto.blind_index(cleaned["phone"])
        and person.region_id == cleaned["region"].code
        and person.address == cleaned["address"]
        and person.status == cleaned["status"]
        and set(person.category_codes) == set(cleaned["categories"])
        and person.disability_kind == cleaned["disability_kind"]
        and person.disability_grade == cleaned["disability_grade"]
        and person.notes == cleaned["notes"]
    )


def plan_import(
    *,
    table: list[list[Any]],
    region: Region,
    by: Any,
    category: str = "",
    on_existing: str = OnExisting.UPDATE,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Read and check every row, and decide new / update / unchanged / error. Writes nothing."""
    plan = Plan(roster.parse_rows(table, category=category))
    regions = {r.code: r for r in Region.objects.filter(under_prefix("code", region.prefix))}
    ctx = services.CleanContext(by, regions=regions)
    villages = _village_lookup(region)
    candidates: list[tuple[roster.RosterRow, dict[str, Any]]] = []
    first_row_of: dict[str, int] = {}
    total = len(plan.roster.rows)
    for done, row in enumerate(plan.roster.rows, start=1):
        if progress and done % 1000 == 0:
            progress(done, total)
        village_error = _row_data(row, region, villages)
        if village_error:
            row.errors.append(
                roster.CellError(row.row, plan.roster.heading("village"), village_error)
            )
        if row.errors:
            continue
        values = {k: v for k, v in row.values.items() if not k.startswith("_")}
        try:
            cleaned = services.clean_person(values, by=by, ctx=ctx)
        except ValidationError as exc:
            _add_validation_errors(row, plan, exc)
            continue
        month = row.values.get("_birth_month")
        if month and month != (cleaned["birth_date"].year, cleaned["birth_date"].month):
            row.errors.append(
                roster.CellError(
                    row.row,
                    plan.roster.heading("birth_date"),
                    _("The ID number gives the date of birth %(date)s; the date entered differs.")
                    % {"date": cleaned["birth_date"].isoformat()},
                )
            )
            continue
        if row.guardian.get("id_number"):
            try:
                row.guardian["id_number"] = idnumbers.parse(
                    row.guardian["id_number"], area_check=ctx.known_area
                ).number
            except idnumbers.IdNumberError as exc:
                column = plan.roster.heading("guardian_id_number")
                row.errors.append(roster.CellError(row.row, column, str(exc)))
                continue
        number = cleaned["id_number"]
        if number in first_row_of:
            row.errors.append(
                roster.CellError(
                    row.row,
                    plan.roster.heading("id_number"),
                    _("Row %(row)d has the same ID number: the same person is in the file twice.")
                    % {"row": first_row_of[number]},
                )
            )
            continue
        first_row_of[number] = row.row
        candidates.append((row, cleaned))
    if progress:
        progress(total, total)
    plan.candidates = candidates
    _classify(plan, candidates, by=by, ctx=ctx, on_existing=on_existing)
    plan.error_rows = [row for row in plan.roster.rows if row.errors]
    return plan


# The check's cleaned rows are kept beside the upload, so that the confirmed import need not
# read and clean the file again: it classifies them again against the registry as it is then
# (someone may have registered one of the people meanwhile) inside its transaction.


def _plan_path(job: ImportJob) -> Path:
    return Path(job.file.path).with_name(f"import-{job.pk}-plan.pickle")


def _save_candidates(job: ImportJob, plan: Plan) -> None:
    rows = []
    for row, cleaned in plan.candidates:
        kept = roster.RosterRow(row=row.row, cells=[], values=row.values, guardian=row.guardian)
        rows.append((kept, {**cleaned, "region": cleaned["region"].code}))
    payload = {
        "header_row": plan.roster.header_row,
        "headings": plan.roster.headings,
        "columns": plan.roster.columns,
        "rows": rows,
    }
    with open(_plan_path(job), "wb") as handle:
        pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _load_candidates(job: ImportJob, *, by: Any) -> Plan | None:
    """The plan of the check, classified again now; None when it was not kept."""
    path = _plan_path(job)
    if not path.exists():
        return None
    with open(path, "rb") as handle:
        payload = pickle.load(handle)  # noqa: S301 - our own file, written by the check
    regions = {r.code: r for r in Region.objects.filter(under_prefix("code", job.region.prefix))}
    rows = [row for row, _cleaned in payload["rows"]]
    plan = Plan(roster.Roster(payload["header_row"], payload["headings"], payload["columns"], rows))
    candidates = []
    for row, cleaned in payload["rows"]:
        region = regions.get(cleaned["region"])
        if region is None:
            return None  # the region tree changed since the check: read the file again
        candidates.append((row, {**cleaned, "region": region}))
    ctx = services.CleanContext(by, regions=regions)
    plan.candidates = candidates
    _classify(plan, candidates, by=by, ctx=ctx, on_existing=job.on_existing)
    plan.error_rows = [row for row in plan.roster.rows if row.errors]
    return plan


def _classify(
    plan: Plan,
    candidates: list[tuple[roster.RosterRow, dict[str, Any]]],
    *,
    by: Any,
    ctx: services.CleanContext,
    on_existing: str,
) -> None:
    hashes = [crypto.blind_index(cleaned["id_number"]) for _row, cleaned in candidates]
    # Most rows of a new roster match nobody: find the few that do with plain SQL, then load
    # only those people.
    found = _existing_hashes(Person._meta.db_table, "id_number_hash", "id", hashes)
    existing: dict[str, Person] = {}
    matched = list(found)
    for start in range(0, len(matched), 500):
        people = Person.objects.filter(id_number_hash__in=matched[start : start + 500])
        for person in people.prefetch_related("categories"):
            existing[person.id_number_hash] = person
    merged = set(_existing_hashes(MergeRecord._meta.db_table, "merged_hash", "id", hashes))
    for (row, cleaned), digest in zip(candidates, hashes, strict=True):
        if digest in merged:
            column = plan.roster.heading("id_number")
            row.errors.append(roster.CellError(row.row, column, services.merged_number_message()))
            continue
        if not ctx.can_write(cleaned["region"].code):
            row.errors.append(
                roster.CellError(
                    row.row,
                    plan.roster.heading("village"),
                    _("This village does not exist or is outside your area."),
                )
            )
            continue
        person = existing.get(digest)
        if person is None:
            cleaned["id_number_hash"] = digest
            plan.new.append((row, cleaned))
            continue
        if not ctx.can_write(person.region_id):
            row.errors.append(
                roster.CellError(
                    row.row,
                    plan.roster.heading("id_number"),
                    _(
                        "This person is already registered outside your area. Ask the district "
                        "administrator to move them before importing."
                    ),
                )
            )
            continue
        if on_existing == OnExisting.SKIP:
            plan.unchanged.append((row, person))
            continue
        values = {k: v for k, v in row.values.items() if not k.startswith("_")}
        try:
            merged = services.clean_person(
                _merge_existing(person, values), by=by, ctx=ctx, current=person
            )
        except ValidationError as exc:
            _add_validation_errors(row, plan, exc)
            continue
        if _same(person, merged):
            plan.unchanged.append((row, person))
        else:
            plan.update.append((row, person, merged))


# -- writing ----------------------------------------------------------------------------------


def _log_rows(
    people: list[dict[str, Any]],
    action: int,
    *,
    by: Any,
    job: ImportJob | None,
    before: dict[int, dict],
    categories: dict[int, list[str]],
) -> list[dict[str, Any]]:
    """auditlog LogEntry rows (as column dicts for bulk_insert) for imported people.

    ``people`` are column dicts with ``id``; the changes use the same field names and text
    forms that auditlog writes for a single save, so the history page reads them alike.
    """
    content_type_id = ContentType.objects.get_for_model(Person).pk
    labels = services.category_labels()
    extra = {"import_job": job.pk} if job else None
    actor_id = by.pk if by is not None else None
    actor_email = getattr(by, "email", None) or None
    creating = action == LogEntry.Action.CREATE
    columns = [(name, AUDITED_COLUMN[name]) for name in AUDITED_FIELDS]
    rows = []
    for person in people:
        pk = person["id"]
        old = before.get(pk, {})
        new_values = [(name, person.get(column)) for name, column in columns]
        new_values.append(("categories", services.category_text(categories.get(pk, ()), labels)))
        changes = {}
        for name, value in new_values:
            new_text = "" if value is None or value == "" else str(value)
            if creating:
                if new_text:
                    changes[name] = ["None", new_text]
            elif old.get(name) != new_text:
                changes[name] = [old.get(name) or "None", new_text or "None"]
        # timestamp is left to its default: one "now" for the whole batch, converted once
        rows.append(
            {
                "content_type_id": content_type_id,
                "object_pk": str(pk),
                "object_id": pk,
                "object_repr": person["name"],
                "action": action,
                "changes": changes,
                "changes_text": "",
                "actor_id": actor_id,
                "actor_email": actor_email,
                "additional_data": extra,
            }
        )
    return rows


def _ids_by_hash(hashes: list[str]) -> dict[str, int]:
    return _existing_hashes(Person._meta.db_table, "id_number_hash", "id", hashes)


def _existing_hashes(table: str, column: str, key: str, hashes: list[str]) -> dict[str, int]:
    """{hash: id} for the hashes present in ``table``; plain SQL, 500 parameters a query."""
    quote = connection.ops.quote_name
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            # Only quoted model metadata is interpolated; the hashes are bound parameters.
            cursor.execute(
                f"SELECT {quote(column)}, {quote(key)} FROM {quote(table)} "  # noqa: S608
                f"WHERE {quote(column)} IN ({marks})",
                chunk,
            )
            found.update(cursor.fetchall())
    return found


def _columns_of(person: Person) -> dict[str, Any]:
    columns = {attname: getattr(person, attname) for attname in AUDITED_COLUMN.values()}
    columns["id"] = person.pk
    columns["name"] = person.name
    return columns


def _snapshot(person: Person) -> dict[str, str]:
    snap = {}
    for name in AUDITED_FIELDS:
        value = getattr(person, "region_id" if name == "region" else name)
        snap[name] = "" if value in (None, "") else str(value)
    snap["categories"] = services.category_text(person.category_codes)
    return snap


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    relations: int


def apply_plan(
    plan: Plan,
    *,
    by: Any,
    job: ImportJob | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Write a plan without errors. Call inside a transaction."""
    if plan.error_rows:
        raise ImportRefused(_("The file has rows with errors; nothing was imported."))
    total = len(plan.new) + len(plan.update)
    done = 0
    created: list[int] = []
    for start in range(0, len(plan.new), BATCH):
        batch = plan.new[start : start + BATCH]
        rows = []
        for _row, cleaned in batch:
            columns = services.person_columns(cleaned)
            columns["created_by_id"] = by.pk if by is not None else None
            rows.append(columns)
        bulk_insert(Person, rows)
        ids = _ids_by_hash([r["id_number_hash"] for r in rows])
        for columns in rows:
            columns["id"] = ids[columns["id_number_hash"]]
        bulk_insert(
            PersonCategory,
            [
                {"person_id": columns["id"], "category": code}
                for columns, (_row, cleaned) in zip(rows, batch, strict=True)
                for code in cleaned["categories"]
            ],
        )
        bulk_insert(
            LogEntry,
            _log_rows(
                rows,
                LogEntry.Action.CREATE,
                by=by,
                job=job,
                before={},
                categories={
                    columns["id"]: cleaned["categories"]
                    for columns, (_row, cleaned) in zip(rows, batch, strict=True)
                },
            ),
        )
        created.extend(columns["id"] for columns in rows)
        done += len(batch)
        if progress:
            progress(done, total)
    for start in range(0, len(plan.update), BATCH):
        batch = plan.update[start : start + BATCH]
        before = {person.pk: _snapshot(person) for _row, person, _cleaned in batch}
        people = []
        new_categories = []
        for _row, person, cleaned in batch:
            current = set(person.category_codes)
            services.apply_cleaned(person, cleaned)
            person.version += 1
            person.updated_at = timezone.now()
            people.append(person)
            new_categories += [
                PersonCategory(person=person, category=c)
                for c in cleaned["categories"]
                if c not in current
            ]
        Person.objects.bulk_update(people, services.WRITTEN_FIELDS + ["version", "updated_at"])
        PersonCategory.objects.bulk_create(new_categories, ignore_conflicts=True)
        bulk_insert(
            LogEntry,
            _log_rows(
                [_columns_of(person) for person in people],
                LogEntry.Action.UPDATE,
                by=by,
                job=job,
                before=before,
                categories={person.pk: cleaned["categories"] for _row, person, cleaned in batch},
            ),
        )
        done += len(batch)
        if progress:
            progress(done, total)
    relations = _link_guardians(plan, created, by=by)
    return ImportResult(len(plan.new), len(plan.update), len(plan.unchanged), relations)


def _link_guardians(plan: Plan, created: list[int], *, by: Any) -> int:
    """A guardian column with an ID number becomes a guardian relation when that person is
    in the registry (in the file or already registered) within the importer's area."""
    person_of_row: dict[int, int] = {}
    for (row, _cleaned), pk in zip(plan.new, created, strict=True):
        person_of_row[row.row] = pk
    for row, person, _cleaned in plan.update:
        person_of_row[row.row] = person.pk
    for row, person in plan.unchanged:
        person_of_row[row.row] = person.pk
    rows_with_guardian = [
        (row, person_of_row[row.row])
        for row in plan.roster.rows
        if row.guardian.get("id_number") and row.row in person_of_row
    ]
    if not rows_with_guardian:
        return 0
    hashes = {crypto.blind_index(row.guardian["id_number"]) for row, _pk in rows_with_guardian}
    guardians = Person.objects.filter(id_number_hash__in=hashes)
    if by is not None:
        guardians = scope.visible(guardians, by)
    guardian_of = dict(guardians.values_list("id_number_hash", "pk"))
    children = [pk for _row, pk in rows_with_guardian]
    has_primary = set(
        Relation.objects.filter(person_id__in=children, is_primary_guardian=True).values_list(
            "person_id", flat=True
        )
    )
    existing = set(
        Relation.objects.filter(person_id__in=children, kind=RelationKind.GUARDIAN).values_list(
            "person_id", "relative_id"
        )
    )
    relations = []
    for row, pk in rows_with_guardian:
        guardian = guardian_of.get(crypto.blind_index(row.guardian["id_number"]))
        if guardian is None or guardian == pk or (pk, guardian) in existing:
            continue
        relations.append(
            Relation(
                person_id=pk,
                relative_id=guardian,
                kind=RelationKind.GUARDIAN,
                is_primary_guardian=pk not in has_primary,
            )
        )
        has_primary.add(pk)
        existing.add((pk, guardian))
    Relation.objects.bulk_create(relations)
    return len(relations)


# -- jobs -------------------------------------------------------------------------------------


def is_stalled(job: ImportJob, progress: dict[str, Any] | None) -> bool:
    """No progress report for two minutes: the worker died (or never picked the job up)."""
    if progress is not None:
        return progress["stale"]
    return timezone.now() - job.created_at > dt.timedelta(seconds=STALE_AFTER_SECONDS)


def import_job_create(
    *,
    by: Any,
    region_code: str,
    filename: str,
    content: bytes,
    category: str = "",
    on_existing: str = OnExisting.UPDATE,
) -> ImportJob:
    """Store an uploaded roster. Raises ValidationError for a file we will not read."""
    if not scope.can_write_region(by, region_code):
        raise Http404
    suffix = Path(filename).suffix.lower()
    if len(content) > max_upload_bytes():
        raise ValidationError({"file": [too_large_message(max_upload_bytes())]})
    try:
        uploads.check_spreadsheet(data=content, filename=filename)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    job = ImportJob(
        region_id=region_code,
        original_name=Path(filename).name[:255],
        category=category,
        on_existing=on_existing,
        created_by=by,
    )
    job.file.save(f"roster{suffix}", ContentFile(content), save=False)
    job.save()
    return job


def _read(job: ImportJob) -> list[list[Any]]:
    with job.file.open("rb") as handle:
        return roster.read_table(handle.read(), job.original_name)


def _error_file_path(job: ImportJob) -> Path:
    return Path(job.file.path).with_name(f"import-{job.pk}-errors.xlsx")


def error_file(job: ImportJob) -> Path | None:
    path = _error_file_path(job)
    return path if path.exists() else None


def _write_error_file(job: ImportJob, plan: Plan) -> None:
    from .exports import write_xlsx

    # CSV rows can be longer than the header (trailing commas): pad both to one width so
    # that 错误说明 is always the last column, under its heading.
    width = max([len(plan.roster.headings), *(len(row.cells) for row in plan.error_rows)])
    rows = []
    for row in plan.error_rows:
        cells = ["" if c is None else c for c in row.cells]
        cells += [""] * (width - len(cells))
        explanation = "；".join(f"{e.column}：{e.message}" for e in row.errors)
        rows.append([row.row, *cells, explanation])
    headings = plan.roster.headings + [""] * (width - len(plan.roster.headings))
    headings = [_("row"), *headings, "错误说明"]
    with open(_error_file_path(job), "wb") as handle:
        write_xlsx(handle, headings, rows, sheet=_("errors"))


def _reporter(job: ImportJob, phase: str) -> Callable[[int, int], None]:
    return lambda done, total: progress_set(f"import:{job.pk}", phase, done, total)


def import_job_check(job_id: int) -> ImportJob:
    """Read and check the file; record counts and errors. Writes nothing to the registry."""
    job = ImportJob.objects.select_related("region", "created_by").get(pk=job_id)
    started = time.monotonic()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING)
    progress_set(f"import:{job.pk}", "check", 0, 0)
    try:
        plan = plan_import(
            table=_read(job),
            region=job.region,
            by=job.created_by,
            category=job.category,
            on_existing=job.on_existing,
            progress=_reporter(job, "check"),
        )
    except roster.RosterError as exc:
        job.status = ImportStatus.FAILED
        job.message = str(exc)
        job.finished_at = timezone.now()
        job.save()
        return job
    errors = plan.errors
    job.rows_total = len(plan.roster.rows)
    job.count_new = len(plan.new)
    job.count_update = len(plan.update)
    job.count_unchanged = len(plan.unchanged)
    job.count_error = len(plan.error_rows)
    job.errors = [dataclasses.asdict(e) for e in errors[:ERRORS_KEPT_ON_PAGE]]
    job.status = ImportStatus.CHECKED
    job.elapsed_seconds = time.monotonic() - started
    job.message = ""
    if plan.error_rows:
        _write_error_file(job, plan)
    else:
        _save_candidates(job, plan)
    job.save()
    return job


def import_job_commit(job_id: int, *, by: Any) -> ImportJob:
    """Import a checked file in one transaction; on any error nothing changes.

    The job is marked done in the same transaction as the people it wrote: a worker killed at
    any moment leaves either nothing and the job "importing" (run it again: see
    :func:`import_jobs_resume_stalled`), or everything and the job done. A second run of the
    same task waits for the first on the job's row and then finds nothing to do.
    """
    job = ImportJob.objects.select_related("region").get(pk=job_id)
    if job.status != ImportStatus.IMPORTING:
        raise ImportRefused(_("This import is not waiting to run."))
    started = time.monotonic()
    progress_set(f"import:{job.pk}", "import", 0, 0)
    try:
        with transaction.atomic():
            claimed = ImportJob.objects.select_for_update().filter(
                pk=job.pk, status=ImportStatus.IMPORTING
            )
            if not claimed.exists():
                job.refresh_from_db()
                return job
            plan = _load_candidates(job, by=by) or plan_import(
                table=_read(job),
                region=job.region,
                by=by,
                category=job.category,
                on_existing=job.on_existing,
                progress=_reporter(job, "check"),
            )
            if plan.error_rows:
                raise ImportRefused(
                    ngettext(
                        "%(count)d row has an error now (the registry changed since the check); "
                        "nothing was imported. Check the file again.",
                        "%(count)d rows have errors now (the registry changed since the check); "
                        "nothing was imported. Check the file again.",
                        len(plan.error_rows),
                    )
                    % {"count": len(plan.error_rows)}
                )
            result = apply_plan(
                plan,
                by=by,
                job=job,
                progress=lambda done, total: progress_set(
                    f"import:{job.pk}", "import", done, total
                ),
            )
            claimed.update(
                status=ImportStatus.DONE,
                count_new=result.created,
                count_update=result.updated,
                count_unchanged=result.unchanged,
                count_error=0,
                finished_at=timezone.now(),
                elapsed_seconds=time.monotonic() - started,
                message=ngettext(
                    "%(relations)d guardian relation recorded.",
                    "%(relations)d guardian relations recorded.",
                    result.relations,
                )
                % {"relations": result.relations}
                if result.relations
                else "",
            )
    except (ImportRefused, roster.RosterError) as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, message=str(exc), finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    _plan_path(job).unlink(missing_ok=True)  # full ID numbers: keep them no longer than needed
    job.refresh_from_db()
    return job


def import_jobs_resume_stalled() -> list[int]:
    """Run again the jobs whose worker died (no progress for two minutes), from the start:
    a check writes nothing to the registry, and an interrupted import rolled back. The
    periodic task calls this every minute, so a killed worker delays an import, never loses
    it. Returns the ids of the jobs run again."""
    resumed = []
    running = [ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.IMPORTING]
    jobs = ImportJob.objects.filter(status__in=running).select_related("confirmed_by")
    for job in jobs.order_by("pk"):
        if not is_stalled(job, progress_get(f"import:{job.pk}")):
            continue
        if job.status == ImportStatus.IMPORTING and job.confirmed_by is not None:
            import_job_commit(job.pk, by=job.confirmed_by)
        else:
            import_job_check(job.pk)
        resumed.append(job.pk)
    return resumed


def import_job_confirm(*, by: Any, job: ImportJob) -> ImportJob:
    """Mark a checked, error-free job to be imported by the worker."""
    if not scope.can_write_region(by, job.region_id):
        raise Http404
    updated = ImportJob.objects.filter(
        pk=job.pk, status=ImportStatus.CHECKED, count_error=0
    ).update(status=ImportStatus.IMPORTING, confirmed_by=by)
    if not updated:
        raise ImportRefused(
            _("Only a checked file without errors can be imported. Fix the rows and upload again.")
        )
    job.refresh_from_db()
    return job


def run_file(
    *,
    path: Path,
    region_code: str,
    by: Any = None,
    category: str = "",
    on_existing: str = OnExisting.UPDATE,
    dry_run: bool = False,
) -> tuple[Plan, ImportResult | None]:
    """The management command's path: plan, and unless dry_run apply, in one transaction."""
    region = Region.objects.get(code=region_code)
    table = roster.read_table(path.read_bytes(), path.name)
    with transaction.atomic():
        plan = plan_import(
            table=table, region=region, by=by, category=category, on_existing=on_existing
        )
        if dry_run or plan.error_rows:
            return plan, None
        return plan, apply_plan(plan, by=by)


def _job_files(job: ImportJob) -> list[Path]:
    if not job.file:
        return []
    upload = Path(job.file.path)
    return [upload, _error_file_path(job), _plan_path(job)]


def import_files_purge(*, older_than: dt.timedelta) -> int:
    """Delete uploaded rosters (they hold ID numbers) of finished jobs; the record stays."""
    cutoff = timezone.now() - older_than
    jobs = ImportJob.objects.filter(created_at__lt=cutoff).exclude(file="")
    jobs = jobs.exclude(status__in=[ImportStatus.IMPORTING, ImportStatus.CHECKING])
    removed = 0
    for job in jobs:
        for path in _job_files(job):
            if path.exists():
                path.unlink()
                removed += 1
        ImportJob.objects.filter(pk=job.pk).update(file="")
    return removed
