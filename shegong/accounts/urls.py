from django.contrib.auth import views as auth_views
from django.urls import path

from shegong.ratelimits import limit_posts_per_address

from . import views

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        # Per client address, on top of django-axes' lock-out per user name.
        limit_posts_per_address(group="login", rate_setting="SHEGONG_RATE_LOGIN")(
            auth_views.LoginView.as_view(template_name="accounts/login.html")
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("otp/", views.otp, name="otp"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/memberships/", views.membership_add, name="membership_add"),
    path(
        "users/<int:pk>/memberships/<int:membership_id>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path("users/<int:pk>/active/", views.user_toggle_active, name="user_toggle_active"),
    path("users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
]
