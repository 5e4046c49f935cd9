from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import views

auth_urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="auth-register"),
    path("login/", views.LoginView.as_view(), name="auth-login"),
    path("refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("logout-all/", views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("me/", views.MeView.as_view(), name="auth-me"),
    path("change-password/", views.ChangePasswordView.as_view(), name="auth-change-password"),
    path("delete-account/", views.DeleteAccountView.as_view(), name="auth-delete-account"),
]

admin_router = DefaultRouter()
admin_router.register("users", views.AdminUserViewSet, basename="admin-user")
admin_router.register("roles", views.AdminRoleViewSet, basename="admin-role")
admin_router.register("audit-logs", views.AuditLogViewSet, basename="admin-audit-log")
admin_urlpatterns = admin_router.urls
