from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import views

app_name = "accounts"

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
admin_router.APIRootView = views.AdminApiRootView
admin_router.register("users", views.AdminUserViewSet, basename="admin-user")
admin_router.register("roles", views.AdminRoleViewSet, basename="admin-role")
admin_router.register("audit-logs", views.AuditLogViewSet, basename="admin-audit-log")

urlpatterns = [
    path("auth/", include(auth_urlpatterns)),
    path("admin/", include(admin_router.urls)),
]

# Entries of the API root (socrates.urls).
root_links = {
    "auth/register": "accounts:auth-register",
    "auth/login": "accounts:auth-login",
    "auth/refresh": "accounts:auth-refresh",
    "auth/logout": "accounts:auth-logout",
    "auth/logout-all": "accounts:auth-logout-all",
    "auth/me": "accounts:auth-me",
    "auth/change-password": "accounts:auth-change-password",
    "auth/delete-account": "accounts:auth-delete-account",
    "admin/users": "accounts:admin-user-list",
    "admin/roles": "accounts:admin-role-list",
    "admin/audit-logs": "accounts:admin-audit-log-list",
}
