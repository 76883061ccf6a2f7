from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElderlyConfig(AppConfig):
    """Elderly care (安心养老): elderly files, the GB/T 42195-2022 ability assessment, visits by
    frequency rule and service orders."""

    name = "shegong.elderly"
    verbose_name = _("Elderly care")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from shegong.casework.services import VISIT_HOOKS

        from . import models, visits

        auditlog.register(models.ElderlyProfile, exclude_fields=["version", "updated_at"])
        auditlog.register(models.EmergencyContact, exclude_fields=["phone_encrypted", "phone_hash"])
        auditlog.register(models.ServiceOrder, exclude_fields=["version", "updated_at"])
        if visits.visit_moves_due not in VISIT_HOOKS:
            VISIT_HOOKS.append(visits.visit_moves_due)
