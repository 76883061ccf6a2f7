from django.urls import path

from . import views, views_visits

app_name = "casework"

urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("cases/", views.case_list, name="cases"),
    path("visits/", views_visits.visit_list, name="visits"),
    path("cases/new/", views.case_open, name="open"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/move/", views.case_move, name="move"),
    path("cases/<int:pk>/reopen/", views.case_reopen, name="reopen"),
    path("cases/<int:pk>/workers/", views.case_workers, name="workers"),
    path("cases/<int:pk>/transfer/", views.case_transfer, name="transfer"),
    path("cases/<int:pk>/plan/", views.plan_save, name="plan"),
    path("cases/<int:pk>/tasks/", views.task_add, name="task_add"),
    path("cases/<int:pk>/tasks/<int:task_id>/done/", views.task_done, name="task_done"),
    path("cases/<int:pk>/approvals/", views.approval_request, name="approval_request"),
    path(
        "cases/<int:pk>/approvals/<int:approval_id>/",
        views.approval_decide,
        name="approval_decide",
    ),
    path("cases/<int:pk>/notes/", views.note_add, name="note_add"),
    path("cases/<int:pk>/visits/", views.visit_add, name="visit_add"),
]
