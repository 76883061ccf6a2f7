from django.contrib import admin
from django.urls import include, path

from . import views
from .api import api
from .ops import views as ops_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("shegong.accounts.urls")),
    path("people/", include("shegong.people.urls")),
    path("regions/", include("shegong.regions.urls")),
    path("work/", include("shegong.casework.urls")),
    path("children/", include("shegong.children.urls")),
    path("elderly/", include("shegong.elderly.urls")),
    path("alarms/", include("shegong.devices.urls")),
    path("juvenile/", include("shegong.juvenile.urls")),
    path("institutions/", include("shegong.institutions.urls")),
    path("community/", include("shegong.community.urls")),
    path("audit/", include("shegong.audit.urls")),
    path("dashboard/", include("shegong.dashboard.urls")),
    path("reports/", include("shegong.reports.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
