"""Forms of the partner records: they parse input; partners.py keeps the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shegong import uploads
from shegong.casework.forms import DateInput

from .models import Agency, AgencyKind
from .partners import DELIVERABLES

OPINION_MAX_BYTES = 20 * 1024 * 1024
DELIVERABLE_LABELS = {
    "referrals": _("referrals accepted"),
    "investigations": _("social investigation reports"),
    "guidance_sessions": _("guidance sessions"),
    "mentoring": _("mentoring and activities"),
    "closed": _("referrals closed"),
}


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _line() -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control"})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


class AgencyForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100, widget=_line())
    kind = forms.ChoiceField(label=_("kind"), choices=AgencyKind.choices, widget=_select())
    region = forms.ModelChoiceField(label=_("region"), queryset=None, widget=_select())
    contact = forms.CharField(label=_("contact"), max_length=100, required=False, widget=_line())

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        first = regions.first()
        if first is not None:
            self.fields["region"].initial = first.pk


class OpinionForm(forms.Form):
    """The joint opinion; each party's responsibilities come as ``resp-<agency id>``."""

    title = forms.CharField(label=_("title"), max_length=200, widget=_line())
    parties = forms.ModelMultipleChoiceField(
        label=_("parties"),
        queryset=Agency.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    signed_on = forms.DateField(label=_("signed on"), widget=DateInput())
    scope = forms.CharField(label=_("scope"), widget=_text(4))
    document = forms.FileField(label=_("document"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].widget.attrs["class"] = "form-control"
        self.agencies = list(Agency.objects.all())

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload:
            uploads.check_document_upload(upload, limit_bytes=uploads.limit(OPINION_MAX_BYTES))
        return upload

    def responsibilities(self) -> dict[int, str]:
        return {
            agency.pk: self.data.get(f"resp-{agency.pk}", "").strip() for agency in self.agencies
        }

    def party_rows(self) -> list[dict]:
        """Each agency with its checkbox state and its responsibilities text, for the template."""
        chosen = {str(v) for v in (self["parties"].value() or [])}
        return [
            {
                "agency": agency,
                "checked": str(agency.pk) in chosen,
                "text": self.data.get(f"resp-{agency.pk}", "") if self.is_bound else "",
            }
            for agency in self.agencies
        ]


class ContractForm(forms.Form):
    number = forms.CharField(label=_("contract number"), max_length=50, widget=_line())
    title = forms.CharField(label=_("title"), max_length=200, widget=_line())
    purchaser = forms.ModelChoiceField(
        label=_("purchaser"), queryset=Agency.objects.all(), widget=_select()
    )
    provider = forms.ModelChoiceField(
        label=_("provider"), queryset=Agency.objects.all(), widget=_select()
    )
    starts_on = forms.DateField(label=_("starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("ends on"), widget=DateInput())
    scope = forms.CharField(label=_("scope of services"), widget=_text(4))
    amount = forms.DecimalField(
        label=_("amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in DELIVERABLES:
            self.fields[key] = forms.IntegerField(
                label=DELIVERABLE_LABELS[key],
                min_value=0,
                required=False,
                widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
            )

    def deliverable_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in DELIVERABLES]

    def split(self) -> tuple[dict, dict[str, int]]:
        data = dict(self.cleaned_data)
        return data, {key: data.pop(key) or 0 for key in DELIVERABLES}
