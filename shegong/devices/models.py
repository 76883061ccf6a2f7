"""Smart devices bound to old people, the events vendor platforms send, and the alarms they raise.

An event is stored before the vendor gets an answer (:class:`DeviceEvent`, unique per vendor and
``event_id``, so a retried delivery gets the first answer again). Rules turn some events into an
:class:`Alarm`, routed to the village station's workers and escalated to the township and the
district when nobody acknowledges it in time. Every step is an :class:`AlarmAction`; every
message sent about it is a :class:`Delivery` with its :class:`DeliveryAttempt` rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shegong.people.models import Person


class Vendor(models.Model):
    """A device vendor's platform. It signs its requests with ``secret`` (kept encrypted)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key = models.CharField(_("key"), max_length=40, unique=True)
    secret_encrypted = models.TextField(editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("device vendor")
        verbose_name_plural = _("device vendors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeviceKind(models.TextChoices):
    SOS_BUTTON = "sos_button", _("SOS button")  # 一键呼叫
    FALL_DETECTOR = "fall_detector", _("Fall detector")  # 跌倒报警器
    SMART_MATTRESS = "smart_mattress", _("Smart mattress")  # 智能床垫
    DOOR_SENSOR = "door_sensor", _("Door sensor")  # 门磁
    SMOKE_DETECTOR = "smoke_detector", _("Smoke detector")  # 烟感
    GAS_DETECTOR = "gas_detector", _("Gas detector")  # 燃气报警器
    SMART_WATCH = "smart_watch", _("Smart watch (geofence, heart rate)")  # 智能手表


class Device(models.Model):
    """One device of a vendor (by serial), bound to an old person."""

    SCOPE_REGION_FIELD = "person__region__code"

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="devices"
    )
    serial = models.CharField(_("serial number"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=DeviceKind.choices)
    person = models.ForeignKey(
        Person, verbose_name=_("old person"), on_delete=models.PROTECT, related_name="devices"
    )
    location = models.CharField(
        _("where it is"), max_length=100, blank=True, help_text=_("e.g. bedroom, kitchen")
    )
    is_active = models.BooleanField(_("active"), default=True)
    bound_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bound by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    bound_at = models.DateTimeField(_("bound at"), auto_now_add=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["vendor_id", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "serial"], name="device_unique_serial")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"


class EventType(models.TextChoices):
    SOS = "sos", _("SOS call")
    FALL = "fall", _("Fall")
    SMOKE = "smoke", _("Smoke")
    GAS = "gas", _("Gas leak")
    GEOFENCE_EXIT = "geofence_exit", _("Left the safe area")
    INACTIVITY = "inactivity", _("No movement")
    LOW_BATTERY = "low_battery", _("Low battery")
    HEARTBEAT = "heartbeat", _("Heartbeat")


class DeviceEvent(models.Model):
    """What a vendor sent, stored before answering. ``device`` is empty for an unknown serial
    (the "unmatched events" list); ``status_code`` and ``alarm`` are the answer a repeated
    delivery of the same ``event_id`` gets again."""

    SCOPE_REGION_FIELD = "device__person__region__code"

    # The busiest table: every index is paid on each event, so the foreign keys use the
    # composite and partial indexes below instead of one index each.
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (vendor, event_id) is unique
    )
    event_id = models.CharField(_("event id"), max_length=64)
    device = models.ForeignKey(
        Device,
        verbose_name=_("device"),
        on_delete=models.PROTECT,
        related_name="events",
        null=True,
        blank=True,
        db_index=False,  # (device, received_at) below
    )
    serial = models.CharField(_("serial number"), max_length=64)
    type = models.CharField(_("type"), max_length=20, choices=EventType.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    data = models.JSONField(_("data"), default=dict, blank=True)
    status_code = models.PositiveSmallIntegerField(default=202)
    alarm = models.ForeignKey(
        "Alarm",
        verbose_name=_("alarm"),
        on_delete=models.SET_NULL,
        related_name="events",
        null=True,
        blank=True,
        db_index=False,  # partial index below: heartbeats have none
    )

    class Meta:
        verbose_name = _("device event")
        verbose_name_plural = _("device events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "event_id"], name="device_event_once")
        ]
        indexes = [
            models.Index(fields=["device", "received_at"]),
            models.Index(
                fields=["received_at"],
                name="device_event_unmatched",
                condition=models.Q(device__isnull=True),
            ),
            models.Index(
                fields=["alarm"],
                name="device_event_alarm",
                condition=models.Q(alarm__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id}:{self.event_id} {self.type}"


class Severity(models.TextChoices):
    CRITICAL = "critical", pgettext_lazy("alarm severity", "Critical")
    HIGH = "high", pgettext_lazy("alarm severity", "High")
    MEDIUM = "medium", pgettext_lazy("alarm severity", "Medium")
    LOW = "low", pgettext_lazy("alarm severity", "Low")


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}


class AlarmStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("alarm", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alarm", "Acknowledged")
    RESOLVED = "resolved", pgettext_lazy("alarm", "Resolved")


# Alarms in these states still want somebody: new repeats join them.
ALARM_ACTIVE = (AlarmStatus.OPEN, AlarmStatus.ACKNOWLEDGED)


class Tier(models.TextChoices):
    """Who an alarm is with: the village station first, then the township, then the district."""

    VILLAGE = "village", _("Village station")
    TOWNSHIP = "township", _("Township station")
    DISTRICT = "district", _("District centre")


TIER_ORDER = [Tier.VILLAGE, Tier.TOWNSHIP, Tier.DISTRICT]


class Outcome(models.TextChoices):
    FALSE_ALARM = "false_alarm", _("False alarm")
    HANDLED_ON_SITE = "handled_on_site", _("Handled on site")
    FAMILY_HANDLED = "family_handled", _("Handled by the family")
    SENT_TO_HOSPITAL = "sent_to_hospital", _("Sent to hospital")
    EMERGENCY_SERVICES = "emergency_services", _("Emergency services called (120/119/110)")
    DEVICE_FAULT = "device_fault", _("Device fault")
    OTHER = "other", _("Other")


class Alarm(models.Model):
    """An alarm for an old person, raised from one or more device events."""

    SCOPE_REGION_FIELD = "person__region__code"

    person = models.ForeignKey(
        Person, verbose_name=_("old person"), on_delete=models.PROTECT, related_name="alarms"
    )
    device = models.ForeignKey(
        Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="alarms"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EventType.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=AlarmStatus.choices, default=AlarmStatus.OPEN
    )
    tier = models.CharField(_("with"), max_length=10, choices=Tier.choices, default=Tier.VILLAGE)
    raised_at = models.DateTimeField(_("raised at"))
    # When the current tier must have acknowledged it; empty for alarms that never escalate.
    ack_deadline = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    event_count = models.PositiveIntegerField(_("events"), default=1)
    last_event_at = models.DateTimeField(_("last event at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    version = models.PositiveIntegerField(default=1)
    # The person's region, copied by database triggers (dashboard migration 0009) whenever the
    # alarm is written or the person moves: the dashboard finds a district's alarms by it, not
    # by going through the people of the district (or every alarm of the city). Never set here.
    region_code = models.CharField(max_length=12, default="", editable=False)

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-raised_at", "-id"]
        constraints = [
            # One active alarm per device and kind: repeats join it (see services.ingest).
            models.UniqueConstraint(
                fields=["device", "kind"],
                condition=models.Q(status__in=["open", "acknowledged"]),
                name="alarm_one_active_per_device_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "ack_deadline"]),
            models.Index(fields=["person", "raised_at"]),
            # The dashboard's alarms of an area and period.
            models.Index(fields=["region_code", "raised_at"], name="alarm_region_raised"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.person}"

    def get_absolute_url(self) -> str:
        return reverse("devices:alarm", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ALARM_ACTIVE


class ActionKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    NOTE = "note", _("Note")
    RESOLVED = "resolved", _("Resolved")


class AlarmAction(models.Model):
    """The trail of an alarm: raised, repeats, escalations, acknowledgement, notes, resolution."""

    SCOPE_REGION_FIELD = "alarm__person__region__code"

    alarm = models.ForeignKey(
        Alarm, verbose_name=_("alarm"), on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(_("what"), max_length=20, choices=ActionKind.choices)
    tier = models.CharField(_("with"), max_length=10, choices=Tier.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    text = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("alarm action")
        verbose_name_plural = _("alarm actions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.kind}"


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    WECOM = "wecom", _("WeCom group robot")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("delivery", "Pending")
    SENT = "sent", pgettext_lazy("delivery", "Sent")
    FAILED = "failed", pgettext_lazy("delivery", "Failed")


class Delivery(models.Model):
    """One message about an alarm to one recipient (a worker, or a station's WeCom group)."""

    SCOPE_REGION_FIELD = "alarm__person__region__code"

    alarm = models.ForeignKey(
        Alarm, verbose_name=_("alarm"), on_delete=models.CASCADE, related_name="deliveries"
    )
    tier = models.CharField(_("to"), max_length=10, choices=Tier.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    target = models.CharField(_("address"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["created_at", "id"]
        constraints = [
            # Sending the same alarm twice to the same place is a bug: once per tier and channel.
            models.UniqueConstraint(
                fields=["alarm", "tier", "channel", "user"],
                condition=models.Q(user__isnull=False),
                name="delivery_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["alarm", "tier", "channel", "target"],
                condition=models.Q(user__isnull=True),
                name="delivery_once_per_target",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.channel} {self.user_id or self.target}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="tries"
    )
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("succeeded"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {'ok' if self.ok else 'failed'}"
