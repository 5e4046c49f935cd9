"""Any user can sign in to the browsable API (session + CSRF), under the API's rules."""

import pytest
from django.test import Client

from accounts.models import User, UserStatus
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

LOGIN = "/api-auth/login/"
BROWSER = {"HTTP_ACCEPT": "text/html"}


def sign_in(client: Client, login: str, password: str = PASSWORD, **extra):
    return client.post(
        LOGIN, {"username": login, "password": password, "next": "/api/v1/"}, **extra
    )


def test_the_api_root_links_every_resource_and_the_sign_in_page(client):
    response = client.get("/api/v1/", **BROWSER)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"href='{LOGIN}?next=/api/v1/'" in page
    listing = client.get("/api/v1/", HTTP_ACCEPT="application/json").json()
    assert listing["auth/login"].endswith("/api/v1/auth/login/")
    assert listing["admin/users"].endswith("/api/v1/admin/users/")


@pytest.mark.parametrize("login", ["reader@example.com", "reader"])
def test_an_ordinary_user_signs_in_and_browses_their_profile(client, login):
    UserFactory(email="reader@example.com", username="reader")

    response = sign_in(client, login)

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/"
    page = client.get("/api/v1/auth/me/", **BROWSER)
    assert page.status_code == 200
    assert "reader@example.com" in page.content.decode()
    assert "/api-auth/logout/" in page.content.decode()


@pytest.mark.parametrize(
    "fields",
    [{"is_active": False}, {"status": UserStatus.SUSPENDED}, {"status": UserStatus.DELETED}],
)
def test_disabled_users_cannot_sign_in_to_the_browsable_api(client, fields):
    UserFactory(email="reader@example.com", **fields)

    response = sign_in(client, "reader@example.com")

    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session


def test_browsable_sign_in_is_throttled_per_login_name(client):
    UserFactory(email="reader@example.com")
    for n in range(5):
        sign_in(client, "reader@example.com", "guess", REMOTE_ADDR=f"10.0.0.{n}")

    sign_in(client, "reader@example.com")

    assert "_auth_user_id" not in client.session


def test_a_session_needs_the_csrf_token_to_change_anything():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.patch("/api/v1/auth/me/", {"name": "Eve"}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_log_out_everywhere_ends_browsable_sessions_too(client, client_for):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/api/v1/auth/me/").status_code == 200

    client_for(user).post("/api/v1/auth/logout-all/")

    assert client.get("/api/v1/auth/me/").status_code == 401
    assert "_auth_user_id" not in client.session


def test_suspension_ends_a_browsable_session(client):
    user = UserFactory()
    client.force_login(user)

    User.objects.filter(pk=user.pk).update(status=UserStatus.SUSPENDED)

    assert client.get("/api/v1/auth/me/").status_code == 401
