from django.urls import path

from . import views

app_name = "children"

urlpatterns = [
    path("", views.child_list, name="list"),
    path("overview/", views.overview, name="overview"),
    path("instruments/", views.instrument_list, name="instruments"),
    path("instruments/<int:pk>/", views.instrument_detail, name="instrument"),
    path("instruments/<int:pk>/draft/", views.instrument_draft, name="instrument_draft"),
    path("instruments/<int:pk>/publish/", views.instrument_publish, name="instrument_publish"),
    path(
        "instruments/<int:pk>/dimensions/add/",
        views.instrument_dimension_add,
        name="dimension_add",
    ),
    path(
        "instruments/<int:pk>/dimensions/<int:dimension_id>/remove/",
        views.instrument_dimension_remove,
        name="dimension_remove",
    ),
    path(
        "instruments/<int:pk>/dimensions/<int:dimension_id>/items/add/",
        views.instrument_item_add,
        name="item_add",
    ),
    path(
        "instruments/<int:pk>/items/<int:item_id>/remove/",
        views.instrument_item_remove,
        name="item_remove",
    ),
    path(
        "instruments/<int:pk>/items/<int:item_id>/options/add/",
        views.instrument_option_add,
        name="option_add",
    ),
    path(
        "instruments/<int:pk>/options/<int:option_id>/remove/",
        views.instrument_option_remove,
        name="option_remove",
    ),
    path("rules/", views.rules, name="rules"),
    path("<int:person_id>/", views.colour_card, name="card"),
    path("<int:person_id>/register/", views.child_register, name="register"),
    path("<int:person_id>/edit/", views.child_edit, name="edit"),
    path("<int:person_id>/assess/", views.assess, name="assess"),
    path("<int:person_id>/assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path(
        "<int:person_id>/assessments/<int:pk>/override/",
        views.assessment_override,
        name="override",
    ),
]
