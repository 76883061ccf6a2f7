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
        register_personal_data_rules()


def register_personal_data_rules() -> None:
    """A referral carries the minor's ID number, not a link to the registry: it belongs to a
    registered person whose number it is. An open one holds the person from anonymisation."""
    from django.utils.translation import gettext as _

    from shegong.people.personal_data import register_root_finder
    from shegong.people.retention import register_hold

    register_root_finder(referrals_of)
    register_hold(
        lambda people: dict.fromkeys(
            (r.person_pk for r in _matching(people) if r.referral.is_open),
            _("open justice-involved minors' referral"),
        )
    )


class _Match:
    def __init__(self, person_pk: int, referral) -> None:
        self.person_pk, self.referral = person_pk, referral


def _matching(people) -> list[_Match]:
    """Referrals whose ID number is a person's. Numbers are encrypted without a blind index
    and referrals are few (hundreds a district): decrypting them is the lookup."""
    from .models import Referral

    numbers = {p.id_number: p.pk for p in people if p.id_number_encrypted}
    if not numbers:
        return []
    found = []
    for referral in Referral.objects.exclude(id_number_encrypted=""):
        pk = numbers.get(referral.id_number)
        if pk is not None:
            found.append(_Match(pk, referral))
    return found


def referrals_of(person) -> list:
    return [match.referral for match in _matching([person])]


def agencies_of(user) -> list[int]:
    from .models import Agency

    return list(Agency.objects.filter(liaisons=user).values_list("id", flat=True))
