import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.casework.forms import DateInput
from shegong.forms import BootstrapMixin

from .models import (
    ActivityKind,
    ActivityStatus,
    Organisation,
    OrganisationStatus,
    TargetGroup,
)


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ActivityForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=ActivityKind.choices)
    region = forms.ModelChoiceField(label=_("organised by"), queryset=None, empty_label=None)
    date = forms.DateField(label=_("date"), initial=timezone.localdate, widget=DateInput())
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    target_group = forms.ChoiceField(label=_("target group"), choices=TargetGroup.choices)
    head_count = forms.IntegerField(
        label=_("other participants (head count)"),
        min_value=0,
        initial=0,
        help_text=_(
            "People who took part without being in the registry. With sessions, enter the "
            "head count on each session instead."
        ),
    )
    organisations = forms.ModelMultipleChoiceField(
        label=_("organisations involved"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("From the resource library. Hold Ctrl (or ⌘) to choose several."),
    )
    summary = forms.CharField(label=_("summary"), required=False, widget=_text(4))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, regions, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["region"].label_from_instance = lambda r: r.name
        self.fields["organisations"].queryset = organisations.exclude(
            status=OrganisationStatus.DISSOLVED
        ).order_by("kind", "name", "pk")
        self.fields["organisations"].label_from_instance = lambda o: (
            f"{o.name} · {o.get_kind_display()}"
        )


class SessionForm(BootstrapMixin, forms.Form):
    date = forms.DateField(label=_("date"), initial=timezone.localdate, widget=DateInput())
    topic = forms.CharField(label=_("topic"), max_length=200, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("attendance"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    head_count = forms.IntegerField(
        label=_("other participants (head count)"),
        min_value=0,
        initial=0,
        help_text=_("People at this session who are not in the registry."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = members
        self.fields["attendees"].label_from_instance = lambda p: f"{p.name} · {p.region.name}"


class PhotoForm(BootstrapMixin, forms.Form):
    image = forms.FileField(
        label=_("photo"),
        help_text=_("JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    caption = forms.CharField(label=_("caption"), max_length=200, required=False)


class CloseForm(BootstrapMixin, forms.Form):
    summary = forms.CharField(label=_("summary"), widget=_text(4))
    version = forms.IntegerField(widget=forms.HiddenInput)


# Dates a period may use: the figures turn a day into its local midnight in UTC, which year 1
# (and year 9999 plus a day) cannot hold.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


class PeriodForm(forms.Form):
    """?from= and ?to= (the overview's period, the list's dates); a bad date is reported on
    its field. The names are Python keywords, so the fields are added by name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        within = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]
        self.fields["from"] = forms.DateField(
            label=_("from"),
            required=False,
            widget=DateInput(attrs={"id": "from"}),
            validators=within,
        )
        self.fields["to"] = forms.DateField(
            label=_("to"), required=False, widget=DateInput(attrs={"id": "to"}), validators=within
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end date is before the start date."))
        return data


class ActivityFilterForm(PeriodForm):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[("", _("All kinds")), *ActivityKind.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select", "id": "kind"}),
    )
    status = forms.ChoiceField(
        label=_("status"),
        choices=[("", _("All statuses")), *ActivityStatus.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select", "id": "status"}),
    )
    target = forms.ChoiceField(
        label=_("target group"),
        choices=[("", _("All target groups")), *TargetGroup.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select", "id": "target"}),
    )
    region = forms.CharField(required=False, widget=forms.HiddenInput)
