"""Forms of the registry pages: an institution's facts, its custody account, inspections."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.forms import BootstrapMixin
from shegong.regions.models import Level, Region

from .models import Bank, Institution, RectificationItem

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region: Region) -> str:
        if region.level == Level.VILLAGE and region.parent is not None:
            return f"{region.parent.name} · {region.name}"
        return region.name


class InstitutionForm(BootstrapMixin, forms.Form):
    """The facts the user may change (``fields``), labelled and validated as the model's."""

    def __init__(self, *args, fields: tuple[str, ...], regions=None, **kwargs):
        found = fields_for_model(
            Institution,
            fields=fields,
            widgets={
                "filed_on": DATE["widget"],
                "services": forms.Textarea(attrs={"rows": 3}),
            },
        )
        if "credit_code" in found:
            # People type the code with spaces or in lower case: the service compacts it before
            # the check digit is checked, and reports a wrong one on this field.
            found["credit_code"] = forms.CharField(
                label=found["credit_code"].label, max_length=30, required=True
            )
        if "region" in found:
            found["region"] = RegionChoiceField(
                label=_("township or village"),
                queryset=regions if regions is not None else Region.objects.none(),
            )
        if "star_rating" in found:
            found["star_rating"] = forms.TypedChoiceField(
                label=found["star_rating"].label,
                coerce=int,
                choices=[(0, _("not rated")), *((n, f"{n}★") for n in range(1, 6))],
            )
        self.base_fields = found
        super().__init__(*args, **kwargs)


class AccountForm(BootstrapMixin, forms.Form):
    bank = forms.ModelChoiceField(label=_("bank"), queryset=Bank.objects.all(), required=False)
    new_bank = forms.CharField(
        label=_("or a new bank"),
        max_length=100,
        required=False,
        help_text=_("The branch's full name, when it is not in the list yet."),
    )
    number = forms.CharField(label=_("account number"), max_length=40)
    agreement_on = forms.DateField(label=_("agreement date"), **DATE)
    reserve_ratio = forms.DecimalField(
        label=_("reserve ratio"),
        max_digits=4,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(1),
        initial=Decimal("0.200"),
        widget=forms.NumberInput(attrs={"step": "0.001"}),
        help_text=_("The share of what residents paid in that must stay in the account (0–1)."),
    )


class InspectionForm(BootstrapMixin, forms.Form):
    inspected_on = forms.DateField(label=_("inspected on"), initial=timezone.localdate, **DATE)
    inspectors = forms.CharField(label=_("inspectors"), max_length=200)
    findings = forms.CharField(label=_("findings"), widget=forms.Textarea(attrs={"rows": 4}))


class ItemForm(BootstrapMixin, forms.Form):
    """One item to put right. Blank rows are skipped (they are the formset's extra rows)."""

    description = forms.CharField(
        label=RectificationItem._meta.get_field("description").verbose_name, max_length=300
    )
    deadline = forms.DateField(label=_("deadline"), **DATE)


ItemFormSet = forms.formset_factory(ItemForm, extra=3)


class FollowUpForm(forms.Form):
    """The buttons under an item: report done, accept, refuse, or a plain note."""

    ACTIONS = ("report", "accept", "refuse", "note")

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    note = forms.CharField(required=False, max_length=2000)
    version = forms.IntegerField(required=False)


class MembersForm(BootstrapMixin, forms.Form):
    operators = forms.ModelMultipleChoiceField(
        label=_("operators of the institution"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    officers = forms.ModelMultipleChoiceField(
        label=_("officers of the custody bank"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, operators, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operators"].queryset = operators
        self.fields["officers"].queryset = officers
        for name in ("operators", "officers"):
            self.fields[name].label_from_instance = lambda u: f"{u.full_name} ({u.username})"
