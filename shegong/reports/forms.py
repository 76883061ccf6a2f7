import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.forms import BootstrapMixin
from shegong.regions.models import Region


class MonthField(forms.DateField):
    """An ``<input type="month">``: "2025-05" is the first of May 2025."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        found = super().to_python(value)
        return found.replace(day=1) if found else found


def last_month() -> dt.date:
    first = timezone.localdate().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


class RequestForm(BootstrapMixin, forms.Form):
    region = forms.ChoiceField(label=_("region"))
    month = MonthField(label=_("Month"))

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [
            (r.prefix, f"{'— ' * (len(r.prefix) // 3 - 2)}{r.name}") for r in regions
        ]
        if regions and not self.is_bound:
            self.initial.setdefault("region", regions[0].prefix)
        self.initial.setdefault("month", last_month())
