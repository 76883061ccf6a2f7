from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shegong.people.models import Person


class Colour(models.TextChoices):
    # 红卡: high risk
    RED = "red", _("Red (high risk)")
    # 橙卡: medium risk
    ORANGE = "orange", _("Orange (medium risk)")
    # 蓝卡: low risk
    BLUE = "blue", _("Blue (low risk)")


COLOUR_RANK = {Colour.BLUE: 0, Colour.ORANGE: 1, Colour.RED: 2}


class Difficulty(models.TextChoices):
    POVERTY = "poverty", _("Family poverty")
    DISABILITY = "disability", _("Disability or serious illness")
    ABUSE = "abuse", _("Abuse")
    ABANDONMENT = "abandonment", _("Abandonment")
    NEGLECT = "neglect", _("Neglect or improper guardianship")
    UNSUPPORTED = "unsupported", _("De facto unsupported child")
    ORPHAN = "orphan", _("Orphan")
    LEFT_BEHIND = "left_behind", _("Left-behind child")


class ParentSituation(models.TextChoices):
    PRESENT = "present", _("At home")
    WORKING_AWAY = "working_away", _("Working away")
    IN_CUSTODY = "in_custody", _("In custody or serving a sentence")
    ILL = "ill", _("Seriously ill")
    DISABLED = "disabled", _("Severely disabled")
    MISSING = "missing", _("Missing")
    DECEASED = "deceased", _("Deceased")
    UNKNOWN = "unknown", _("Unknown")


class GuardianCapacity(models.TextChoices):
    ADEQUATE = "adequate", _("Adequate")
    LIMITED = "limited", _("Limited")
    NONE = "none", _("None")


class ChildProfile(models.Model):
    """The minors-protection file of a person under 18 (困境儿童档案)."""

    SCOPE_REGION_FIELD = "person__region__code"

    person = models.OneToOneField(
        Person, verbose_name=_("child"), on_delete=models.PROTECT, related_name="child_profile"
    )
    difficulties = models.JSONField(_("kinds of difficulty"), default=list, blank=True)
    father = models.CharField(
        _("father"), max_length=20, choices=ParentSituation.choices, default=ParentSituation.UNKNOWN
    )
    mother = models.CharField(
        _("mother"), max_length=20, choices=ParentSituation.choices, default=ParentSituation.UNKNOWN
    )
    guardian_capacity = models.CharField(
        _("guardian's capacity"),
        max_length=10,
        choices=GuardianCapacity.choices,
        default=GuardianCapacity.ADEQUATE,
    )
    guardian_notes = models.TextField(_("guardian situation"), blank=True)
    school = models.CharField(_("school"), max_length=100, blank=True)
    grade = models.CharField(_("grade"), max_length=30, blank=True)
    health = models.TextField(_("health"), blank=True)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible child director"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children_directed",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children_supervised",
    )
    colour = models.CharField(_("colour card"), max_length=10, choices=Colour.choices, blank=True)
    colour_since = models.DateTimeField(_("colour since"), null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    next_assessment_due = models.DateField(_("next reassessment due"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("child profile")
        verbose_name_plural = _("child profiles")
        indexes = [models.Index(fields=["colour"]), models.Index(fields=["next_visit_due"])]

    def __str__(self) -> str:
        return str(self.person)

    def get_absolute_url(self) -> str:
        return reverse("children:card", args=[self.person_id])


class Instrument(models.Model):
    """A versioned risk-assessment instrument. Only a draft may be edited; one is current."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    # A total at or above red_from is red, at or above orange_from orange, else blue.
    red_from = models.PositiveIntegerField(_("red from (total score)"))
    orange_from = models.PositiveIntegerField(_("orange from (total score)"))
    is_current = models.BooleanField(_("in use"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment instrument")
        verbose_name_plural = _("assessment instruments")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current"
            ),
            models.CheckConstraint(
                condition=models.Q(red_from__gt=models.F("orange_from")), name="red_above_orange"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class Dimension(models.Model):
    instrument = models.ForeignKey(
        Instrument,
        verbose_name=_("instrument"),
        on_delete=models.CASCADE,
        related_name="dimensions",
    )
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=2, default=1)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="dimension_key_once")
        ]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    dimension = models.ForeignKey(
        Dimension, verbose_name=_("dimension"), on_delete=models.CASCADE, related_name="items"
    )
    key = models.SlugField(_("key"), max_length=60)
    text = models.CharField(_("question"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class Option(models.Model):
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="options"
    )
    value = models.SlugField(_("value"), max_length=40)
    label = models.CharField(_("answer"), max_length=200)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    # Choosing an emergency answer makes the card red whatever the total.
    emergency = models.BooleanField(_("emergency"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "value"], name="option_value_once")]

    def __str__(self) -> str:
        return self.label


class RiskAssessment(models.Model):
    """One structured assessment; the card's colour history is the list of these."""

    SCOPE_REGION_FIELD = "child__person__region__code"

    child = models.ForeignKey(
        ChildProfile, verbose_name=_("child"), on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(_("answers"))
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    dimension_scores = models.JSONField(_("dimension scores"))
    drivers = models.JSONField(_("items that decided the grade"))
    computed_colour = models.CharField(_("computed colour"), max_length=10, choices=Colour.choices)
    colour = models.CharField(_("colour"), max_length=10, choices=Colour.choices)
    override_reason = models.TextField(_("reason for overriding"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessed_at = models.DateTimeField(_("assessed at"), auto_now_add=True)
    # Set when a worker overrides the computed colour after seeing the result.
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    overridden_at = models.DateTimeField(_("overridden at"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(colour=models.F("computed_colour"))
                | ~models.Q(override_reason=""),
                name="override_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} {self.colour} {self.assessed_at:%Y-%m-%d}"

    @property
    def is_override(self) -> bool:
        return self.colour != self.computed_colour


class InterventionRule(models.Model):
    """What a colour demands (configurable; defaults from the district's practice)."""

    colour = models.CharField(_("colour"), max_length=10, choices=Colour.choices, unique=True)
    case_within_hours = models.PositiveIntegerField(
        _("open a case within (hours)"), null=True, blank=True
    )
    case_recommended = models.BooleanField(_("case recommended"), default=False)
    visit_every_days = models.PositiveIntegerField(_("visit at least every (days)"))
    reassess_every_days = models.PositiveIntegerField(_("reassess every (days)"))
    supervisor_reviews_plan = models.BooleanField(_("supervisor reviews the plan"), default=False)

    class Meta:
        verbose_name = _("intervention rule")
        verbose_name_plural = _("intervention rules")
        ordering = ["-visit_every_days"]

    def __str__(self) -> str:
        return self.get_colour_display()
