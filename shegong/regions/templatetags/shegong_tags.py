from django import template
from django.utils.translation import gettext as _

from shegong.accounts.models import Role

register = template.Library()


@register.filter
def role_label(value: str) -> str:
    return Role(value).label if value in Role.values else value


@register.filter
def audit_value(value) -> str:
    """auditlog writes missing values as the text 'None'; show a dash instead."""
    if value in (None, "", "None", "[]"):
        return "—"
    return value


@register.filter
def audit_field(name: str) -> str:
    """Keys that are not model fields (categories are logged on the person) get a label."""
    labels = {"categories": _("categories")}
    return labels.get(name, name)
