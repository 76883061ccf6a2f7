"""Forms of guidance, orders, mentoring and closing: parsing only; services.py has the rules."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.casework.forms import DateInput

from .models import ActivityKind, Compliance, OrderKind, SessionKind
from .services import GUARDIAN_ITEMS

# The guardian assessment's five items (services.GUARDIAN_ITEMS), each scored 1 (poor) to 5.
GUARDIAN_ITEM_LABELS = {
    "awareness": _("Guardianship awareness"),  # 监护意识
    "communication": _("Parent–child communication"),  # 亲子沟通
    "methods": _("Educational methods"),  # 教育方法
    "emotions": _("Emotion management"),  # 情绪管理
    "rules": _("Sense of rules"),  # 规则意识
}
SCORES = [(n, str(n)) for n in range(1, 6)]


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _line(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


def _today_initial(form: forms.Form, *names: str) -> None:
    for name in names:
        form.fields[name].initial = timezone.localdate()


class PlanForm(forms.Form):
    goals = forms.CharField(label=_("goals"), widget=_text(4))
    content = forms.CharField(label=_("content and methods"), widget=_text(6))
    sessions_planned = forms.IntegerField(
        label=_("sessions planned"),
        min_value=1,
        max_value=100,
        initial=6,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("date"), widget=DateInput())
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=SessionKind.choices,
        initial=SessionKind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    guardians_attending = forms.CharField(
        label=_("guardians attending"),
        max_length=200,
        widget=_line(placeholder=_("mother, grandfather …")),
    )
    attended = forms.BooleanField(label=_("guardian attended"), required=False, initial=True)
    content = forms.CharField(label=_("content"), widget=_text(4))
    assignments = forms.CharField(
        label=_("assignments for the family"), required=False, widget=_text(2)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _today_initial(self, "held_on")


class AssessmentForm(forms.Form):
    """The five items, each a row of buttons 1–5."""

    assessed_on = forms.DateField(label=_("date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _today_initial(self, "assessed_on")
        for item in GUARDIAN_ITEMS:
            self.fields[item] = forms.TypedChoiceField(
                label=GUARDIAN_ITEM_LABELS[item],
                choices=SCORES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Score 1 to 5.")},
            )

    def items(self) -> list[forms.BoundField]:
        return [self[item] for item in GUARDIAN_ITEMS]

    def scores(self) -> dict[str, int]:
        return {item: self.cleaned_data[item] for item in GUARDIAN_ITEMS}


class OrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=OrderKind.choices, widget=_select())
    number = forms.CharField(
        label=_("document number"), max_length=60, required=False, widget=_line()
    )
    issued_by = forms.CharField(
        label=_("issued by"),
        max_length=100,
        widget=_line(placeholder=_("the procuratorate or the court")),
    )
    issued_on = forms.DateField(label=_("issued on"), widget=DateInput())
    obligations = forms.CharField(label=_("obligations"), widget=_text(4))
    check_every_days = forms.IntegerField(
        label=_("check every (days)"),
        min_value=1,
        max_value=365,
        initial=30,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    ends_on = forms.DateField(
        label=_("ends on"),
        required=False,
        widget=DateInput(),
        help_text=_("No check is scheduled after this date."),
    )

    def clean(self):
        data = super().clean()
        if data.get("ends_on") and data.get("issued_on") and data["ends_on"] < data["issued_on"]:
            self.add_error("ends_on", _("The order ends after it is issued."))
        return data


class CheckForm(forms.Form):
    result = forms.ChoiceField(
        label=_("result"),
        choices=Compliance.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the result of the check.")},
    )
    checked_on = forms.DateField(label=_("checked on"), widget=DateInput())
    note = forms.CharField(label=_("note"), required=False, widget=_text(3))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _today_initial(self, "checked_on")

    def clean_checked_on(self):
        day = self.cleaned_data["checked_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A check cannot be recorded before it happens."))
        return day


class MentoringForm(forms.Form):
    held_on = forms.DateField(label=_("date"), widget=DateInput())
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=ActivityKind.choices,
        initial=ActivityKind.MENTORING,
        widget=forms.RadioSelect,
    )
    content = forms.CharField(label=_("content"), widget=_text(4))
    hours = forms.DecimalField(
        label=_("hours"),
        min_value=0,
        max_value=99,
        decimal_places=1,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.5"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _today_initial(self, "held_on")

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("An activity cannot be recorded before it happens."))
        return day


class ClosingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(label=_("what was done"), widget=_text(6))
    outcome = forms.CharField(label=_("outcome"), widget=_text(4))
