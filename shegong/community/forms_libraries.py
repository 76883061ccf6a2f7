"""Forms of the library pages: organisations, incubation, professionals, resource links."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q, QuerySet
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.accounts import scope
from shegong.casework.forms import DateInput
from shegong.forms import BootstrapMixin
from shegong.regions.models import Level, Region, under_prefix

from .libraries_services import ORGANISATION_FIELDS, PROFESSIONAL_FIELDS, WORKING_STAGES
from .models import LinkKind, Organisation, Professional


def writable_regions(user) -> QuerySet[Region]:
    """The district, townships and villages where the user may add to the library."""
    within = Q()
    for prefix in scope.scope_for(user).write_prefixes:
        within |= under_prefix("code", prefix)
    if not within:
        return Region.objects.none()
    return Region.objects.filter(within).select_related("parent").order_by("code")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region: Region) -> str:
        if region.level == Level.VILLAGE and region.parent is not None:
            return f"{region.parent.name} · {region.name}"
        return region.name


class _LibraryForm(BootstrapMixin, forms.Form):
    """A library entry's fields, labelled and validated as the model's; ``version`` (hidden)
    is what an edit was loaded with."""

    model: type
    field_names: tuple[str, ...]
    widgets: dict = {}

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, regions: QuerySet[Region], **kwargs):
        found = fields_for_model(self.model, fields=self.field_names, widgets=self.widgets)
        found["region"] = RegionChoiceField(
            label=_("based in"),
            queryset=regions,
            help_text=_("A district organisation serves every township and village."),
        )
        self.base_fields = {**found, "version": self.base_fields["version"]}
        super().__init__(*args, **kwargs)

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class OrganisationForm(_LibraryForm):
    model = Organisation
    field_names = ORGANISATION_FIELDS
    widgets = {
        "joined_on": DateInput(),
        "services": forms.Textarea(attrs={"rows": 3}),
    }


class ProfessionalForm(_LibraryForm):
    model = Professional
    field_names = PROFESSIONAL_FIELDS

    def __init__(self, *args, organisations: QuerySet[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class IncubationStartForm(BootstrapMixin, forms.Form):
    started_on = forms.DateField(
        label=_("incubation started on"), initial=timezone.localdate, widget=DateInput()
    )
    mentor = forms.CharField(label=_("mentor"), max_length=100, required=False)


class IncubationForm(BootstrapMixin, forms.Form):
    stage = forms.ChoiceField(
        label=_("stage"),
        choices=[(s.value, s.label) for s in WORKING_STAGES],
    )
    mentor = forms.CharField(label=_("mentor"), max_length=100, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class MilestoneForm(BootstrapMixin, forms.Form):
    reached_on = forms.DateField(label=_("date"), initial=timezone.localdate, widget=DateInput())
    title = forms.CharField(label=_("milestone"), max_length=200)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class GraduateForm(BootstrapMixin, forms.Form):
    graduated_on = forms.DateField(
        label=_("graduated on"), initial=timezone.localdate, widget=DateInput()
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("organisation"), queryset=Organisation.objects.none(), required=False
    )
    professional = forms.ModelChoiceField(
        label=_("professional"), queryset=Professional.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("kind"), choices=LinkKind.choices)
    description = forms.CharField(label=_("what was given"), max_length=200)
    quantity = forms.DecimalField(
        label=_("quantity"), max_digits=10, decimal_places=2, initial=Decimal(1)
    )
    unit = forms.CharField(label=_("unit"), max_length=20, required=False)
    value = forms.DecimalField(
        label=_("value (yuan)"),
        max_digits=12,
        decimal_places=2,
        initial=Decimal(0),
        min_value=Decimal(0),
    )
    given_on = forms.DateField(label=_("date"), initial=timezone.localdate, widget=DateInput())

    def __init__(
        self,
        *args,
        organisations: QuerySet[Organisation],
        professionals: QuerySet[Professional],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["professional"].queryset = professionals
        self.fields["professional"].label_from_instance = lambda p: (
            f"{p.name} · {p.get_profession_display()}"
        )

    # The service checks these too; here they are reported together with the other fields.
    def clean_quantity(self) -> Decimal:
        quantity = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise forms.ValidationError(_("The quantity must be more than 0."))
        return quantity

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."))
        return given_on

    def clean(self):
        data = super().clean()
        if not data.get("organisation") and not data.get("professional"):
            self.add_error(
                "organisation", _("Choose the organisation or the professional who gave.")
            )
        return data
