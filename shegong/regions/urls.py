from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("", views.region_list, name="list"),
    path("coverage/", views.coverage, name="coverage"),
    path("stations/<str:code>/", views.station_detail, name="station"),
    path("stations/<str:code>/edit/", views.station_edit, name="station_edit"),
]
