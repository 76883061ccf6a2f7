"""Forms parse input only; the rules live in services.py."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.accounts.models import Programme, User

from .models import NoteMethod, VisitMode


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%d")


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _line(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class VisitForm(forms.Form):
    """Quick to fill on a phone: today's date, a big button per mode, four short texts."""

    visited_on = forms.DateField(label=_("date of the visit"), widget=DateInput())
    mode = forms.ChoiceField(
        label=_("how"), choices=VisitMode.choices, widget=forms.RadioSelect, initial="home"
    )
    seen = forms.CharField(
        label=_("who was seen"),
        max_length=200,
        required=False,
        widget=_line(placeholder=_("the child, grandmother …")),
    )
    companions = forms.CharField(
        label=_("together with"), max_length=200, required=False, widget=_line()
    )
    observations = forms.CharField(label=_("observations"), required=False, widget=_text())
    concerns = forms.CharField(label=_("concerns raised"), required=False, widget=_text(2))
    next_visit_on = forms.DateField(label=_("next visit"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()


class NoteForm(forms.Form):
    method = forms.ChoiceField(
        label=_("method"),
        choices=NoteMethod.choices,
        initial=NoteMethod.CASEWORK,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    text = forms.CharField(label=_("note"), widget=_text(4))
    confidential = forms.BooleanField(
        label=_("confidential (only the author, the case owner and supervisors read it)"),
        required=False,
    )


class PlanForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    goals = forms.CharField(label=_("goals"), required=False, widget=_text(4))
    services = forms.CharField(label=_("services and resources"), required=False, widget=_text(3))


class TaskForm(forms.Form):
    title = forms.CharField(label=_("task"), max_length=200, widget=_line())
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    due_on = forms.DateField(label=_("due on"), widget=DateInput())

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(pk__in=[u.pk for u in staff])


class CaseOpenForm(forms.Form):
    programme = forms.ChoiceField(
        label=_("programme"),
        choices=Programme.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    title = forms.CharField(label=_("title"), max_length=200, required=False, widget=_line())
    reason = forms.CharField(label=_("reason for opening"), widget=_text(3))


class PeriodFilterForm(forms.Form):
    """A list's ``?from=`` and ``?to=`` (the dashboard passes its period so): a bad date is
    reported on its field and left out of the filters. The names are Python keywords, so the
    fields are added by name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label=_("from"), required=False, widget=DateInput(attrs={"id": "from"})
        )
        self.fields["to"] = forms.DateField(
            label=_("to"), required=False, widget=DateInput(attrs={"id": "to"})
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end date is before the start date."))
        return data

    def period(self) -> tuple:
        """(from, to): the dates that parsed, ``None`` for a missing or bad one."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("from"), data.get("to")
