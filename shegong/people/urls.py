from django.urls import path

from . import import_views, views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("check-id/", views.check_id_number, name="check_id"),
    path("imports/", import_views.import_list, name="imports"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/retry/", import_views.import_retry, name="import_retry"),
    path("imports/<int:pk>/errors.xlsx", import_views.import_errors, name="import_errors"),
    path("export/", import_views.export_start, name="export"),
    path("exports/<int:pk>/", import_views.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", import_views.export_download, name="export_download"),
    path("duplicates/", import_views.duplicate_list, name="duplicates"),
    path("duplicates/merge/", import_views.duplicate_merge, name="duplicate_merge"),
    path("duplicates/dismiss/", import_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/personal-data/", views.person_personal_data, name="personal_data"),
    path("<int:pk>/reveal/<str:field>/", views.person_reveal, name="reveal"),
    path("<int:pk>/relations/", views.relation_add, name="relation_add"),
    path(
        "<int:pk>/relations/<int:relation_id>/remove/",
        views.relation_remove,
        name="relation_remove",
    ),
    path("<int:pk>/household/", views.household_set, name="household_set"),
]
