"""Volunteers, their tasks and hours, the hours certificate, and training courses."""

from django.urls import path

from . import views_tasks, views_training, views_volunteers

urlpatterns = [
    path("volunteers/", views_volunteers.volunteer_list, name="volunteers"),
    path("volunteers/new/", views_volunteers.volunteer_new, name="volunteer_new"),
    path("volunteers/<int:pk>/", views_volunteers.volunteer_detail, name="volunteer"),
    path("volunteers/<int:pk>/edit/", views_volunteers.volunteer_edit, name="volunteer_edit"),
    path("volunteers/<int:pk>/certificate/", views_volunteers.certificate, name="certificate"),
    path("my-tasks/", views_volunteers.my_tasks, name="my_tasks"),
    path("tasks/", views_tasks.task_list, name="tasks"),
    path("tasks/new/", views_tasks.task_new, name="task_new"),
    path("tasks/<int:pk>/", views_tasks.task_detail, name="task"),
    path("tasks/<int:pk>/edit/", views_tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/status/", views_tasks.task_status, name="task_status"),
    path("tasks/<int:pk>/sign-up/", views_tasks.task_sign_up, name="task_sign_up"),
    path("tasks/<int:pk>/assign/", views_tasks.task_assign, name="task_assign"),
    path(
        "assignments/<int:pk>/<str:action>/",
        views_tasks.assignment_action,
        name="assignment_action",
    ),
    path("trainings/", views_training.training_list, name="trainings"),
    path("trainings/new/", views_training.training_new, name="training_new"),
    path("trainings/<int:pk>/", views_training.training_detail, name="training"),
    path(
        "trainings/<int:pk>/sessions/<int:session_id>/attendance/",
        views_training.training_attendance,
        name="training_attendance",
    ),
]
