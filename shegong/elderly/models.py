from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shegong.people import crypto
from shegong.people.models import Person


class Level(models.TextChoices):
    """GB/T 42195-2022 ability levels. The stored value is the standard's Chinese name (the API
    answers it whatever the language); the label follows the interface language."""

    # 能力完好: total 90
    INTACT = "能力完好", pgettext_lazy("ability level", "Ability intact")
    # 轻度失能: 66–89
    MILD = "轻度失能", pgettext_lazy("ability level", "Mildly disabled")
    # 中度失能: 46–65
    MODERATE = "中度失能", pgettext_lazy("ability level", "Moderately disabled")
    # 重度失能: 30–45
    SEVERE = "重度失能", pgettext_lazy("ability level", "Severely disabled")
    # 完全失能: 0–29, or in a coma
    COMPLETE = "完全失能", pgettext_lazy("ability level", "Completely disabled")


class LivingSituation(models.TextChoices):
    ALONE = "alone", _("Living alone")  # 独居
    EMPTY_NEST = "empty_nest", _("Empty nest")  # 空巢
    LEFT_BEHIND = "left_behind", _("Left behind")  # 留守
    INCAPACITATED = "incapacitated", _("Unable to care for themselves")  # 失能
    SEVERELY_DISABLED = "severely_disabled", _("Severely disabled (grade 1–2)")  # 重残
    SPECIAL_FAMILY = "special_family", _("Family-planning special family")  # 计划生育特殊家庭
    OLDEST_OLD = "oldest_old", _("Aged 80 or over")  # 高龄 80+


class HighRiskReason(models.TextChoices):
    # 刚报警: a smart device raised an alarm
    ALARM = "alarm", _("Alarm")
    # 刚出院: just discharged from hospital
    DISCHARGED = "discharged", _("Discharged from hospital")
    OTHER = "other", _("Other")


class ElderlyProfile(models.Model):
    """The elderly-care file of a person aged 60 or over (老年人档案)."""

    SCOPE_REGION_FIELD = "person__region__code"

    person = models.OneToOneField(
        Person, verbose_name=_("old person"), on_delete=models.PROTECT, related_name="elderly"
    )
    living_situations = models.JSONField(_("living situation"), default=list, blank=True)
    cognitive_impairment = models.BooleanField(
        _("diagnosed dementia or other cognitive impairment"), default=False
    )
    chronic_conditions = models.TextField(_("chronic conditions"), blank=True)
    care_arrangement = models.TextField(_("care arrangement"), blank=True)
    # The level of the latest ability assessment (blank until the first one).
    level = models.CharField(_("ability level"), max_length=10, choices=Level.choices, blank=True)
    level_since = models.DateTimeField(_("level since"), null=True, blank=True)
    next_assessment_due = models.DateField(_("next reassessment due"), null=True, blank=True)
    # Visits (探访关爱): set while the person's visit tier asks for visits, empty otherwise.
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    # High risk (just alarmed, just discharged) asks for weekly visits until this day included.
    high_risk_until = models.DateField(_("high risk until"), null=True, blank=True)
    # The day of the event that started the current high risk: a visit before it does not
    # answer it.
    high_risk_since = models.DateField(_("high risk since"), null=True, blank=True)
    high_risk_reason = models.CharField(
        _("reason for high risk"), max_length=20, choices=HighRiskReason.choices, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("elderly profile")
        verbose_name_plural = _("elderly profiles")
        indexes = [
            models.Index(fields=["level"]),
            models.Index(fields=["next_assessment_due"]),
            models.Index(fields=["next_visit_due"]),
        ]

    def __str__(self) -> str:
        return str(self.person)

    def get_absolute_url(self) -> str:
        return reverse("elderly:profile", args=[self.person_id])


class EmergencyContact(models.Model):
    """Someone to call for an old person; the phone is encrypted like a person's own."""

    SCOPE_REGION_FIELD = "profile__person__region__code"

    profile = models.ForeignKey(
        ElderlyProfile,
        verbose_name=_("elderly profile"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=30, blank=True)
    phone_encrypted = models.TextField(editable=False, blank=True)
    phone_hash = models.CharField(max_length=64, editable=False, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted)


class AbilityAssessment(models.Model):
    """One GB/T 42195-2022 assessment, signed by two assessors."""

    SCOPE_REGION_FIELD = "profile__person__region__code"

    profile = models.ForeignKey(
        ElderlyProfile,
        verbose_name=_("old person"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    items = models.JSONField(_("item scores"))
    coma = models.BooleanField(_("in a coma"), default=False)
    dementia_or_mental_disorder = models.BooleanField(
        _("diagnosed dementia or other mental disorder"), default=False
    )
    risk_events_30d = models.PositiveSmallIntegerField(
        _("care-risk events in the last 30 days"), default=0
    )
    total = models.PositiveSmallIntegerField(_("total"))
    part_scores = models.JSONField(_("part scores"))
    preliminary_level = models.CharField(
        _("preliminary level"), max_length=10, choices=Level.choices
    )
    level = models.CharField(_("ability level"), max_length=10, choices=Level.choices)
    adjustments = models.JSONField(_("adjustments"), default=list)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first assessor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    second_assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("second assessor"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    second_signed_at = models.DateTimeField(_("second assessor signed at"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), auto_now_add=True)
    next_due = models.DateField(_("reassessment due"))

    class Meta:
        verbose_name = _("ability assessment")
        verbose_name_plural = _("ability assessments")
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__lte=90), name="ability_total_0_90"),
            # The standard wants two different people to sign.
            models.CheckConstraint(
                condition=~models.Q(second_assessor=models.F("assessed_by")),
                name="two_different_assessors",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} {self.level} {self.assessed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("elderly:assessment", args=[self.profile.person_id, self.pk])

    @property
    def is_signed(self) -> bool:
        return self.second_signed_at is not None


class ServiceKind(models.TextChoices):
    HOME_CARE = "home_care", _("Home care")  # 上门照护
    MEALS = "meals", _("Meal assistance")  # 助餐
    BATHING = "bathing", _("Bathing assistance")  # 助浴
    MEDICAL_ESCORT = "medical_escort", _("Medical escort")  # 助医
    PSYCHOLOGICAL = "psychological", _("Psychological comfort")  # 心理慰藉
    REHABILITATION = "rehabilitation", _("Rehabilitation")  # 康复
    LECTURE = "lecture", _("Health lecture")  # 知识讲座
    SCREENING = "screening", _("Disease screening")  # 病症筛查


class RequesterType(models.TextChoices):
    WORKER = "worker", _("Station worker")
    FAMILY = "family", _("Family")
    SELF = "self", _("The person themselves")


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("service order", "Requested")
    ASSIGNED = "assigned", pgettext_lazy("service order", "Assigned")
    IN_SERVICE = "in_service", pgettext_lazy("service order", "In service")
    DONE = "done", pgettext_lazy("service order", "Done")
    RATED = "rated", pgettext_lazy("service order", "Rated")
    CANCELLED = "cancelled", pgettext_lazy("service order", "Cancelled")


# Orders in these states are finished: never overdue, no next step.
ORDER_CLOSED = (OrderStatus.DONE, OrderStatus.RATED, OrderStatus.CANCELLED)


class ServiceOrder(models.Model):
    """A service for an old person (服务工单): requested → assigned → in service → done → rated,
    or cancelled with a reason. Every change writes a :class:`ServiceOrderEvent`."""

    SCOPE_REGION_FIELD = "person__region__code"

    person = models.ForeignKey(
        Person,
        verbose_name=_("old person"),
        on_delete=models.PROTECT,
        related_name="service_orders",
    )
    kind = models.CharField(_("service"), max_length=20, choices=ServiceKind.choices)
    details = models.TextField(_("details"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requester_type = models.CharField(
        _("requested by"), max_length=10, choices=RequesterType.choices
    )
    requester_name = models.CharField(
        _("requester's name"),
        max_length=50,
        blank=True,
        help_text=_("For a request from the family: who asked."),
    )
    provider_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("provider (station worker)"),
        on_delete=models.PROTECT,
        related_name="service_orders_provided",
        null=True,
        blank=True,
    )
    provider_name = models.CharField(
        _("provider (organisation or professional)"),
        max_length=100,
        blank=True,
        help_text=_(
            "Free text for now: the libraries of service organisations and professionals "
            "come later (issue 7)."
        ),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    due_on = models.DateField(_("due date"))
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The person's region, copied by database triggers (see devices.Alarm.region_code).
    region_code = models.CharField(max_length=12, default="", editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            # The dashboard's orders of an area and period.
            models.Index(fields=["region_code", "created_at"], name="serviceorder_region_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="service_order_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.due_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("elderly:order", args=[self.pk])

    @property
    def provider_display(self) -> str:
        if self.provider_user_id:
            return str(self.provider_user)
        return self.provider_name

    def is_overdue_on(self, day) -> bool:
        return self.status not in ORDER_CLOSED and self.due_on < day


class ServiceOrderEvent(models.Model):
    """The trail of a service order: who moved it, when, from which status to which, and why."""

    SCOPE_REGION_FIELD = "order__person__region__code"

    order = models.ForeignKey(
        ServiceOrder,
        verbose_name=_("service order"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service order event")
        verbose_name_plural = _("service order events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.from_status}→{self.to_status}"
