from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shegong.regions.models import Region

from . import crypto


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PersonStatus(models.TextChoices):
    # 在册: lives in the village and is served
    ACTIVE = "active", _("Active")
    # 迁出: moved away; kept for history
    MOVED = "moved", _("Moved away")
    # 死亡: deceased; kept for history
    DECEASED = "deceased", _("Deceased")
    # 已合并: a duplicate merged into another record; kept for history, hidden from lists
    MERGED = "merged", _("Merged into another record")


class Category(models.TextChoices):
    """Registry categories a worker records. 'Elderly' and 'child' come from the birth date."""

    # 低保: minimum living allowance household member
    DIBAO = "dibao", _("Dibao (minimum living allowance)")
    # 特困: person in extreme difficulty (support for the destitute)
    TEKUN = "tekun", _("Tekun (extreme difficulty)")
    # 残疾人: holds a disability certificate (kind and grade on the person)
    DISABLED = "disabled", _("Disabled")
    # 留守儿童: both parents work away, or one away and the other unable to care
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")
    # 困境儿童: child in difficulty
    CHILD_IN_DIFFICULTY = "child_in_difficulty", _("Child in difficulty")
    # 孤儿 / 事实无人抚养儿童
    ORPHAN = "orphan", _("Orphan or de facto unsupported child")
    # 独居老人
    LIVING_ALONE = "living_alone", _("Living alone")
    # 空巢老人
    EMPTY_NEST = "empty_nest", _("Empty-nest elderly")
    # 失能老人
    DISABLED_ELDERLY = "disabled_elderly", _("Elderly with lost abilities")
    # 计划生育特殊家庭
    FAMILY_PLANNING_SPECIAL = "family_planning_special", _("Family-planning special family")


# Derived categories, computed from the date of birth, filterable like the stored ones.
DERIVED_CATEGORIES = {
    "elderly": _("Elderly (60+)"),
    "child": _("Child (under 18)"),
    # The dashboard's figures: under 18 and recorded so (orphans count as in difficulty).
    "children_in_difficulty": _("Children in difficulty or orphaned (under 18)"),
    "left_behind_children": _("Left-behind children (under 18)"),
}
# The recorded categories each derived children's category stands for.
CHILD_GROUPS = {
    "children_in_difficulty": ("child_in_difficulty", "orphan"),
    "left_behind_children": ("left_behind_child",),
}


class DisabilityKind(models.TextChoices):
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class DisabilityGrade(models.IntegerChoices):
    ONE = 1, _("Grade 1 (most severe)")
    TWO = 2, _("Grade 2")
    THREE = 3, _("Grade 3")
    FOUR = 4, _("Grade 4")


class Household(models.Model):
    SCOPE_REGION_FIELD = "region__code"

    region = models.ForeignKey(
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="households"
    )
    number = models.CharField(_("household number"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number or self.address or str(self.pk)


class Person(models.Model):
    SCOPE_REGION_FIELD = "region__code"

    # No index of its own: name search is "contains", which no index serves; lists use the
    # (region, name, id, status) index below. Every index costs on a 100,000-row import.
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"), db_index=True)
    # ID number and phone: ciphertext at rest, keyed hash for exact lookup, mask for lists.
    id_number_encrypted = models.TextField(editable=False, blank=True)
    id_number_hash = models.CharField(max_length=64, editable=False, unique=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_hash = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("village"),
        on_delete=models.PROTECT,
        related_name="people",
        db_index=False,  # the composite indexes below start with region
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    disability_kind = models.CharField(
        _("disability kind"), max_length=20, choices=DisabilityKind.choices, blank=True
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"), choices=DisabilityGrade.choices, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    # When the status became moved or deceased (retention runs from it); null while active, or
    # when the day is unknown (then the record is never anonymised automatically).
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # Set once the personal data were removed after the retention period (people/retention.py).
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # never looked up by creator
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["region_id", "name", "id"]
        indexes = [
            models.Index(fields=["region", "birth_date"], name="person_region_birth"),
            # Lists hide merged records unless filtered by status: with the status in the index,
            # their COUNT is answered from the index alone and the page comes in display order
            # (region, name, id) without a sort, on SQLite and PostgreSQL alike (bench/people.py).
            models.Index(
                fields=["region", "name", "id", "status"], name="person_region_name_status"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disability_grade__isnull=True)
                | models.Q(disability_grade__gte=1, disability_grade__lte=4),
                name="person_disability_grade_1_4",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:detail", args=[self.pk])

    @property
    def id_number(self) -> str:
        """The full number. Only services that log the reveal may call this."""
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def age(self) -> int:
        return self.age_on(dt.date.today())

    @property
    def is_minor(self) -> bool:
        return self.age < 18

    @property
    def is_elderly(self) -> bool:
        return self.age >= 60

    @property
    def category_codes(self) -> list[str]:
        return [c.category for c in self.categories.all()]


class PersonCategory(models.Model):
    SCOPE_REGION_FIELD = "person__region__code"

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="categories"
    )
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["person", "category"], name="person_category_once"),
        ]
        indexes = [models.Index(fields=["category", "person"], name="category_person")]

    def __str__(self) -> str:
        return self.get_category_display()


class RelationKind(models.TextChoices):
    PARENT = "parent", _("Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    GUARDIAN = "guardian", _("Guardian")
    SPOUSE = "spouse", _("Spouse")
    SIBLING = "sibling", _("Sibling")
    CHILD = "child", _("Child")
    OTHER = "other", _("Other relative")


class Relation(models.Model):
    """``relative`` is the ``kind`` of ``person`` (relative is the parent of person)."""

    SCOPE_REGION_FIELD = "person__region__code"

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="relations"
    )
    relative = models.ForeignKey(
        Person, verbose_name=_("relative"), on_delete=models.CASCADE, related_name="relation_of"
    )
    kind = models.CharField(_("relation"), max_length=20, choices=RelationKind.choices)
    is_primary_guardian = models.BooleanField(_("primary guardian"), default=False)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "relative", "kind"], name="relation_unique_kind"
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(is_primary_guardian=True),
                name="relation_one_primary_guardian",
            ),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("relative")), name="relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.relative} → {self.person} ({self.get_kind_display()})"


class ImportStatus(models.TextChoices):
    # 已上传: the file is stored, checking has not started
    UPLOADED = "uploaded", _("Uploaded")
    # 检查中: rows are being read and checked (nothing written)
    CHECKING = "checking", _("Checking")
    # 待确认: checked; the preview waits for the user's confirmation
    CHECKED = "checked", _("Checked, waiting for confirmation")
    # 导入中: the confirmed import runs in one transaction
    IMPORTING = "importing", _("Importing")
    # 已完成: committed
    DONE = "done", _("Imported")
    # 失败: the file could not be read, or the import was refused; the registry is unchanged
    FAILED = "failed", _("Failed")


class OnExisting(models.TextChoices):
    UPDATE = "update", _("Update them with the file's values")
    SKIP = "skip", _("Leave them as they are")


class ImportJob(models.Model):
    """One roster file on its way into the registry: upload → check → confirm → import."""

    SCOPE_REGION_FIELD = "region__code"

    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    category = models.CharField(
        _("category for every row"), max_length=30, choices=Category.choices, blank=True
    )
    on_existing = models.CharField(
        _("people already in the registry"),
        max_length=10,
        choices=OnExisting.choices,
        default=OnExisting.UPDATE,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    count_new = models.PositiveIntegerField(_("new"), default=0)
    count_update = models.PositiveIntegerField(_("update"), default=0)
    count_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    count_error = models.PositiveIntegerField(_("errors"), default=0)
    # The first errors for the page; every error row is in the downloadable error file.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    elapsed_seconds = models.FloatField(_("seconds"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("people:import_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in {ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.IMPORTING}


class MergeRecord(models.Model):
    """A probable duplicate merged into the person kept; the merged record stays, marked."""

    kept = models.ForeignKey(
        Person, verbose_name=_("person kept"), on_delete=models.PROTECT, related_name="+"
    )
    merged = models.OneToOneField(
        Person, verbose_name=_("person merged"), on_delete=models.PROTECT, related_name="+"
    )
    # The blind index of the merged record's (mistyped) ID number: a roster that still carries
    # it is caught instead of registering the person a third time.
    merged_hash = models.CharField(max_length=64, db_index=True, blank=True)
    moved = models.JSONField(_("what was moved"), default=dict)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id}"


class NotDuplicate(models.Model):
    """A reviewer said these two are different people; the pair is not proposed again."""

    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("not a duplicate")
        verbose_name_plural = _("not duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="not_duplicate_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="not_duplicate_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """An .xlsx export of a people list, built in the background; only its creator fetches it."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    params = models.JSONField(_("filters"), default=dict)
    unmasked = models.BooleanField(_("full ID numbers and phones"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    file_path = models.CharField(max_length=500, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk}"
