from django.urls import path

from . import views

app_name = "devices"

urlpatterns = [
    path("", views.alarm_board, name="board"),
    path("<int:pk>/", views.alarm_detail, name="alarm"),
    path("<int:pk>/<slug:action>/", views.alarm_action, name="alarm_action"),
    path("devices/", views.device_list, name="devices"),
    path("devices/<int:pk>/unbind/", views.device_unbind, name="unbind"),
    path("devices/bind/<int:person_id>/", views.device_bind, name="bind"),
    path("unmatched/", views.unmatched, name="unmatched"),
    path("vendors/new/", views.vendor_new, name="vendor_new"),
]
