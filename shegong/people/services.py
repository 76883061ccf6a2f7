"""Writes to the people registry. Every function checks scope, validates, and runs atomically."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.accounts import scope
from shegong.audit.models import AccessAction
from shegong.audit.services import access_record
from shegong.regions.models import Level, Region

from . import crypto, idnumbers
from .models import (
    Category,
    DisabilityKind,
    Household,
    MergeRecord,
    Person,
    PersonCategory,
    PersonStatus,
    Relation,
    RelationKind,
    Sex,
)

# Enum .values builds a new list on every access; validation runs per row of an import.
SEXES = frozenset(Sex.values)
STATUSES = frozenset(PersonStatus.values)
CATEGORIES = frozenset(Category.values)
DISABILITY_KINDS = frozenset(DisabilityKind.values)
PHONE_RE = re.compile(r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$")
EDITABLE_FIELDS = {
    "name",
    "sex",
    "birth_date",
    "id_number",
    "phone",
    "region_code",
    "address",
    "household_id",
    "status",
    "categories",
    "disability_kind",
    "disability_grade",
    "notes",
}


class DuplicatePerson(Exception):
    """Another person already has this ID number (the existing one may be out of scope)."""

    def __init__(self, existing_id: int | None = None):
        super().__init__(_("A person with this ID number is already in the registry."))
        self.existing_id = existing_id


class StaleVersion(Exception):
    """The record changed since the caller read it."""

    def __init__(self, current_version: int):
        super().__init__(
            _(
                "Someone else changed this record while you were editing it. "
                "Reload to see their changes, then apply yours again."
            )
        )
        self.current_version = current_version


def normalise_phone(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s()（）]", "", text)


class CleanContext:
    """What validation needs from the database, looked up once per call (or once per import).

    ``user=None`` is the system operator (a management command): every region is writable.
    """

    def __init__(self, user: Any, regions: dict[str, Region] | None = None):
        self.user = user
        self._regions = regions
        self._areas: dict[str, bool] = {}
        self._households: dict[int, Household | None] = {}
        self._writable: dict[str, bool] = {}

    def region(self, code: str) -> Region | None:
        if self._regions is not None:
            return self._regions.get(code)
        return Region.objects.filter(code=code).first()

    def can_write(self, code: str) -> bool:
        if self.user is None:
            return True
        if code not in self._writable:
            self._writable[code] = scope.can_write_region(self.user, code)
        return self._writable[code]

    def household(self, pk: int) -> Household | None:
        if pk not in self._households:
            households = Household.objects.all()
            if self.user is not None:
                households = scope.visible(households, self.user)
            self._households[pk] = households.filter(pk=pk).first()
        return self._households[pk]

    def known_area(self, number: str) -> bool:
        area = number[:6]
        if area not in self._areas:
            self._areas[area] = idnumbers.known_area(number)
        return self._areas[area]


def _clean(
    data: dict[str, Any], *, user: Any, current: Person | None, ctx: CleanContext | None = None
) -> dict[str, Any]:
    """Validate a full set of person fields; raise ValidationError with per-field messages."""
    ctx = ctx or CleanContext(user)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", data.get("name") or ""))
    if not name:
        error("name", _("Please enter the name."))
    elif len(name) > 50:
        error("name", _("The name is longer than 50 characters."))
    cleaned["name"] = name

    parsed = None
    try:
        parsed = idnumbers.parse(data.get("id_number") or "", area_check=ctx.known_area)
        cleaned["id_number"] = parsed.number
    except idnumbers.IdNumberError as exc:
        error("id_number", str(exc))

    sex = data.get("sex") or ""
    if sex and sex not in SEXES:
        error("sex", _("Choose male or female."))
    if parsed:
        if sex and sex != parsed.sex:
            error(
                "sex",
                _("The ID number says %(sex)s; the sex chosen does not agree.")
                % {"sex": Sex(parsed.sex).label},
            )
        cleaned["sex"] = parsed.sex

    birth = data.get("birth_date")
    if isinstance(birth, str) and birth:
        try:
            birth = dt.date.fromisoformat(birth)
        except ValueError:
            error("birth_date", _("Enter the date of birth as YYYY-MM-DD."))
            birth = None
    if parsed:
        if birth and birth != parsed.birth_date:
            error(
                "birth_date",
                _("The ID number gives the date of birth %(date)s; the date entered differs.")
                % {"date": parsed.birth_date.isoformat()},
            )
        cleaned["birth_date"] = parsed.birth_date

    phone = normalise_phone(data.get("phone") or "")
    if phone and not PHONE_RE.match(phone):
        error(
            "phone",
            _("Enter an 11-digit mobile number or a landline with area code (0311-12345678)."),
        )
    cleaned["phone"] = phone

    region_code = (data.get("region_code") or "").strip()
    region = None
    if not region_code:
        error("region_code", _("Choose the village."))
    else:
        region = ctx.region(region_code)
        if region is None or not ctx.can_write(region_code):
            error("region_code", _("This village does not exist or is outside your area."))
        elif region.level != Level.VILLAGE:
            error("region_code", _("A person is registered in a village, not a township."))
    if current is not None and not ctx.can_write(current.region_id):
        raise Http404
    cleaned["region"] = region

    household_id = data.get("household_id")
    household = None
    if household_id:
        household = ctx.household(household_id)
        if household is None:
            error("household_id", _("This household does not exist or is outside your area."))
    cleaned["household"] = household

    status = data.get("status") or PersonStatus.ACTIVE
    if status not in STATUSES:
        error("status", _("Unknown status."))
    elif status == PersonStatus.MERGED and (current is None or current.status != status):
        error("status", _("Only merging two records marks one as merged."))
    elif current is not None and current.status == PersonStatus.MERGED:
        error("status", _("A merged record is kept as history and cannot be changed."))
    cleaned["status"] = status

    categories = list(dict.fromkeys(data.get("categories") or []))
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        error("categories", _("Unknown category: %(codes)s") % {"codes": ", ".join(unknown)})
    cleaned["categories"] = [c for c in categories if c in CATEGORIES]

    kind = data.get("disability_kind") or ""
    grade = data.get("disability_grade") or None
    if kind and kind not in DISABILITY_KINDS:
        error("disability_kind", _("Unknown disability kind."))
    if grade is not None:
        try:
            grade = int(grade)
        except (TypeError, ValueError):
            grade = 0
        if not 1 <= grade <= 4:
            error("disability_grade", _("The disability grade is 1 to 4."))
    if (kind or grade) and Category.DISABLED not in cleaned["categories"]:
        cleaned["categories"].append(Category.DISABLED)
    if Category.DISABLED in cleaned["categories"] and not (kind and grade):
        error("disability_kind", _("For a disabled person give the kind and grade of disability."))
    cleaned["disability_kind"] = kind
    cleaned["disability_grade"] = grade

    notes = data.get("notes") or ""
    if len(notes) > 5000:
        error("notes", _("The notes are longer than 5000 characters."))
    cleaned["notes"] = notes
    cleaned["address"] = (data.get("address") or "").strip()[:200]

    if errors:
        raise ValidationError(errors)
    return cleaned


def person_validate(*, by: Any, data: dict[str, Any], current: Person | None = None) -> None:
    """Raise the ValidationError that a create or update with ``data`` would raise."""
    _clean(data, user=by, current=current)


def clean_person(
    data: dict[str, Any], *, by: Any, ctx: CleanContext, current: Person | None = None
) -> dict[str, Any]:
    """Validated values for bulk callers (roster import), with a shared lookup context."""
    return _clean(data, user=by, current=current, ctx=ctx)


# The columns _apply writes (for bulk_update).
WRITTEN_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "phone_encrypted",
    "phone_hash",
    "phone_masked",
    "region",
    "address",
    "household",
    "status",
    "disability_kind",
    "disability_grade",
    "notes",
    "left_on",
]
# Statuses that end the service: the retention period (people/retention.py) runs from the day.
DEPARTED = frozenset({PersonStatus.MOVED, PersonStatus.DECEASED})


def apply_cleaned(person: Person, cleaned: dict[str, Any]) -> None:
    """Set a person's fields from validated values (encrypting ID number and phone)."""
    _apply(person, cleaned)


def person_columns(cleaned: dict[str, Any], *, keep_secrets_of: Person | None = None) -> dict:
    """Column values (by attribute name) for validated values; ID number and phone encrypted.

    With ``keep_secrets_of``, unchanged ID number and phone keep their existing ciphertexts
    (AES-GCM uses a fresh nonce, so re-encrypting would show a change where there is none).
    """
    number, phone = cleaned["id_number"], cleaned["phone"]
    # Bulk callers that already hashed the number (to find existing people) pass it along.
    number_hash = cleaned.get("id_number_hash") or crypto.blind_index(number)
    phone_hash = crypto.blind_index(phone)
    columns = {
        "name": cleaned["name"],
        "sex": cleaned["sex"],
        "birth_date": cleaned["birth_date"],
        "region_id": cleaned["region"].code,
        "address": cleaned["address"],
        "household_id": cleaned["household"].pk if cleaned["household"] else None,
        "status": cleaned["status"],
        "disability_kind": cleaned["disability_kind"],
        "disability_grade": cleaned["disability_grade"],
        "notes": cleaned["notes"],
        "left_on": _left_on(keep_secrets_of, cleaned["status"]),
    }
    old = keep_secrets_of
    if old is None or old.id_number_hash != number_hash:
        columns["id_number_encrypted"] = crypto.encrypt(number)
        columns["id_number_hash"] = number_hash
        columns["id_number_masked"] = crypto.mask_id_number(number)
    if old is None or old.phone_hash != phone_hash or not phone:
        columns["phone_encrypted"] = crypto.encrypt(phone)
        columns["phone_hash"] = phone_hash
        columns["phone_masked"] = crypto.mask_phone(phone)
    return columns


def _left_on(old: Person | None, status: str) -> dt.date | None:
    """The day a person left: today when the status first becomes moved or deceased (a moved
    person later reported deceased keeps the day they left), none while active."""
    if status not in DEPARTED:
        return None
    if old is not None and old.status in DEPARTED:
        return old.left_on
    return timezone.localdate()


def _apply(person: Person, cleaned: dict[str, Any]) -> None:
    for attname, value in person_columns(cleaned, keep_secrets_of=person).items():
        setattr(person, attname, value)
    # Keep the related objects cached for callers that use them after saving.
    person.region = cleaned["region"]
    person.household = cleaned["household"]


def _set_categories(person: Person, codes: list[str], *, by: Any) -> None:
    existing = set(person.categories.values_list("category", flat=True))
    wanted = set(codes)
    if existing == wanted:
        return
    if existing - wanted:
        PersonCategory.objects.filter(person=person, category__in=existing - wanted).delete()
    for code in sorted(wanted - existing):
        PersonCategory.objects.create(person=person, category=code)
    log_category_change(person, existing, wanted, by=by)


def category_text(codes, labels: dict[str, str] | None = None) -> str:
    """Categories as the history shows them: labels in the active language, 、-separated."""
    if not codes:
        return ""
    labels = labels or category_labels()
    return "、".join(labels[c] for c in sorted(codes))


def category_labels() -> dict[str, str]:
    return {code: str(label) for code, label in Category.choices}


def log_category_change(person: Person, old: set[str], new: set[str], *, by: Any) -> None:
    """Categories live in their own table; record their change on the person's history."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Person),
        object_pk=str(person.pk),
        object_id=person.pk,
        object_repr=str(person),
        action=LogEntry.Action.UPDATE,
        changes={"categories": [category_text(old) or "None", category_text(new) or "None"]},
        actor=by if getattr(by, "is_authenticated", False) else None,
    )


def _duplicate_check(number: str, exclude_pk: int | None) -> None:
    digest = crypto.blind_index(number)
    existing = Person.objects.filter(id_number_hash=digest)
    if exclude_pk:
        existing = existing.exclude(pk=exclude_pk)
    found = existing.values_list("pk", flat=True).first()
    if found:
        raise DuplicatePerson(found)
    if MergeRecord.objects.filter(merged_hash=digest).exists():
        raise ValidationError({"id_number": [merged_number_message()]})


def merged_number_message() -> str:
    return _(
        "This ID number belonged to a duplicate record that was merged into another person: "
        "it was probably mistyped. Check the number against the ID card."
    )


def person_create(*, by: Any, data: dict[str, Any], is_demo: bool = False) -> Person:
    """Register a person. Raises ValidationError (field → messages) or DuplicatePerson."""
    cleaned = _clean(data, user=by, current=None)
    with transaction.atomic(), set_actor(by):
        _duplicate_check(cleaned["id_number"], None)
        person = Person(created_by=by, is_demo=is_demo)
        _apply(person, cleaned)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:
            raise DuplicatePerson() from None
        _set_categories(person, cleaned["categories"], by=by)
    return person


def person_update(*, by: Any, person_id: int, version: int, changes: dict[str, Any]) -> Person:
    """Apply ``changes`` if ``version`` is still current; otherwise raise StaleVersion."""
    with transaction.atomic(), set_actor(by):
        person = scope.get_visible_or_404(
            Person.objects.select_for_update(), by, write=True, pk=person_id
        )
        if person.version != version:
            raise StaleVersion(person.version)
        data = person_as_input(person)
        if "id_number" in changes:
            # Sex and birth date come from the number: a corrected number brings its own,
            # unless the caller sends them too (then they must agree with it).
            data.update(sex="", birth_date=None)
        data.update({k: v for k, v in changes.items() if k in EDITABLE_FIELDS})
        cleaned = _clean(data, user=by, current=person)
        _duplicate_check(cleaned["id_number"], person.pk)
        _apply(person, cleaned)
        person.version += 1
        person.save()
        _set_categories(person, cleaned["categories"], by=by)
    return person


def person_as_input(person: Person) -> dict[str, Any]:
    """The person's current values in the shape person_create/person_update take."""
    return {
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date,
        "id_number": person.id_number,
        "phone": person.phone,
        "region_code": person.region_id,
        "address": person.address,
        "household_id": person.household_id,
        "status": person.status,
        "categories": person.category_codes,
        "disability_kind": person.disability_kind,
        "disability_grade": person.disability_grade,
        "notes": person.notes,
    }


def person_reveal(*, by: Any, person: Person, field: str, request: Any = None) -> str:
    """Show a masked field in full. Allowed for registry roles; every reveal is logged."""
    if field not in {"id_number", "phone"} or not scope.can_reveal(by):
        raise Http404
    value = person.id_number if field == "id_number" else person.phone
    access_record(
        user=by, action=AccessAction.REVEAL, obj=person, person=person, field=field, request=request
    )
    return value


def person_record_read(*, by: Any, person: Person, request: Any = None) -> None:
    """Reads of a minor's file are logged (PIPL: sensitive personal information)."""
    if person.is_minor:
        access_record(user=by, action=AccessAction.READ, obj=person, person=person, request=request)


def household_create(
    *, by: Any, region_code: str, number: str = "", address: str = ""
) -> Household:
    if not scope.can_write_region(by, region_code):
        raise Http404
    region = Region.objects.get(code=region_code)
    with transaction.atomic(), set_actor(by):
        return Household.objects.create(region=region, number=number, address=address)


def household_join(*, by: Any, person: Person, household: Household | None) -> Person:
    """Put a person into a household (or take them out with ``None``)."""
    with transaction.atomic(), set_actor(by):
        person = scope.get_visible_or_404(
            Person.objects.select_for_update(), by, write=True, pk=person.pk
        )
        if household is not None:
            scope.get_visible_or_404(Household.objects.all(), by, pk=household.pk)
        person.household = household
        person.version += 1
        person.save(update_fields=["household", "version", "updated_at"])
    return person


def relation_add(
    *,
    by: Any,
    person: Person,
    relative: Person,
    kind: str,
    is_primary_guardian: bool = False,
    notes: str = "",
) -> Relation:
    if kind not in RelationKind.values:
        raise ValidationError({"kind": [_("Unknown relation.")]})
    if person.pk == relative.pk:
        raise ValidationError({"relative": [_("A person cannot be their own relative.")]})
    with transaction.atomic(), set_actor(by):
        scope.get_visible_or_404(Person.objects.all(), by, write=True, pk=person.pk)
        scope.get_visible_or_404(Person.objects.all(), by, pk=relative.pk)
        if Relation.objects.filter(person=person, relative=relative, kind=kind).exists():
            raise ValidationError({"relative": [_("This relation is already recorded.")]})
        if is_primary_guardian:
            Relation.objects.filter(person=person, is_primary_guardian=True).update(
                is_primary_guardian=False
            )
        return Relation.objects.create(
            person=person,
            relative=relative,
            kind=kind,
            is_primary_guardian=is_primary_guardian,
            notes=notes,
        )


def relation_remove(*, by: Any, relation_id: int) -> None:
    with transaction.atomic(), set_actor(by):
        relation = scope.get_visible_or_404(
            Relation.objects.select_related("person"), by, write=True, pk=relation_id
        )
        relation.delete()
