from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "shegong.people"
    verbose_name = _("People registry")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        # Ciphertexts and keyed hashes change on every write and mean nothing to a reader;
        # the masked values are recorded instead.
        secret = ["id_number_encrypted", "id_number_hash", "phone_encrypted", "phone_hash"]
        auditlog.register(models.Person, exclude_fields=[*secret, "updated_at", "version"])
        auditlog.register(models.Household)
        auditlog.register(models.Relation)
        auditlog.register(models.PersonCategory)
