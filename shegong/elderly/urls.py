from django.urls import path

from . import views

app_name = "elderly"

urlpatterns = [
    path("", views.elderly_list, name="list"),
    path("visits/", views.visit_rates, name="visits"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/<slug:action>/", views.order_action, name="order_action"),
    path("<int:person_id>/orders/new/", views.order_new, name="order_new"),
    path("<int:person_id>/", views.profile, name="profile"),
    path("<int:person_id>/register/", views.register, name="register"),
    path("<int:person_id>/edit/", views.edit, name="edit"),
    path("<int:person_id>/visits/new/", views.visit_new, name="visit_new"),
    path("<int:person_id>/discharge/", views.discharge, name="discharge"),
    path("<int:person_id>/assess/", views.assess, name="assess"),
    path("<int:person_id>/assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path(
        "<int:person_id>/assessments/<int:pk>/print/",
        views.assessment_print,
        name="assessment_print",
    ),
    path(
        "<int:person_id>/assessments/<int:pk>/countersign/",
        views.assessment_countersign,
        name="countersign",
    ),
]
