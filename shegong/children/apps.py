from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChildrenConfig(AppConfig):
    """Minors protection: child files and the 红橙蓝 colour-card archive."""

    name = "shegong.children"
    verbose_name = _("Minors protection")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from shegong.casework.services import VISIT_HOOKS

        from . import models, services

        auditlog.register(models.ChildProfile, exclude_fields=["version", "updated_at"])
        auditlog.register(models.InterventionRule)
        register_assignments(models)
        if services.visit_moves_schedule not in VISIT_HOOKS:
            VISIT_HOOKS.append(services.visit_moves_schedule)


def register_assignments(models) -> None:
    """A counsellor assigned to a child's case sees that child's file and assessments."""
    from django.db.models import Exists, OuterRef, Q

    from shegong.accounts.scope import register_assigned
    from shegong.casework.models import Case

    def cases_of(user):
        return Case.objects.filter(Q(owner=user) | Q(workers=user))

    register_assigned(
        models.ChildProfile,
        lambda user: Q(Exists(cases_of(user).filter(person=OuterRef("person_id")))),
    )
    register_assigned(
        models.RiskAssessment,
        lambda user: Q(Exists(cases_of(user).filter(person=OuterRef("child__person_id")))),
    )
