"""Everything under /api/ answers JSON, whatever fails; pages elsewhere stay HTML."""

from contextlib import contextmanager

import pytest
from django.db import connections
from django.test import Client

from tests.accounts.factories import UserFactory
from tests.socrates.failing_urls import FAILING_PATH, REMEMBERING_API_PATH, REMEMBERING_PAGE

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = "tests.socrates.failing_urls"
    # A real server answers a bug with a 500 page; the test client would re-raise it.
    return Client(raise_request_exception=False)


@contextmanager
def auth_database_refusing_connections():
    """The auth alias pointed at a port where no server listens, as when PostgreSQL is
    down. A second connection object, so the test's own transaction survives."""
    real = connections["auth"]
    down = real.__class__({**real.settings_dict, "HOST": "127.0.0.1", "PORT": "1"}, "auth")
    connections["auth"] = down
    try:
        yield
    finally:
        down.close()
        connections["auth"] = real


@contextmanager
def auth_connection_lost():
    """How tests/socrates/test_api_basics.py simulates a down database. Inside the test's
    transaction close() leaves the connection closed for good (the new port is never
    tried), so queries raise InterfaceError "connection already closed": what a request
    meets after the server dropped its connection."""
    auth = connections["auth"]
    saved = auth.settings_dict["PORT"], auth.settings_dict["HOST"]
    auth.close()
    auth.settings_dict["HOST"], auth.settings_dict["PORT"] = "127.0.0.1", "1"
    try:
        yield
    finally:
        auth.close()
        auth.settings_dict["PORT"], auth.settings_dict["HOST"] = saved


def returning_browser() -> Client:
    client = Client()
    # Its session is looked up in the auth database, even on the login page.
    client.cookies["sessionid"] = "a" * 32
    return client


def assert_html_503(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    assert "Service temporarily unavailable" in response.content.decode()


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    return body


# Unknown routes --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("path", ["/api/nowhere/", "/api/nowhere", "/api/v1/nowhere/"])
def test_an_unknown_api_route_is_a_json_404(method, path):
    response = getattr(Client(), method)(path)

    body = assert_json_error(response, 404, "not_found")
    assert set(body) == {"detail", "code"}
    assert path in body["detail"]


def test_an_unknown_route_without_its_slash_suggests_no_other_route():
    response = Client().get("/api/nowhere")

    body = assert_json_error(response, 404, "not_found")
    # /api/nowhere/ is no endpoint either: it would be a second 404.
    assert "Did you mean" not in body["detail"]


def test_a_missing_trailing_slash_is_a_json_404_suggesting_the_slashed_path():
    response = Client().get("/api/v1/auth/me")

    body = assert_json_error(response, 404, "not_found")
    assert "Did you mean /api/v1/auth/me/ (with the trailing slash)?" in body["detail"]


def test_a_post_to_an_unknown_route_needs_no_csrf_token_for_its_json_404():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/api/v1/auth/login", {"login": "x", "password": "y"})

    body = assert_json_error(response, 404, "not_found")
    assert "Did you mean /api/v1/auth/login/" in body["detail"]


# Refusals outside the views --------------------------------------------------------


def test_a_method_an_api_view_lacks_is_a_json_405(api):
    response = api.get("/api/v1/auth/login/")

    assert_json_error(response, 405, "method_not_allowed")


def test_a_bad_host_header_on_the_api_is_a_json_400():
    response = Client().get("/api/v1/auth/me/", HTTP_HOST="evil.example")

    assert_json_error(response, 400, "bad_request")


def test_a_bad_host_header_on_the_admin_is_an_html_400():
    response = Client().get("/admin/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_an_unhandled_exception_in_an_api_view_is_a_json_500_with_the_request_id(failing_site):
    response = failing_site.get(FAILING_PATH)

    body = assert_json_error(response, 500, "server_error")
    assert body["request_id"] == response["X-Request-ID"]
    # Nothing of the exception reaches the client.
    assert "the view broke" not in response.content.decode()


# A database that is down -----------------------------------------------------------


def test_a_database_down_when_a_middleware_saves_the_session_is_a_503_page(failing_site):
    with auth_database_refusing_connections():
        response = failing_site.get(REMEMBERING_PAGE)

    assert_html_503(response)


def test_a_database_down_when_a_middleware_saves_the_session_is_a_json_503(failing_site):
    with auth_database_refusing_connections():
        response = failing_site.get(REMEMBERING_API_PATH)

    assert_json_error(response, 503, "unavailable")
    assert response["Retry-After"]


def test_the_admin_login_page_with_the_auth_database_down_is_an_html_503():
    client = returning_browser()

    with auth_database_refusing_connections():
        response = client.get("/admin/login/")

    assert_html_503(response)


def test_the_admin_login_page_with_the_auth_connection_lost_is_an_html_503():
    client = returning_browser()

    with auth_connection_lost():
        response = client.get("/admin/login/")

    assert_html_503(response)


@pytest.mark.parametrize("outage", [auth_database_refusing_connections, auth_connection_lost])
def test_the_api_with_the_auth_database_down_is_a_json_503(client_for, outage):
    client = client_for(UserFactory())

    with outage():
        response = client.get("/api/v1/admin/users/")

    assert_json_error(response, 503, "unavailable")
    assert response["Retry-After"] == "30"
    assert response["X-Request-ID"]


# Request ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/", 200),
        ("get", "/api/nowhere/", 404),
        ("post", "/api/v1/auth/login/", 400),
        ("get", "/admin/login/", 200),
        ("get", FAILING_PATH, 500),
    ],
)
def test_every_response_carries_a_request_id(failing_site, method, path, status):
    first = getattr(failing_site, method)(path)
    second = getattr(failing_site, method)(path)

    assert first.status_code == status
    assert len(first["X-Request-ID"]) >= 8
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_safe_request_id_from_the_caller_is_echoed(failing_site):
    response = failing_site.get(FAILING_PATH, HTTP_X_REQUEST_ID="abc-12345678")

    assert response["X-Request-ID"] == "abc-12345678"
    assert response.json()["request_id"] == "abc-12345678"


@pytest.mark.parametrize(
    "offered",
    ["abc 12345678", "a" * 129, "short", "abc-12345678\r\nSet-Cookie: x=1", "<script>12345678"],
)
def test_an_unsafe_request_id_from_the_caller_is_replaced(offered):
    response = Client().get("/api/nowhere/", HTTP_X_REQUEST_ID=offered)

    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"].isalnum()
