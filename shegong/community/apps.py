from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    """Community linkage (五社联动): libraries, volunteers, activities, training, resources."""

    name = "shegong.community"
    verbose_name = _("Community linkage")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models import Q

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
        # assignments (and logs hours on them); nothing else. Subqueries, not joins, so an OR
        # with a region rule never repeats rows.
        def own(model, path: str):
            def q_for_user(user) -> Q:
                return Q(pk__in=model.objects.filter(**{path: user}).values("pk"))

            return q_for_user

        volunteer = Role.VOLUNTEER
        register_org_access(models.Volunteer, volunteer, own(models.Volunteer, "user"))
        register_org_access(
            models.VolunteerTask,
            volunteer,
            own(models.VolunteerTask, "assignments__volunteer__user"),
        )
        register_org_access(
            models.Assignment, volunteer, own(models.Assignment, "volunteer__user"), writes=True
        )
