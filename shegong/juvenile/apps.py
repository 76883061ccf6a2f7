from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JuvenileConfig(AppConfig):
    """Justice-involved minors: referrals from partner agencies and the work under them."""

    name = "shegong.juvenile"
    verbose_name = _("Justice-involved minors")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from shegong.accounts.scope import register_partner_agencies

        from . import models

        for model in (
            models.Referral,
            models.ReportVersion,
            models.GuidancePlan,
            models.GuardianshipOrder,
            models.ComplianceCheck,
            models.ClosingReport,
        ):
            auditlog.register(model, exclude_fields=["version", "updated_at"])
        register_partner_agencies(agencies_of)


def agencies_of(user) -> list[int]:
    from .models import Agency

    return list(Agency.objects.filter(liaisons=user).values_list("id", flat=True))
