"""No response carries a password hash or a stored token hash."""

import pytest

from accounts.models import AdminPermission, RefreshToken, User
from tests.accounts.factories import PASSWORD, UserFactory, admin_with

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_no_endpoint_returns_a_password_hash_or_a_token_hash(api, client_for):
    admin = admin_with(*AdminPermission.values)
    target = UserFactory()
    admin_client = client_for(admin)
    pair = api.post("/api/v1/auth/login/", {"login": target.email, "password": PASSWORD}).data
    rotated = api.post("/api/v1/auth/refresh/", {"refresh": pair["refresh"]})
    admin_client.post(f"/api/v1/admin/users/{target.pk}/roles/", {"role": "support_admin"})
    admin_client.post(f"/api/v1/admin/users/{target.pk}/suspend/")
    admin_client.post(f"/api/v1/admin/users/{target.pk}/activate/")

    responses = [
        api.post(
            "/api/v1/auth/register/",
            {"email": "n@example.com", "username": "newbie", "password": PASSWORD},
        ),
        rotated,
        client_for(target).get("/api/v1/auth/me/"),
        client_for(target).patch("/api/v1/auth/me/", {"name": "Grace"}),
        admin_client.get("/api/v1/admin/users/"),
        admin_client.get(f"/api/v1/admin/users/{target.pk}/"),
        admin_client.get("/api/v1/admin/roles/"),
        admin_client.get("/api/v1/admin/audit-logs/"),
    ]

    secrets = [user.password for user in User.objects.all()]
    secrets += list(RefreshToken.objects.values_list("token", flat=True))
    assert len(secrets) > 5
    for response in responses:
        assert response.status_code < 300, response.data
        body = response.content.decode()
        assert not any(secret in body for secret in secrets), response.request["PATH_INFO"]
        assert "password" not in body.replace('"password_', "")
