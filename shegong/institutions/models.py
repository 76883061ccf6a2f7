"""Elderly-care institutions (养老机构), residents, prepaid contracts and the custody ledger.

Money paid in advance (deposits 押金, prepaid service fees, membership fees 会员费) sits in one
custody account per institution at a commercial bank (民发〔2024〕19号, 民办发〔2025〕9号). Every
movement is a :class:`LedgerEntry`; balances are always derived from the ledger, never stored.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from stdnum.cn import uscc

from shegong.people.models import Person
from shegong.regions.models import Region


def validate_uscc(value: str) -> None:
    """The unified social credit code (统一社会信用代码, GB 32100-2015) with its check digit."""
    if not uscc.is_valid(value):
        raise ValidationError(
            _("Enter a valid unified social credit code (18 characters with a check digit)."),
            code="invalid_uscc",
        )


class InstitutionType(models.TextChoices):
    PUBLIC = "public", _("Public")  # 公办
    PRIVATE = "private", _("Private")  # 民办
    # 公建民营
    PUBLIC_BUILT_PRIVATE_RUN = "public_built_private_run", _("Public-built, private-run")


class InstitutionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("institution status", "Open")  # taking residents
    CLOSING = "closing", _("Closing announced")  # 30 days' notice: no new deposits or fees
    CLOSED = "closed", _("Closed")


class Institution(models.Model):
    SCOPE_REGION_FIELD = "region__code"

    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    filing_number = models.CharField(_("filing number"), max_length=50, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    kind = models.CharField(_("type"), max_length=30, choices=InstitutionType.choices)
    operator_name = models.CharField(_("operator"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    beds_total = models.PositiveIntegerField(_("beds"), default=0)
    beds_nursing = models.PositiveIntegerField(_("nursing beds"), default=0)
    # GB/T 37276-2018 一级–五级; 0 = not rated.
    star_rating = models.PositiveSmallIntegerField(
        _("star rating"), default=0, validators=[MaxValueValidator(5)]
    )
    services = models.TextField(_("services"), blank=True)
    care_workers = models.PositiveIntegerField(_("care workers"), default=0)
    medical_staff = models.PositiveIntegerField(_("medical staff"), default=0)
    social_workers = models.PositiveIntegerField(_("social workers"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=InstitutionStatus.choices, default="open"
    )
    closing_announced_on = models.DateField(_("closure announced on"), null=True, blank=True)
    # At least SHEGONG_CLOSURE_NOTICE_DAYS after the announcement.
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    closure_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operators"),
        related_name="institutions",
        blank=True,
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("elderly-care institution")
        verbose_name_plural = _("elderly-care institutions")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(beds_nursing__lte=models.F("beds_total")),
                name="institution_nursing_beds_within_total",
            ),
            models.CheckConstraint(
                condition=Q(star_rating__lte=5), name="institution_star_rating_0_to_5"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        # Stored compact and upper-case (what people type has spaces and lower case).
        self.credit_code = uscc.compact(self.credit_code or "")
        super().clean_fields(exclude=exclude)

    @property
    def takes_new_deposits(self) -> bool:
        return self.status == InstitutionStatus.OPEN


class Bank(models.Model):
    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100, unique=True)
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("officers"), related_name="banks", blank=True
    )

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Resident(models.Model):
    SCOPE_REGION_FIELD = "institution__region__code"

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="residents",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="residencies"
    )
    bed = models.CharField(_("bed"), max_length=20, blank=True)
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    discharge_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)
    # Copied from the person's latest ability assessment at admission (blank if none).
    care_level = models.CharField(_("care level"), max_length=10, blank=True)
    bed_fee = models.DecimalField(_("monthly bed fee"), max_digits=10, decimal_places=2)
    care_fee = models.DecimalField(
        _("monthly care fee"), max_digits=10, decimal_places=2, default=Decimal(0)
    )
    meal_fee = models.DecimalField(
        _("monthly meal fee"), max_digits=10, decimal_places=2, default=Decimal(0)
    )

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["institution", "admitted_on", "pk"]

    def __str__(self) -> str:
        return f"{self.institution} #{self.pk}"

    @property
    def monthly_fee(self) -> Decimal:
        return self.bed_fee + self.care_fee + self.meal_fee


class ContractStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("contract status", "Active")
    ENDED = "ended", _("Ended")


class Contract(models.Model):
    SCOPE_REGION_FIELD = "resident__institution__region__code"

    resident = models.OneToOneField(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="contract"
    )
    # <institution id>-<year>-<sequence>: the only thing a bank officer knows of a resident.
    number = models.CharField(_("contract number"), max_length=30, unique=True)
    monthly_fee = models.DecimalField(_("monthly fee"), max_digits=10, decimal_places=2)
    monthly_bed_fee = models.DecimalField(_("monthly bed fee"), max_digits=10, decimal_places=2)
    deposit = models.DecimalField(_("deposit"), max_digits=12, decimal_places=2)
    prepaid_months = models.PositiveSmallIntegerField(_("prepaid months"), default=0)
    membership_fee = models.DecimalField(
        _("membership fee"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    signed_on = models.DateField(_("signed on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default="active"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class CustodyAccount(models.Model):
    SCOPE_REGION_FIELD = "institution__region__code"

    institution = models.OneToOneField(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="custody_account",
    )
    bank = models.ForeignKey(
        Bank, verbose_name=_("bank"), on_delete=models.PROTECT, related_name="accounts"
    )
    number = models.CharField(_("account number"), max_length=40)
    agreement_on = models.DateField(_("agreement date"))
    # Share of the total balance that must stay in the account (see selectors.custody_summary).
    reserve_ratio = models.DecimalField(
        _("reserve ratio"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.200"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )

    class Meta:
        verbose_name = _("custody account")
        verbose_name_plural = _("custody accounts")

    def __str__(self) -> str:
        return f"{self.bank} {self.number}"


class FeeType(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")  # 押金
    SERVICE_PREPAID = "service_prepaid", _("Prepaid service fees")  # 预收服务费
    MEMBERSHIP = "membership", _("Membership fee")  # 会员费


class EntryKind(models.TextChoices):
    PAYMENT_IN = "payment_in", _("Payment in")  # money paid into custody
    WITHDRAWAL = "withdrawal", _("Withdrawal")  # used for a stated purpose, with evidence
    REFUND = "refund", _("Refund")  # back to the resident or family
    EMERGENCY_ADVANCE = "emergency_advance", _("Emergency advance")  # evidence within 7 days


INFLOWS = frozenset({EntryKind.PAYMENT_IN})


class LedgerEntry(models.Model):
    SCOPE_REGION_FIELD = "account__institution__region__code"

    account = models.ForeignKey(
        CustodyAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="entries"
    )
    fee_type = models.CharField(_("fee type"), max_length=20, choices=FeeType.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    occurred_on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    evidence = models.FileField(_("evidence"), upload_to="institutions/evidence/", blank=True)
    evidence_due_on = models.DateField(_("evidence due on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    confirmed_by_bank = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.kind} {self.amount}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.kind in INFLOWS else -self.amount


class Inspection(models.Model):
    """A supervision visit (监督检查) by the civil-affairs bureau or the township."""

    SCOPE_REGION_FIELD = "institution__region__code"

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspected_on = models.DateField(_("inspected on"))
    inspectors = models.CharField(_("inspectors"), max_length=200)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.institution} {self.inspected_on}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("rectification status", "Open")  # to be put right
    REPORTED = "reported", _("Reported done")  # the institution says it is done
    VERIFIED = "verified", _("Verified")  # the inspectors checked it


class RectificationItem(models.Model):
    """One thing an inspection asked the institution to put right (整改事项), by a deadline."""

    SCOPE_REGION_FIELD = "inspection__institution__region__code"

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="items"
    )
    description = models.CharField(_("what to put right"), max_length=300)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=10, choices=RectificationStatus.choices, default="open"
    )
    reported_on = models.DateField(_("reported done on"), null=True, blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.description


class RectificationFollowUp(models.Model):
    """The follow-up log of an item: each report, check or note, by whom and when."""

    SCOPE_REGION_FIELD = "item__inspection__institution__region__code"

    item = models.ForeignKey(
        RectificationItem,
        verbose_name=_("rectification item"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    note = models.TextField(_("note"))
    # The status the item moved to with this follow-up (blank: a note only).
    status = models.CharField(
        _("status"), max_length=10, choices=RectificationStatus.choices, blank=True
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.item} {self.at:%Y-%m-%d}"


class BankStatement(models.Model):
    """A statement of the custody account, uploaded by the bank (.xlsx or .csv)."""

    SCOPE_REGION_FIELD = "account__institution__region__code"

    account = models.ForeignKey(
        CustodyAccount,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    # The account's closing balance as the bank states it (blank if the file has none).
    closing_balance = models.DecimalField(
        _("closing balance"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    file = models.FileField(_("file"), upload_to="institutions/statements/")
    file_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-period_end", "-pk"]

    def __str__(self) -> str:
        return f"{self.account} {self.period_start}–{self.period_end}"


class StatementLine(models.Model):
    """One movement on a bank statement, and the ledger entry it was matched to (if any)."""

    SCOPE_REGION_FIELD = "statement__account__institution__region__code"

    statement = models.ForeignKey(
        BankStatement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    row_number = models.PositiveIntegerField(_("row"))
    occurred_on = models.DateField(_("date"))
    # Signed: money in is positive, money out negative.
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    counterparty = models.CharField(_("counterparty"), max_length=100, blank=True)
    entry = models.ForeignKey(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.SET_NULL,
        related_name="statement_lines",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "row_number"]

    def __str__(self) -> str:
        return f"{self.statement} #{self.row_number}"


class FamilyLookup(models.Model):
    """Every look-up on the family page (no account): who asked from where, for which contract,
    and whether the contract number and ID digits matched. Also the rate limit's memory."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    contract_number = models.CharField(_("contract number"), max_length=30)
    matched = models.BooleanField(_("matched"))

    class Meta:
        verbose_name = _("family look-up")
        verbose_name_plural = _("family look-ups")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["ip_address", "at"]),
            models.Index(fields=["contract_number", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.contract_number} {self.matched}"
