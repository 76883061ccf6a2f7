from django.urls import path

from . import views, views_bank, views_registry

app_name = "institutions"

urlpatterns = [
    path("", views.institution_list, name="list"),
    path("family/", views.family, name="family"),
    path("<int:pk>/", views.institution_detail, name="detail"),
    path("<int:pk>/contracts/new/", views.contract_new, name="contract_new"),
    path("<int:pk>/ledger/new/", views.entry_new, name="entry_new"),
    path("<int:pk>/contracts/<int:cid>/", views.contract_detail, name="contract"),
    path("<int:pk>/closure/", views.closure, name="closure"),
    path("warnings/", views.warnings, name="warnings"),
    path("<int:pk>/statements/", views_bank.statement_list, name="statements"),
    path("<int:pk>/statements/upload/", views_bank.statement_upload, name="statement_upload"),
    path("<int:pk>/statements/<int:sid>/", views_bank.statement_detail, name="statement_detail"),
    path(
        "<int:pk>/statements/<int:sid>/confirm/",
        views_bank.statement_confirm,
        name="statement_confirm",
    ),
    path("<int:pk>/ledger/<int:eid>/confirm/", views_bank.entry_confirm, name="entry_confirm"),
    path("new/", views_registry.institution_new, name="new"),
    path("<int:pk>/edit/", views_registry.institution_edit, name="edit"),
    path("<int:pk>/account/", views_registry.account_edit, name="account"),
    path("<int:pk>/members/", views_registry.members, name="members"),
    path("<int:pk>/inspections/", views_registry.inspection_list, name="inspections"),
    path("<int:pk>/inspections/new/", views_registry.inspection_new, name="inspection_new"),
    path(
        "<int:pk>/inspections/items/<int:iid>/",
        views_registry.item_follow_up,
        name="item_follow_up",
    ),
]
