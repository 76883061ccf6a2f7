from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.casework.forms import DateInput, VisitForm
from shegong.casework.models import VisitMode

from .models import ElderlyProfile, LivingSituation, RequesterType, ServiceKind
from .services import MAX_CONTACTS


class ElderlyProfileForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    living_situations = forms.MultipleChoiceField(
        label=_("living situation"),
        choices=LivingSituation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cognitive_impairment = forms.BooleanField(
        label=_("diagnosed dementia or other cognitive impairment"), required=False
    )
    chronic_conditions = forms.CharField(
        label=_("chronic conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example hypertension, diabetes, heart disease."),
    )
    care_arrangement = forms.CharField(
        label=_("care arrangement"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who looks after the person day to day, and any services they receive."),
    )

    def __init__(self, *args, profile: ElderlyProfile, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = list(profile.contacts.all())
        for n in range(MAX_CONTACTS):
            old = self.existing[n] if n < len(self.existing) else None
            self.fields[f"contact_{n}_id"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput
            )
            self.fields[f"contact_{n}_name"] = forms.CharField(
                label=_("name"), max_length=50, required=False
            )
            self.fields[f"contact_{n}_relation"] = forms.CharField(
                label=_("relation"), max_length=30, required=False
            )
            phone = forms.CharField(label=_("phone"), max_length=20, required=False)
            if old is not None and old.phone_masked:
                # The full number is never put in the page; blank keeps it.
                phone.widget.attrs["placeholder"] = old.phone_masked
                phone.help_text = _("Leave blank to keep the number on file.")
            phone.widget.attrs["inputmode"] = "tel"
            self.fields[f"contact_{n}_phone"] = phone
        for name, field in self.fields.items():
            if name.startswith("contact_") or name in ("chronic_conditions", "care_arrangement"):
                field.widget.attrs.setdefault("class", "form-control")
        self.fields["cognitive_impairment"].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def initial_for(profile: ElderlyProfile) -> dict:
        initial = {
            "version": profile.version,
            "living_situations": profile.living_situations,
            "cognitive_impairment": profile.cognitive_impairment,
            "chronic_conditions": profile.chronic_conditions,
            "care_arrangement": profile.care_arrangement,
        }
        for n, contact in enumerate(profile.contacts.all()[:MAX_CONTACTS]):
            initial[f"contact_{n}_id"] = contact.pk
            initial[f"contact_{n}_name"] = contact.name
            initial[f"contact_{n}_relation"] = contact.relation
        return initial

    def contact_rows(self) -> list[dict]:
        """The contact slots as bound fields, for the template."""
        return [
            {
                "id": self[f"contact_{n}_id"],
                "name": self[f"contact_{n}_name"],
                "relation": self[f"contact_{n}_relation"],
                "phone": self[f"contact_{n}_phone"],
            }
            for n in range(MAX_CONTACTS)
        ]

    def split(self) -> tuple[dict, list[dict]]:
        """(profile changes, contact rows) from the cleaned data."""
        data = self.cleaned_data
        changes = {
            key: data[key]
            for key in (
                "living_situations",
                "cognitive_impairment",
                "chronic_conditions",
                "care_arrangement",
            )
        }
        contacts = [
            {
                "id": data[f"contact_{n}_id"],
                "name": data[f"contact_{n}_name"],
                "relation": data[f"contact_{n}_relation"],
                "phone": data[f"contact_{n}_phone"],
            }
            for n in range(MAX_CONTACTS)
        ]
        return changes, contacts


class ServiceOrderForm(forms.Form):
    """A new service order, from the old person's file."""

    kind = forms.ChoiceField(label=_("service"), choices=ServiceKind.choices)
    requester_type = forms.ChoiceField(
        label=_("requested by"), choices=RequesterType.choices, initial=RequesterType.WORKER
    )
    requester_name = forms.CharField(
        label=_("requester's name"),
        required=False,
        max_length=50,
        help_text=_("For a request from the family: who asked."),
    )
    due_on = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}))
    details = forms.CharField(
        label=_("details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)


class ElderlyVisitForm(VisitForm):
    """The casework visit form, worded for an old person (and no visit "at school")."""

    MODES = [(value, label) for value, label in VisitMode.choices if value != VisitMode.SCHOOL]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = self.MODES
        self.fields["seen"].widget.attrs["placeholder"] = _("the old person, their daughter …")


class DischargeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    discharged_on = forms.DateField(label=_("discharged from hospital on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discharged_on"].initial = timezone.localdate()
