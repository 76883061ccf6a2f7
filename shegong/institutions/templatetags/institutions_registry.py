"""What the institution page shows beside its facts without its view knowing: occupancy (derived,
never stored), who may edit, and the inspections card. A fixed number of queries."""

from django import template

from shegong.institutions import inspections, registry

register = template.Library()


@register.simple_tag
def registry_extras(institution, user) -> dict:
    fields = registry.editable_fields(user, institution)
    return {
        "occupancy": registry.occupancy(institution),
        "may_edit": bool(fields),
        "may_set_account": fields == registry.REGISTRY_FIELDS,
        "inspections": (
            inspections.inspection_summary(institution, fetched_by=user)
            if inspections.may_see_inspections(user, institution)
            else None
        ),
    }


@register.simple_tag
def may_register(user) -> bool:
    return registry.may_register(user)
