from django import forms
from django.utils.translation import gettext_lazy as _

from shegong.forms import BootstrapMixin
from shegong.regions.models import Region

from .models import Role


class TokenForm(BootstrapMixin, forms.Form):
    token = forms.CharField(
        label=_("6-digit code"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


def region_choices(prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    choices = []
    regions = Region.objects.select_related("parent").order_by("code")
    for region in regions:
        if any(region.code.startswith(p) for p in prefixes):
            indent = {"district": "", "township": "— ", "village": "—— "}[region.level]
            choices.append((region.code, f"{indent}{region.name} ({region.code})"))
    return choices


class MembershipForm(BootstrapMixin, forms.Form):
    # No default: granting a role (district admin above all) must be a deliberate choice.
    role = forms.ChoiceField(label=_("role"), choices=[("", "—"), *Role.choices])
    region_code = forms.ChoiceField(label=_("region"))
    organisation = forms.CharField(label=_("organisation"), max_length=100, required=False)

    def __init__(self, *args, prefixes: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = region_choices(prefixes)


class UserCreateForm(MembershipForm):
    username = forms.CharField(label=_("user name"), max_length=150)
    full_name = forms.CharField(label=_("full name"), max_length=50)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    password = forms.CharField(
        label=_("initial password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    field_order = ["username", "full_name", "phone", "password", "role", "region_code"]
