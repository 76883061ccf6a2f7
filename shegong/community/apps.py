from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    """Community linkage (五社联动): libraries, volunteers, activities, training, resources."""

    name = "shegong.community"
    verbose_name = _("Community linkage")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from shegong.accounts.models import Role
        from shegong.accounts.scope import register_org_access
        from shegong.people.views import PERSON_PANELS

        from . import libraries_links, models

        if libraries_links.person_panel not in PERSON_PANELS:
            PERSON_PANELS.append(libraries_links.person_panel)

        for model in (
            models.Organisation,
            models.Incubation,
            models.Milestone,
            models.Professional,
            models.Volunteer,
            models.VolunteerTask,
            models.Assignment,
            models.Activity,
            models.TrainingCourse,
            models.ResourceLink,
        ):
            auditlog.register(model)

        # A volunteer reaches their own record, the tasks they signed up for and their own
        # assignments (and logs hours on them); nothing else.
        volunteer = Role.VOLUNTEER
        register_org_access(models.Volunteer, volunteer, "user")
        register_org_access(
            models.VolunteerTask,
            volunteer,
            "assignments__volunteer__user",
        )
        register_org_access(models.Assignment, volunteer, "volunteer__user", writes=True)
