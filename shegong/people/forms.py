from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from shegong.forms import BootstrapMixin
from shegong.regions.models import Level, Region

from .models import (
    Category,
    DisabilityGrade,
    DisabilityKind,
    OnExisting,
    PersonStatus,
    RelationKind,
    Sex,
)


class PersonForm(BootstrapMixin, forms.Form):
    """The UI form; the service does the real validation and its errors land on these fields."""

    name = forms.CharField(label=_("name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=25,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": reverse_lazy("people:check_id"),
                "hx-trigger": "keyup changed delay:400ms, change",
                "hx-target": "#id-check",
                "hx-sync": "this:replace",
            }
        ),
    )
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(
        label=_("date of birth"),
        required=False,
        # An <input type=date> takes ISO dates only, whatever the language.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Sex and date of birth are taken from the ID number when left empty."),
    )
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    region_code = forms.ChoiceField(label=_("village"))
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    # "Merged" is set by the merge, never chosen by hand.
    status = forms.ChoiceField(
        label=_("status"),
        choices=[c for c in PersonStatus.choices if c[0] != PersonStatus.MERGED],
    )
    categories = forms.MultipleChoiceField(
        label=_("categories"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    disability_kind = forms.ChoiceField(
        label=_("disability kind"), choices=[("", "—"), *DisabilityKind.choices], required=False
    )
    disability_grade = forms.TypedChoiceField(
        label=_("disability grade"),
        choices=[("", "—"), *DisabilityGrade.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, prefixes: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        villages = Region.objects.filter(level=Level.VILLAGE).select_related("parent")
        choices = [
            (v.code, f"{v.parent.name} · {v.name}")
            for v in villages.order_by("code")
            if any(v.code.startswith(p) for p in prefixes)
        ]
        self.fields["region_code"].choices = [("", "—"), *choices] if len(choices) > 1 else choices


class RelationForm(BootstrapMixin, forms.Form):
    relative_id_number = forms.CharField(
        label=_("relative's ID number"),
        max_length=25,
        help_text=_("The relative must already be in the registry."),
    )
    kind = forms.ChoiceField(label=_("relation"), choices=RelationKind.choices)
    is_primary_guardian = forms.BooleanField(label=_("primary guardian"), required=False)
    notes = forms.CharField(label=_("notes"), max_length=200, required=False)


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("roster file"),
        help_text=_(".xlsx, .xls or .csv (UTF-8 or GBK), up to 30 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    region_code = forms.ChoiceField(
        label=_("import into"),
        help_text=_("A township: the file needs a village column. A village: it may have none."),
    )
    category = forms.ChoiceField(
        label=_("category for every row"),
        choices=[("", _("(from the file's category column, if any)")), *Category.choices],
        required=False,
    )
    on_existing = forms.ChoiceField(
        label=_("people already in the registry"),
        choices=OnExisting.choices,
        initial=OnExisting.UPDATE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = [
            (r.code, f"{r.parent.name} · {r.name}" if r.level == "village" else r.name)
            for r in regions
        ]
