"""Forms of the referral pages (views.py): they parse input only; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from shegong.casework.forms import DateInput
from shegong.regions.selectors import villages

from .models import Agency, InterviewMethod, ProceduralStatus, ServiceRequested, Sex


def _line(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


class ReferralForm(forms.Form):
    agency = forms.TypedChoiceField(
        label=gettext_lazy("referring agency"), coerce=int, empty_value=None
    )
    case_number = forms.CharField(
        label=gettext_lazy("case number"), max_length=60, widget=_line(autocomplete="off")
    )
    minor_name = forms.CharField(
        label=gettext_lazy("minor's name"), max_length=50, widget=_line(autocomplete="off")
    )
    id_number = forms.CharField(
        label=gettext_lazy("ID number"),
        max_length=20,
        required=False,
        widget=_line(autocomplete="off", inputmode="text"),
        help_text=gettext_lazy("Optional. When given, the date of birth and sex come from it."),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("date of birth"), required=False, widget=DateInput()
    )
    sex = forms.ChoiceField(
        label=gettext_lazy("sex"),
        choices=[("", "—"), *Sex.choices],
        required=False,
        widget=_select(),
    )
    region_code = forms.ChoiceField(label=gettext_lazy("village where the minor lives"))
    school_or_work = forms.CharField(
        label=gettext_lazy("school or work"), max_length=100, required=False, widget=_line()
    )
    guardian_name = forms.CharField(
        label=gettext_lazy("guardian"), max_length=50, required=False, widget=_line()
    )
    guardian_relation = forms.CharField(
        label=gettext_lazy("guardian's relation"), max_length=20, required=False, widget=_line()
    )
    guardian_phone = forms.CharField(
        label=gettext_lazy("guardian's phone"),
        max_length=20,
        required=False,
        widget=_line(inputmode="tel", autocomplete="off"),
    )
    procedural_status = forms.ChoiceField(
        label=gettext_lazy("procedural status"),
        choices=[("", "—"), *ProceduralStatus.choices],
        widget=_select(),
    )
    case_summary = forms.CharField(label=gettext_lazy("the case in brief"), widget=_text(4))
    services = forms.MultipleChoiceField(
        label=gettext_lazy("services asked for"),
        choices=ServiceRequested.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    due_on = forms.DateField(label=gettext_lazy("due date"), widget=DateInput())

    def __init__(self, *args, agencies: list[Agency], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        field.choices = [(a.pk, a.name) for a in agencies]
        field.initial = agencies[0].pk
        # One agency (the usual case): no choice to make.
        field.required = len(agencies) > 1
        field.widget = _select() if field.required else forms.HiddenInput()
        # The villages under the agencies' areas, grouped by township.
        groups: dict[str, list[tuple[str, str]]] = {}
        for prefix in sorted({a.region.prefix for a in agencies}):
            for village in villages(prefix):
                groups.setdefault(village.parent.name, []).append((village.code, village.name))
        self.fields["region_code"].choices = [("", "—"), *groups.items()]
        self.fields["region_code"].widget.attrs["class"] = "form-select"


class InterviewForm(forms.Form):
    interviewee = forms.CharField(label=gettext_lazy("interviewee"), max_length=50, widget=_line())
    relation = forms.CharField(
        label=gettext_lazy("relation to the minor"),
        max_length=30,
        widget=_line(placeholder=gettext_lazy("the minor, mother, class teacher …")),
    )
    held_at = forms.DateTimeField(
        label=gettext_lazy("when"),
        widget=forms.DateTimeInput(
            attrs={"class": "form-control", "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    place = forms.CharField(label=gettext_lazy("where"), max_length=100, widget=_line())
    method = forms.ChoiceField(
        label=gettext_lazy("how"),
        choices=InterviewMethod.choices,
        initial=InterviewMethod.IN_PERSON,
        widget=_select(),
    )
    summary = forms.CharField(label=gettext_lazy("summary"), widget=_text(6))


class DocumentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("title"), max_length=200, widget=_line())
    file = forms.FileField(
        label=gettext_lazy("file"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
        help_text=gettext_lazy("PDF, Word, pictures …, up to 20 MB."),
    )
