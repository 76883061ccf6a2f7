from django.conf import settings

from . import scope


def navigation(request):
    """What the navigation shows: only the sections this user can use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.DEMO_MODE}
    return {
        "demo_mode": settings.DEMO_MODE,
        "nav": {
            "people": scope.can_read_registry(user),
            "children": scope.can_read_registry(user),
            "work": scope.can_read_registry(user) or scope.sees_assigned_work(user),
            "regions": scope.can_see_aggregates(user),
            "users": scope.is_admin(user),
            "audit": scope.is_admin(user),
            # The justice-involved minors: its workers, and the partner agencies' liaisons.
            "juvenile": scope.works_in_programme(user, "juvenile")
            or bool(scope.partner_agencies(user)),
            # Elderly-care institutions: the registry roles by region, operators and banks.
            "institutions": scope.can_read_registry(user) or scope.works_for_organisation(user),
            # Community linkage: the overview for staff (and viewers, who see figures only);
            # a volunteer's own tasks and hours.
            "community": scope.can_see_aggregates(user),
            "volunteer": scope.is_volunteer(user),
        },
    }
