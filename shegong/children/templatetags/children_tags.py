from django import template
from django.utils.translation import gettext as _

from shegong.children.models import Colour

register = template.Library()


@register.inclusion_tag("children/_colour.html")
def colour_badge(colour: str, large: bool = False) -> dict:
    """A colour card badge: colour, shape and name, so it reads without colour vision too."""
    label = Colour(colour).label if colour in Colour.values else _("Not graded yet")
    return {"colour": colour if colour in Colour.values else "none", "label": label, "large": large}


@register.filter
def colour_label(colour: str) -> str:
    return Colour(colour).label if colour in Colour.values else "—"
