from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Generated demo data. Sits above every programme app, so it may use them all."""

    name = "shegong.demo"
    verbose_name = _("Demo data")
