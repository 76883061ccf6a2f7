"""Everything the platform holds about one person (PIPL Art. 45, 查阅复制): one JSON document
for machines and one workbook for people, built from the same snapshot.

The records are found generically: starting at the person, every model that points at a record
already found (a foreign key, a one-to-one, or a many-to-many to the person) is read, and from
each record found through a foreign key the walk goes on (a case → its notes, plan, visits …).
A new model with a foreign key to ``Person`` is therefore exported without touching this file;
``tests/test_personal_data.py`` fails if one is not. Records linked to a person by something
other than a foreign key (the justice-involved minors' referrals carry the minor's ID number)
come from finders that the owning app registers with :func:`register_root_finder`.

Every read goes through the scope gate with the exporting user, so a worker exports what they
may see: records of a closed programme or of an organisation outside their area stay out, and
the document says so.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from shegong import exports
from shegong.accounts import scope
from shegong.audit.models import AccessAction
from shegong.audit.services import access_record

from . import crypto
from .models import Person

FORMAT = "shegong.personal-data/1"
# How far the walk goes from the person (person → case → plan → task is three steps).
MAX_DEPTH = 4
# SQLite allows 999 bound parameters in older builds: look records up in chunks.
CHUNK = 500
HISTORY_LABEL = "auditlog.LogEntry"
# Fields never exported: keyed hashes mean nothing to a reader; masks repeat the full value;
# a worker's IP address in the access log is the worker's personal data, not the person's.
SKIPPED_SUFFIXES = ("_hash", "_masked")
SKIPPED_FIELDS = {"audit.AccessLog": {"ip_address"}}

# (person) → records linked to the person without a foreign key; the walk continues from them.
ROOT_FINDERS: list[Callable[[Person], list[models.Model]]] = []
# Model → (queryset, user) → the rows of it the user may read, for rules beyond the region
# (casework: confidential notes only for their readers).
READ_FILTERS: dict[type[models.Model], Callable[[QuerySet, Any], QuerySet]] = {}


def register_root_finder(finder: Callable[[Person], list[models.Model]]) -> None:
    if finder not in ROOT_FINDERS:
        ROOT_FINDERS.append(finder)


def register_read_filter(model: type[models.Model], rule: Callable[[QuerySet, Any], QuerySet]):
    READ_FILTERS[model] = rule


# ---- the walk ---------------------------------------------------------------------------------


def reverse_relations(model: type[models.Model]) -> Iterator[models.ForeignObjectRel]:
    """Relations that point at ``model`` from another model (hidden ``related_name="+"`` ones
    too: the access log and merge records point at people that way)."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete):
            continue
        if not (rel.one_to_many or rel.one_to_one or rel.many_to_many):
            continue
        target = rel.related_model
        if target is Person or target._meta.auto_created:
            continue
        yield rel


def reachable_models(start: type[models.Model] = Person) -> dict[str, type[models.Model]]:
    """Every model the walk can reach from ``start`` (by label), from the schema alone."""
    found: dict[str, type[models.Model]] = {}
    frontier = [(start, 0)]
    while frontier:
        model, depth = frontier.pop(0)
        for rel in reverse_relations(model):
            target = rel.related_model
            label = target._meta.label
            if label in found:
                continue
            found[label] = target
            if not rel.many_to_many and depth < MAX_DEPTH:
                frontier.append((target, depth + 1))
    return found


def _gate(queryset: QuerySet, user: Any) -> QuerySet:
    """The user's view of the rows (``user=None``: the system itself, everything)."""
    if user is None:
        return queryset
    if hasattr(queryset.model, "SCOPE_REGION_FIELD"):
        queryset = scope.visible(queryset, user)
    rule = READ_FILTERS.get(queryset.model)
    return rule(queryset, user) if rule else queryset


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def collect(person: Person, *, user: Any = None) -> dict[type[models.Model], list[models.Model]]:
    """The person and every record that hangs off them, per model, in the user's view."""
    found: dict[type[models.Model], dict[Any, models.Model]] = {Person: {person.pk: person}}
    frontier: list[tuple[type[models.Model], list[Any], int]] = [(Person, [person.pk], 0)]
    roots: dict[type[models.Model], list[Any]] = {}
    for finder in ROOT_FINDERS:
        for record in finder(person):
            roots.setdefault(type(record), []).append(record.pk)
    for model, pks in roots.items():
        visible = list(_gate(model._default_manager.filter(pk__in=pks), user))
        found.setdefault(model, {}).update((r.pk, r) for r in visible)
        frontier.append((model, [r.pk for r in visible], 1))
    while frontier:
        model, pks, depth = frontier.pop(0)
        if not pks:
            continue
        for rel in reverse_relations(model):
            target = rel.related_model
            new: list[models.Model] = []
            for chunk in _chunks(pks):
                rows = target._default_manager.filter(**{f"{rel.field.name}__in": chunk})
                for record in _gate(rows, user).order_by("pk"):
                    bucket = found.setdefault(target, {})
                    if record.pk not in bucket:
                        bucket[record.pk] = record
                        new.append(record)
            # A shared record (an activity the person attended) is listed, not walked into.
            if new and not rel.many_to_many and depth < MAX_DEPTH:
                frontier.append((target, [r.pk for r in new], depth + 1))
    return {model: list(records.values()) for model, records in found.items() if records}


# ---- the document -----------------------------------------------------------------------------


@dataclass
class Section:
    label: str
    title: str
    # field name → (column heading, choices or None)
    columns: dict[str, tuple[str, dict | None]]
    rows: list[dict[str, Any]] = field(default_factory=list)


def _fields(model: type[models.Model]) -> list[models.Field]:
    skipped = SKIPPED_FIELDS.get(model._meta.label, set())
    kept = []
    for f in model._meta.concrete_fields:
        if f.name in skipped or f.name.endswith(SKIPPED_SUFFIXES):
            continue
        kept.append(f)
    return kept


def _column_name(f: models.Field) -> str:
    return f.name.removesuffix("_encrypted")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


class _Labels:
    """Names for the foreign keys of the rows: one query per related model, not per row."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = {}
        self.names: dict[type[models.Model], dict[Any, str]] = {}

    def want(self, model: type[models.Model], pk: Any) -> None:
        if pk is not None:
            self.wanted.setdefault(model, set()).add(pk)

    def resolve(self) -> None:
        user_model = get_user_model()
        for model, pks in self.wanted.items():
            names: dict[Any, str] = {}
            for chunk in _chunks(sorted(pks, key=str)):
                if model is user_model:
                    rows = model._default_manager.filter(pk__in=chunk)
                    names.update((user.pk, str(user)) for user in rows)
                elif model is Person:
                    names.update(Person.objects.filter(pk__in=chunk).values_list("pk", "name"))
                else:
                    names.update(
                        (pk, str(obj)) for pk, obj in model._default_manager.in_bulk(chunk).items()
                    )
            self.names[model] = names

    def get(self, model: type[models.Model], pk: Any) -> str:
        return self.names.get(model, {}).get(pk, f"#{pk}")


def _section(model: type[models.Model], records: list[models.Model], labels: _Labels) -> Section:
    fields = _fields(model)
    columns: dict[str, tuple[str, dict | None]] = {"id": ("ID", None)}
    for f in fields:
        if f.primary_key:
            continue
        choices = {str(k): str(v) for k, v in f.flatchoices} if f.choices else None
        columns[_column_name(f)] = (str(f.verbose_name), choices)
    m2m = [f for f in model._meta.many_to_many if f.related_model is Person]
    for f in m2m:
        columns[f.name] = (str(f.verbose_name), None)
    section = Section(model._meta.label, str(model._meta.verbose_name_plural), columns)
    for record in records:
        row: dict[str, Any] = {"id": record.pk}
        for f in fields:
            if f.primary_key:
                continue
            value = getattr(record, f.attname)
            if f.name.endswith("_encrypted"):
                value = crypto.decrypt(value)
            elif f.is_relation:
                labels.want(f.related_model, value)
                value = {"id": value, "model": f.related_model._meta.label} if value else None
            row[_column_name(f)] = _json_value(value)
        section.rows.append(row)
    for f in m2m:
        # Shared records (an activity): only whether this person took part, not who else did.
        for row in section.rows:
            row[f.name] = True
    return section


def _history(found: dict[type[models.Model], list[models.Model]]) -> Section:
    """The change history (django-auditlog) of every record exported."""
    columns = {
        "timestamp": (_("time"), None),
        "actor": (_("by"), None),
        "action": (_("action"), {str(k): str(v) for k, v in LogEntry.Action.choices}),
        "object": (_("record"), None),
        "changes": (_("changes"), None),
    }
    section = Section(HISTORY_LABEL, _("Change history"), columns)
    entries: list[LogEntry] = []
    for model, records in found.items():
        if not auditlog.contains(model):
            continue
        content_type = ContentType.objects.get_for_model(model)
        for chunk in _chunks([str(r.pk) for r in records]):
            entries += LogEntry.objects.filter(
                content_type=content_type, object_pk__in=chunk
            ).select_related("actor", "content_type")
    entries.sort(key=lambda e: (e.timestamp, e.pk))
    for entry in entries:
        actor = entry.actor
        section.rows.append(
            {
                "id": entry.pk,
                "timestamp": _json_value(entry.timestamp),
                "actor": str(actor) if actor else "",
                "action": entry.action,
                "object": f"{entry.content_type.app_label}.{entry.content_type.model}"
                f"#{entry.object_pk}",
                "changes": entry.changes or {},
            }
        )
    return section


@dataclass
class PersonalData:
    person: Person
    generated_at: dt.datetime
    generated_by: str
    sections: list[Section]
    notes: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "person_id": self.person.pk,
            "generated_at": _json_value(self.generated_at),
            "generated_by": self.generated_by,
            "notes": self.notes,
            "sections": {
                s.label: {
                    "title": s.title,
                    "columns": {name: heading for name, (heading, _c) in s.columns.items()},
                    "rows": s.rows,
                }
                for s in self.sections
            },
        }


def personal_data(*, person: Person, by: Any) -> PersonalData:
    """Everything about ``person`` that ``by`` may see (a read: no access log written here)."""
    found = collect(person, user=by)
    labels = _Labels()
    ordered = sorted(found.items(), key=lambda item: (item[0] is not Person, item[0]._meta.label))
    sections = [_section(model, records, labels) for model, records in ordered]
    labels.resolve()
    for section in sections:
        for row in section.rows:
            for value in row.values():
                if isinstance(value, dict) and set(value) == {"id", "model"}:
                    model = _model(value["model"])
                    value["label"] = labels.get(model, value["id"])
    sections.append(_history(found))
    return PersonalData(
        person=person,
        generated_at=timezone.now(),
        generated_by=getattr(by, "username", "") or "",
        sections=sections,
        notes=[
            _(
                "Records that your role or area does not let you see (a closed programme such as "
                "the justice-involved minors' programme, an institution outside your area) are "
                "not included: the programme or organisation holding them answers for them."
            )
        ],
    )


def _model(label: str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(label)


# ---- files ------------------------------------------------------------------------------------


def _display(value: Any, choices: dict | None) -> Any:
    if isinstance(value, dict) and "label" in value:
        return value["label"]
    if choices is not None and value is not None and str(value) in choices:
        return choices[str(value)]
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


def _sheet_titles(sections: Iterable[Section]) -> Iterator[str]:
    used: set[str] = set()
    for section in sections:
        base = exports._sheet_name(section.title)[:28]
        title, n = base, 2
        while title in used:
            title, n = f"{base} {n}", n + 1
        used.add(title)
        yield title


def workbook_bytes(data: PersonalData) -> bytes:
    """One sheet per kind of record, with Chinese headings; text a spreadsheet would run as a
    formula is neutralised (``shegong.exports``)."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    about = workbook.create_sheet(title=exports._sheet_name(_("About this export")))
    heading = WriteOnlyCell(about, value=_("Personal information held about this person"))
    heading.font = Font(bold=True, size=14)
    about.append([heading])
    about.append([_("person"), exports._cell(about, data.person.name), data.person.pk])
    about.append([_("exported at"), exports._cell(about, data.generated_at)])
    about.append([_("exported by"), exports._cell(about, data.generated_by)])
    for note in data.notes:
        about.append([exports._cell(about, note)])
    for section, title in zip(data.sections, _sheet_titles(data.sections), strict=True):
        sheet = workbook.create_sheet(title=title)
        names = list(section.columns)
        header = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=str(section.columns[name][0]))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in section.rows:
            sheet.append(
                [
                    exports._cell(sheet, _display(row.get(name), section.columns[name][1]))
                    for name in names
                ]
            )
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def zip_bytes(data: PersonalData) -> bytes:
    """personal-data.json and personal-data.xlsx in one archive: one download, one record in
    the access log, and both files from the same moment."""
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "personal-data.json", json.dumps(data.as_json(), ensure_ascii=False, indent=2)
        )
        archive.writestr("personal-data.xlsx", workbook_bytes(data))
    return handle.getvalue()


def personal_data_export(*, by: Any, person: Person, request: Any = None) -> PersonalData:
    """The export of a person's data for their access request, written to the access log.

    Only users who may change the person's record (registry roles in the person's area) ask
    for it; the caller fetched ``person`` with ``write=True`` (404 otherwise)."""
    if not scope.can_write_region(by, person.region_id):
        raise Http404
    data = personal_data(person=person, by=by)
    access_record(
        user=by,
        action=AccessAction.EXPORT,
        obj=person,
        person=person,
        field="personal_data",
        detail=_("Personal information export (PIPL access and copy)"),
        request=request,
    )
    return data


def filename(person: Person, suffix: str) -> str:
    day = timezone.localdate().isoformat()
    return f"personal-data-{person.pk}-{day}.{suffix}"
