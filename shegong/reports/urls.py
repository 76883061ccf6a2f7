from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_request, name="request"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/retry/", views.report_retry, name="retry"),
    path("<int:pk>/download/<str:kind>/", views.report_download, name="download"),
]
