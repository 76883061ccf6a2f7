from django.urls import path

from . import views

app_name = "institutions"

urlpatterns = [
    path("", views.institution_list, name="list"),
    path("family/", views.family, name="family"),
    path("<int:pk>/", views.institution_detail, name="detail"),
    path("<int:pk>/contracts/new/", views.contract_new, name="contract_new"),
    path("<int:pk>/ledger/new/", views.entry_new, name="entry_new"),
]
