from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevicesConfig(AppConfig):
    """Smart devices, signed event ingestion, and alarms routed and escalated to workers."""

    name = "shegong.devices"
    verbose_name = _("Smart devices and alarms")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from shegong.elderly.views import PROFILE_PANELS

        from . import models, selectors

        if selectors.profile_panel not in PROFILE_PANELS:
            PROFILE_PANELS.append(selectors.profile_panel)

        auditlog.register(models.Device)
        auditlog.register(models.Vendor, exclude_fields=["secret_encrypted"])
        auditlog.register(models.Alarm, exclude_fields=["version", "last_event_at", "event_count"])
