"""Forms for volunteers, tasks, hours and training courses. They check the shape of the input;
the rules live in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.accounts import scope
from shegong.casework.forms import DateInput
from shegong.forms import BootstrapMixin
from shegong.regions.models import Level, Region, under_prefix

from .models import Audience, TaskKind


def regions_for_writer(user: Any, *, villages_only: bool = False) -> QuerySet[Region]:
    """The regions a user may write in: their own region and everything under it."""
    prefixes = scope.scope_for(user).write_prefixes
    if not prefixes:
        return Region.objects.none()
    inside = Q()
    for prefix in prefixes:
        inside |= under_prefix("code", prefix)
    regions = Region.objects.filter(inside).select_related("parent").order_by("code")
    return regions.filter(level=Level.VILLAGE) if villages_only else regions


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        if obj.level == Level.VILLAGE and obj.parent_id:
            return f"{obj.parent.name} · {obj.name}"
        return obj.name


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class VolunteerForm(BootstrapMixin, forms.Form):
    id_number = forms.CharField(
        label=_("ID number (a person in the registry)"),
        max_length=18,
        required=False,
        help_text=_(
            "For a person in the registry: their name and village come from the registry. "
            "Leave empty and type name, phone and village for anyone else."
        ),
    )
    name = forms.CharField(label=_("name"), max_length=50, required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    region = RegionChoiceField(label=_("village"), queryset=Region.objects.none(), required=False)
    skills = forms.CharField(
        label=_("skills"),
        max_length=200,
        required=False,
        help_text=_("Separate skills with commas, such as: tutoring, first aid, driving."),
    )
    availability = forms.CharField(label=_("availability"), max_length=100, required=False)
    registered = forms.BooleanField(label=_("registered on the national system"), required=False)
    national_number = forms.CharField(
        label=_("national volunteer number"), max_length=30, required=False
    )
    joined_on = forms.DateField(
        label=_("joined on"), initial=timezone.localdate, widget=DateInput()
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    username = forms.CharField(
        label=_("login account (username)"),
        max_length=150,
        required=False,
        help_text=_(
            "Optional: an account with the volunteer role, so the volunteer can see their "
            "tasks and log hours."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for_writer(user, villages_only=True)


class TaskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=TaskKind.choices)
    region = RegionChoiceField(
        label=_("region"),
        queryset=Region.objects.none(),
        help_text=_("Volunteers of the villages in this region may sign up."),
    )
    date = forms.DateField(label=_("date"), initial=timezone.localdate, widget=DateInput())
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    slots = forms.IntegerField(label=_("volunteers needed"), min_value=1, max_value=500, initial=1)
    person_id_number = forms.CharField(
        label=_("person served: ID number"),
        max_length=18,
        required=False,
        help_text=_("Optional. Volunteers see only the person's name and village."),
    )
    description = forms.CharField(
        label=_("description"),
        required=False,
        widget=_text(),
        help_text=_("Volunteers read this: write no ID numbers, phone numbers or addresses."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for_writer(user)


class CourseForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=100)
    region = RegionChoiceField(label=_("organised by"), queryset=Region.objects.none())
    audience = forms.ChoiceField(label=_("audience"), choices=Audience.choices)
    trainer = forms.CharField(label=_("trainer"), max_length=100, required=False)
    description = forms.CharField(label=_("description"), required=False, widget=_text())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for_writer(user)


class TrainingSessionForm(BootstrapMixin, forms.Form):
    date = forms.DateField(label=_("date"), initial=timezone.localdate, widget=DateInput())
    topic = forms.CharField(label=_("topic"), max_length=200)
    hours = forms.DecimalField(
        label=_("hours"),
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.5"),
        max_value=Decimal("24"),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
