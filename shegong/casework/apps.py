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
        register_personal_data_rules(models)


def register_personal_data_rules(models) -> None:
    """Retention waits while a person has an open case; a personal-data export carries the
    confidential notes only for those who may read them."""
    from django.db.models import Q
    from django.utils.translation import gettext as _

    from shegong.people.personal_data import register_read_filter
    from shegong.people.retention import register_hold

    from .selectors import can_read_confidential

    def open_cases(people) -> dict[int, str]:
        ids = models.Case.objects.filter(person__in=people).exclude(stage=models.Stage.CLOSED)
        return dict.fromkeys(ids.values_list("person_id", flat=True), _("open case"))

    def readable_notes(queryset, user):
        cases = models.Case.objects.filter(pk__in=queryset.values("case_id"))
        readable = [case.pk for case in cases if can_read_confidential(user, case)]
        return queryset.filter(Q(confidential=False) | Q(author=user) | Q(case__in=readable))

    register_hold(open_cases)
    register_read_filter(models.CaseNote, readable_notes)


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
