"""Probable duplicates in the registry, and merging two records of one person.

ID numbers are unique, so exact duplicates cannot exist; what slips in are the same person
under a mistyped ID number, or registered twice by two villages. Three signals, within the
reviewer's scope: the same name and date of birth; the same name and ID numbers that differ in
one of the first 17 characters; the same name in the same household.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.accounts import scope
from shegong.audit.models import AccessLog
from shegong.regions.models import under_prefix

from .models import MergeRecord, NotDuplicate, Person, PersonStatus, Relation

REASONS = {
    "birth": gettext_lazy("same name and date of birth"),
    "id": gettext_lazy("same name, ID numbers one digit apart"),
    "household": gettext_lazy("same name in the same household"),
}
# Rows that must stay with the record they describe.
NOT_MOVED = {MergeRecord, NotDuplicate, AccessLog}


@dataclass
class DuplicatePair:
    first: Person
    second: Person
    reasons: list[str] = field(default_factory=list)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[r]) for r in self.reasons]


def _one_digit_apart(people: list[Person]) -> set[tuple[int, int]]:
    """Pairs whose ID numbers differ in exactly one of the first 17 characters.

    Each number yields 17 keys with one position blanked; two numbers share a key exactly when
    they differ at most in that position. Linear in the group size, not quadratic.
    """
    buckets: dict[str, list[int]] = defaultdict(list)
    for person in people:
        first17 = person.id_number[:17]
        for i in range(17):
            buckets[first17[:i] + "*" + first17[i + 1 :]].append(person.pk)
    pairs = set()
    for ids in buckets.values():
        for a_index, a in enumerate(ids):
            for b in ids[a_index + 1 :]:
                pairs.add((min(a, b), max(a, b)))
    return pairs


def probable_duplicates(*, fetched_by: Any, region: str = "") -> list[DuplicatePair]:
    people = scope.visible(Person.objects.exclude(status=PersonStatus.MERGED), fetched_by)
    if region:
        people = people.filter(under_prefix("region__code", region))
    repeated = (
        people.values("name").annotate(n=Count("id")).filter(n__gt=1).values_list("name", flat=True)
    )
    candidates = list(
        people.filter(name__in=list(repeated)).select_related("region", "region__parent")
    )
    by_name: dict[str, list[Person]] = defaultdict(list)
    for person in candidates:
        by_name[person.name].append(person)
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    for group in by_name.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                key = (min(a.pk, b.pk), max(a.pk, b.pk))
                if a.birth_date == b.birth_date:
                    found[key].add("birth")
                if a.household_id and a.household_id == b.household_id:
                    found[key].add("household")
        for key in _one_digit_apart(group):
            found[key].add("id")
    dismissed = set(
        NotDuplicate.objects.filter(
            Q(first_id__in=[k[0] for k in found]) | Q(second_id__in=[k[1] for k in found])
        ).values_list("first_id", "second_id")
    )
    by_pk = {p.pk: p for p in candidates}
    pairs = [
        DuplicatePair(by_pk[a], by_pk[b], sorted(reasons))
        for (a, b), reasons in found.items()
        if (a, b) not in dismissed
    ]
    pairs.sort(key=lambda p: (-len(p.reasons), p.first.region_id, p.first.name, p.first.pk))
    return pairs


def pair_dismiss(*, by: Any, first: Person, second: Person) -> NotDuplicate:
    a, b = sorted([first.pk, second.pk])
    record, _created = NotDuplicate.objects.get_or_create(
        first_id=a, second_id=b, defaults={"decided_by": by}
    )
    return record


def _move_related(keep: Person, merge: Person) -> dict[str, int]:
    """Point every row that refers to ``merge`` at ``keep``; rows that would clash are dropped.

    Generic over Person's reverse relations, so records added by later programmes (cases,
    visits, assessments) move too without this function knowing them.
    """
    if Relation.objects.filter(person=keep, is_primary_guardian=True).exists():
        Relation.objects.filter(person=merge, is_primary_guardian=True).update(
            is_primary_guardian=False
        )
    moved: dict[str, int] = {}
    for relation in Person._meta.related_objects:
        model = relation.related_model
        if model in NOT_MOVED or not (relation.one_to_many or relation.one_to_one):
            continue
        name = relation.field.name
        label = f"{model._meta.label_lower}.{name}"
        for row in model.objects.filter(**{name: merge}):
            setattr(row, name, keep)
            try:
                with transaction.atomic():
                    row.save(update_fields=[name])
                moved[label] = moved.get(label, 0) + 1
            except IntegrityError:
                # keep already has it (a category, a relation), or it would point at itself
                row.delete()
                moved[label + ".dropped"] = moved.get(label + ".dropped", 0) + 1
    return moved


def person_merge(*, by: Any, keep: Person, merge: Person, reason: str = "") -> MergeRecord:
    """Merge ``merge`` into ``keep``. The merged record stays, marked, for the history."""
    if keep.pk == merge.pk:
        raise ValidationError(_("Choose two different records to merge."))
    with transaction.atomic(), set_actor(by):
        locked = scope.visible(
            Person.objects.select_for_update().filter(pk__in=[keep.pk, merge.pk]), by, write=True
        )
        found = {p.pk: p for p in locked}
        if len(found) != 2:
            raise ValidationError(_("One of the records is outside your area."))
        keep, merge = found[keep.pk], found[merge.pk]
        if PersonStatus.MERGED in (keep.status, merge.status):
            raise ValidationError(_("One of the records has already been merged."))
        moved = _move_related(keep, merge)
        filled = []
        for attr in ("phone_encrypted", "address", "household_id", "disability_kind", "notes"):
            if not getattr(keep, attr) and getattr(merge, attr):
                setattr(keep, attr, getattr(merge, attr))
                filled.append(attr)
        if "phone_encrypted" in filled:
            keep.phone_hash, keep.phone_masked = merge.phone_hash, merge.phone_masked
            merge.phone_hash = ""
        if "disability_kind" in filled:
            keep.disability_grade = merge.disability_grade
        keep.version += 1
        keep.save()
        merged_hash = merge.id_number_hash
        merge.status = PersonStatus.MERGED
        # Free the ID number (the kept record's is the right one); the ciphertext stays.
        merge.id_number_hash = f"merged:{merge.pk}"
        merge.household = None
        merge.version += 1
        merge.save()
        moved["filled"] = filled
        record = MergeRecord.objects.create(
            kept=keep,
            merged=merge,
            merged_hash=merged_hash,
            moved=moved,
            reason=reason[:200],
            merged_by=by,
        )
    return record


def merged_into(person: Person) -> Person | None:
    record = MergeRecord.objects.filter(merged=person).select_related("kept").first()
    return record.kept if record else None


def merged_from(person: Person) -> list[Person]:
    return [r.merged for r in MergeRecord.objects.filter(kept=person).select_related("merged")]
