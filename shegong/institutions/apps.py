from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    """Elderly-care institutions, their residents, prepaid contracts and the custody ledger."""

    name = "shegong.institutions"
    verbose_name = _("Elderly-care institutions")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from shegong.accounts.models import Role
        from shegong.accounts.scope import register_org_access

        from . import models

        for model in (
            models.Institution,
            models.Bank,
            models.Resident,
            models.Contract,
            models.CustodyAccount,
            models.LedgerEntry,
            models.Inspection,
            models.RectificationItem,
            models.BankStatement,
        ):
            auditlog.register(model)
        # Who an operator or a bank officer reaches, besides the region rules of the gate.
        operator, officer = Role.INSTITUTION_OPERATOR, Role.BANK_OFFICER
        for model, path in (
            (models.Institution, "operators"),
            (models.Resident, "institution__operators"),
            (models.Contract, "resident__institution__operators"),
            (models.CustodyAccount, "institution__operators"),
            (models.LedgerEntry, "account__institution__operators"),
            # Rectification: the operator reports progress (a follow-up), never the inspection.
            (models.RectificationItem, "inspection__institution__operators"),
            (models.RectificationFollowUp, "item__inspection__institution__operators"),
        ):
            register_org_access(model, operator, path, writes=True)
        for model, path in (
            (models.Inspection, "institution__operators"),
            (models.BankStatement, "account__institution__operators"),
            (models.StatementLine, "statement__account__institution__operators"),
        ):
            register_org_access(model, operator, path)
        # A bank officer: the accounts their bank holds and those accounts' ledgers (and the
        # institution's public facts). Never a resident: no Resident or Person is registered.
        for model, path in (
            (models.Institution, "custody_account__bank__officers"),
            (models.CustodyAccount, "bank__officers"),
            (models.LedgerEntry, "account__bank__officers"),
        ):
            register_org_access(model, officer, path)
        # The bank uploads statements of the accounts it holds. It records no ledger entry:
        # confirming one (services in reconcile.py) checks the officer's bank itself.
        for model, path in (
            (models.BankStatement, "account__bank__officers"),
            (models.StatementLine, "statement__account__bank__officers"),
        ):
            register_org_access(model, officer, path, writes=True)
        register_retention_hold(models)


def register_retention_hold(models) -> None:
    """Money of a person still in custody (a prepaid contract with a balance) holds them from
    anonymisation: the refund must still reach someone who can be identified."""
    from django.utils.translation import gettext as _

    from shegong.people.retention import register_hold

    from .selectors import contracts_with_balance

    def custody_balance(people) -> dict[int, str]:
        contracts = contracts_with_balance(
            models.Contract.objects.filter(resident__person__in=people)
        ).exclude(balance=0)
        ids = contracts.values_list("resident__person_id", flat=True)
        return dict.fromkeys(ids, _("money in a custody account"))

    register_hold(custody_balance)
