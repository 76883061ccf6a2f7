from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    """Cases, plans, notes, visits, approvals and reminders shared by every programme."""

    name = "shegong.casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Case, exclude_fields=["version", "updated_at"])
        auditlog.register(models.CasePlan, exclude_fields=["version", "updated_at"])
        auditlog.register(models.Visit)
        register_assignments(models)


def register_assignments(models) -> None:
    """Tell the scope gate what a counsellor is assigned: cases they own or work on, and
    the people, visits, notes and events of those cases."""
    from django.db.models import Exists, OuterRef, Q

    from shegong.accounts.scope import register_assigned
    from shegong.people.models import Person

    def cases_of(user):
        return models.Case.objects.filter(Q(owner=user) | Q(workers=user))

    def by_case(user):
        return Q(Exists(cases_of(user).filter(pk=OuterRef("case_id"))))

    register_assigned(models.Case, lambda user: Q(Exists(cases_of(user).filter(pk=OuterRef("pk")))))
    register_assigned(Person, lambda user: Q(Exists(cases_of(user).filter(person=OuterRef("pk")))))
    for model in (models.Visit, models.CaseNote, models.CaseEvent, models.Approval):
        register_assigned(model, by_case)
