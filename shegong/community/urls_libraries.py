from django.urls import path

from . import views_libraries as views

urlpatterns = [
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/", views.organisation_new, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:pk>/incubation/start/",
        views.incubation_start,
        name="incubation_start",
    ),
    path("organisations/<int:pk>/incubation/", views.incubation_edit, name="incubation_edit"),
    path(
        "organisations/<int:pk>/incubation/milestones/",
        views.milestone_add,
        name="milestone_add",
    ),
    path(
        "organisations/<int:pk>/incubation/graduate/",
        views.incubation_graduate,
        name="incubation_graduate",
    ),
    path("professionals/", views.professional_list, name="professionals"),
    path("professionals/new/", views.professional_new, name="professional_new"),
    path("professionals/<int:pk>/", views.professional_detail, name="professional"),
    path("professionals/<int:pk>/edit/", views.professional_edit, name="professional_edit"),
    path("links/", views.link_list, name="links"),
    path("links/new/", views.link_new, name="link_new"),
]
