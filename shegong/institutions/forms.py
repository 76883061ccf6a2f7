from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong import uploads
from shegong.casework.forms import DateInput
from shegong.forms import BootstrapMixin

from .models import Contract, EntryKind, FeeType

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal(0)}


class ContractForm(BootstrapMixin, forms.Form):
    id_number = forms.CharField(label=_("resident's ID number"), max_length=18)
    name = forms.CharField(
        label=_("resident's name"),
        max_length=50,
        required=False,
        help_text=_("As on the ID card; an institution must give it with the ID number."),
    )
    bed = forms.CharField(label=_("bed"), max_length=20, required=False)
    monthly_fee = forms.DecimalField(label=_("monthly fee (bed + care + meals)"), **MONEY)
    monthly_bed_fee = forms.DecimalField(label=_("monthly bed fee"), required=False, **MONEY)
    deposit = forms.DecimalField(label=_("deposit"), initial=0, **MONEY)
    prepaid_months = forms.IntegerField(label=_("prepaid months"), min_value=0, initial=0)
    membership_fee = forms.DecimalField(label=_("membership fee"), initial=0, **MONEY)
    signed_on = forms.DateField(
        label=_("signed on"),
        initial=timezone.localdate,
        widget=DateInput(),
    )


class EntryForm(BootstrapMixin, forms.Form):
    contract = forms.ModelChoiceField(label=_("contract"), queryset=Contract.objects.none())
    kind = forms.ChoiceField(label=_("kind"), choices=EntryKind.choices)
    fee_type = forms.ChoiceField(label=_("fee type"), choices=FeeType.choices)
    amount = forms.DecimalField(
        label=_("amount (yuan)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    occurred_on = forms.DateField(label=_("date"), initial=timezone.localdate, widget=DateInput())
    purpose = forms.CharField(label=_("purpose"), max_length=200, required=False)
    evidence = forms.FileField(label=_("evidence"), required=False)

    def __init__(self, *args, contracts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contracts is not None:
            self.fields["contract"].queryset = contracts
        self.fields["contract"].label_from_instance = lambda c: c.number

    def clean_evidence(self):
        upload = self.cleaned_data["evidence"]
        if upload:
            uploads.check_document_upload(upload, limit_bytes=uploads.limit(EVIDENCE_MAX_BYTES))
        return upload


class DischargeForm(BootstrapMixin, forms.Form):
    discharged_on = forms.DateField(
        label=_("left on"),
        initial=timezone.localdate,
        widget=DateInput(),
    )
    reason = forms.CharField(label=_("reason for leaving"), max_length=200, required=False)
    refund_now = forms.BooleanField(
        label=_("Refund the whole balance now"), required=False, initial=True
    )


class ClosureForm(BootstrapMixin, forms.Form):
    closes_on = forms.DateField(label=_("closes on"), widget=DateInput())
    reason = forms.CharField(label=_("reason for closing"), max_length=200)
