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

    name = models.CharField(_("name"), max_length=50, db_index=True)
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
        Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="people"
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
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["region_id", "name", "id"]
        indexes = [
            models.Index(fields=["region", "name"], name="person_region_name"),
            models.Index(fields=["region", "birth_date"], name="person_region_birth"),
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
