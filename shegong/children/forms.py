from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    ChildProfile,
    Colour,
    Difficulty,
    GuardianCapacity,
    InterventionRule,
    ParentSituation,
)
from .services import DIRECTOR_ROLES, SUPERVISOR_ROLES, responsible_candidates


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.username


class ChildProfileForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    difficulties = forms.MultipleChoiceField(
        label=_("kinds of difficulty"),
        choices=Difficulty.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    father = forms.ChoiceField(label=_("father"), choices=ParentSituation.choices)
    mother = forms.ChoiceField(label=_("mother"), choices=ParentSituation.choices)
    guardian_capacity = forms.ChoiceField(
        label=_("guardian's capacity"), choices=GuardianCapacity.choices
    )
    guardian_notes = forms.CharField(
        label=_("guardian situation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who cares for the child day to day, and anything that limits them."),
    )
    school = forms.CharField(label=_("school"), max_length=100, required=False)
    grade = forms.CharField(label=_("grade"), max_length=30, required=False)
    health = forms.CharField(
        label=_("health"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    director = UserChoiceField(label=_("responsible child director"), queryset=None, required=False)
    supervisor = UserChoiceField(label=_("responsible supervisor"), queryset=None, required=False)

    def __init__(self, *args, profile: ChildProfile, **kwargs):
        super().__init__(*args, **kwargs)
        code = profile.person.region_id
        self.fields["director"].queryset = responsible_candidates(code=code, roles=DIRECTOR_ROLES)
        self.fields["supervisor"].queryset = responsible_candidates(
            code=code, roles=SUPERVISOR_ROLES
        )
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"
            elif name not in ("difficulties", "version"):
                field.widget.attrs["class"] = "form-control"

    @staticmethod
    def initial_for(profile: ChildProfile) -> dict:
        return {
            "version": profile.version,
            "difficulties": profile.difficulties,
            "father": profile.father,
            "mother": profile.mother,
            "guardian_capacity": profile.guardian_capacity,
            "guardian_notes": profile.guardian_notes,
            "school": profile.school,
            "grade": profile.grade,
            "health": profile.health,
            "director": profile.director_id,
            "supervisor": profile.supervisor_id,
        }


class OverrideForm(forms.Form):
    colour = forms.ChoiceField(
        label=_("final colour"), choices=Colour.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("reason for overriding"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("Required when the final colour differs from the computed one."),
    )


class RuleForm(forms.ModelForm):
    class Meta:
        model = InterventionRule
        fields = [
            "case_within_hours",
            "case_recommended",
            "visit_every_days",
            "reassess_every_days",
            "supervisor_reviews_plan",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-control"
                field.widget.attrs["min"] = 1


RuleFormSet = forms.modelformset_factory(InterventionRule, form=RuleForm, extra=0)
