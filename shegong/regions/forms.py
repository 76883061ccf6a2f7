from django import forms
from django.utils.translation import gettext_lazy as _

from shegong.forms import BootstrapMixin

from .models import Station


class StationForm(BootstrapMixin, forms.ModelForm):
    rooms_text = forms.CharField(
        label=_("rooms"),
        required=False,
        help_text=_("One per line, e.g. 综合办公室, 技能图书室, 心理咨询室."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    wecom_webhook = forms.URLField(
        label=Station._meta.get_field("wecom_webhook").verbose_name,
        help_text=Station._meta.get_field("wecom_webhook").help_text,
        required=False,
        max_length=300,
        assume_scheme="https",
    )

    class Meta:
        model = Station
        fields = [
            "name",
            "serves_elderly",
            "serves_minors",
            "serves_social_work",
            "address",
            "opening_hours",
            "phone",
            "established_on",
            "wecom_webhook",
        ]
        # An <input type=date> takes ISO dates only, whatever the language.
        widgets = {"established_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["rooms_text"] = "\n".join(self.instance.rooms)
            self.initial["version"] = self.instance.version

    def station_data(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.Meta.fields}
        text = self.cleaned_data["rooms_text"].replace("，", ",").replace(",", "\n")
        data["rooms"] = [line.strip() for line in text.splitlines() if line.strip()]
        return data
