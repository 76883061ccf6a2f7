from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDITED_PERSON_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "phone_masked",
    "region",
    "address",
    "household",
    "status",
    "disability_kind",
    "disability_grade",
    "notes",
]


class PeopleConfig(AppConfig):
    name = "shegong.people"
    verbose_name = _("People registry")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        # Ciphertexts and keyed hashes change on every write and mean nothing to a reader: the
        # masked values are recorded instead. Category changes are logged on the person by
        # services._set_categories, so the person's history shows them.
        auditlog.register(models.Person, include_fields=AUDITED_PERSON_FIELDS)
        auditlog.register(models.Household)
        auditlog.register(models.Relation)
