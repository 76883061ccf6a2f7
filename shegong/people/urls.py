from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("check-id/", views.check_id_number, name="check_id"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/reveal/<str:field>/", views.person_reveal, name="reveal"),
    path("<int:pk>/relations/", views.relation_add, name="relation_add"),
    path(
        "<int:pk>/relations/<int:relation_id>/remove/",
        views.relation_remove,
        name="relation_remove",
    ),
    path("<int:pk>/household/", views.household_set, name="household_set"),
]
