"""Activities with their participants, volunteers, sessions and photos; the overview."""

from django.urls import path

from . import views_activities as views
from . import views_overview

urlpatterns = [
    path("overview/", views_overview.overview, name="overview"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_new, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/participants/", views.participants, name="activity_participants"),
    path(
        "activities/<int:pk>/participants/<int:person>/remove/",
        views.participant_remove,
        name="activity_participant_remove",
    ),
    path("activities/<int:pk>/volunteers/", views.volunteers, name="activity_volunteers"),
    path("activities/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("activities/<int:pk>/sessions/<int:number>/", views.session_edit, name="session"),
    path(
        "activities/<int:pk>/sessions/<int:number>/delete/",
        views.session_delete,
        name="session_delete",
    ),
    path("activities/<int:pk>/photos/", views.photo_add, name="activity_photo_add"),
    path("activities/<int:pk>/photos/<int:photo>/", views.photo, name="activity_photo"),
    path(
        "activities/<int:pk>/photos/<int:photo>/delete/",
        views.photo_delete,
        name="activity_photo_delete",
    ),
    path("activities/<int:pk>/close/", views.activity_close, name="activity_close"),
    path("activities/<int:pk>/reopen/", views.activity_reopen, name="activity_reopen"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
]
