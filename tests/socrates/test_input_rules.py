"""Input PostgreSQL would refuse is a 400 naming the parameter, found before any query runs."""

import json

import pytest

from accounts.models import AdminAuditLog, RefreshToken, User
from socrates.api.validation import NUL_REFUSAL
from tests.accounts.factories import PASSWORD, UserFactory, admin_with

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

AUDIT_LOGS = "/api/v1/admin/audit-logs/"
USERS = "/api/v1/admin/users/"
LOGIN = "/api/v1/auth/login/"
REGISTER = "/api/v1/auth/register/"


def post_json(api, url: str, body: str):
    return api.generic("POST", url, body, content_type="application/json")


def login_body(levels: int) -> str:
    """Good credentials, beside an extra value whose deepest container is ``levels``
    down (the body itself is level 1): only the nesting can refuse it."""
    inner = "[" * (levels - 1) + "]" * (levels - 1)
    return json.dumps({"login": "nester", "password": PASSWORD, "extra": None}).replace(
        "null", inner
    )


def assert_refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body.get("fields", {}), body


@pytest.fixture
def auditor(client_for):
    return client_for(admin_with("audit_log_view"))


@pytest.fixture
def user_viewer(client_for):
    return client_for(admin_with("users_view"))


# Query parameters ----------------------------------------------------------------


def test_a_utc_offset_beyond_what_timestamptz_keeps_is_a_400_naming_the_filter(auditor):
    response = auditor.get(AUDIT_LOGS, {"created_after": "2020-01-01T00:00:00+16:00"})

    assert_refused(response, "created_after")


def test_the_largest_utc_offset_timestamptz_keeps_is_accepted(auditor):
    AdminAuditLog.objects.create(
        admin=UserFactory(), action="user_suspended", resource_type="user", resource_id="x"
    )

    response = auditor.get(AUDIT_LOGS, {"created_after": "2020-01-01T00:00:00+15:00"})

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1


def test_a_nul_in_the_search_term_is_a_400_naming_search(user_viewer):
    response = user_viewer.get(USERS, {"search": "\x00"})

    assert_refused(response, "search")


def test_a_search_term_past_500_characters_is_a_400_naming_search(user_viewer):
    assert user_viewer.get(USERS, {"search": "a" * 500}).status_code == 200

    response = user_viewer.get(USERS, {"search": "a" * 501})

    assert_refused(response, "search")


def test_a_nul_in_a_filter_value_is_a_400_naming_the_filter(auditor):
    response = auditor.get(AUDIT_LOGS, {"resource_id": "x\x00"})

    assert_refused(response, "resource_id")


@pytest.mark.parametrize(
    ("url", "parameter"), [(USERS, "search"), (USERS, "status"), (AUDIT_LOGS, "resource_id")]
)
def test_a_nul_is_refused_in_the_same_words_in_every_query_parameter(
    user_viewer, auditor, url, parameter
):
    client = user_viewer if url == USERS else auditor

    response = client.get(url, {parameter: "x\x00"})

    assert_refused(response, parameter)
    assert response.json()["fields"][parameter] == [NUL_REFUSAL]


# JSON bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("levels", [65, 1000])
def test_a_body_nested_too_deep_is_a_parse_error_and_issues_no_token(api, levels):
    UserFactory(username="nester")

    response = post_json(api, LOGIN, login_body(levels))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert not RefreshToken.objects.exists()


def test_a_body_nested_up_to_the_limit_is_accepted(api):
    UserFactory(username="nester")

    response = post_json(api, LOGIN, login_body(64))

    assert response.status_code == 200, response.content
    assert RefreshToken.objects.count() == 1


def test_a_nul_in_a_string_value_is_a_400_naming_the_field_and_creates_no_user(api):
    users = User.objects.count()
    body = {"email": "nul@example.com", "username": "nul\x00name", "password": PASSWORD}

    response = post_json(api, REGISTER, json.dumps(body))

    assert_refused(response, "username")
    assert User.objects.count() == users


def test_a_nul_in_a_key_is_a_400_and_creates_no_user(api):
    users = User.objects.count()
    body = {"email": "nul@example.com", "username": "nulkey", "password": PASSWORD, "x\x00": 1}

    response = post_json(api, REGISTER, json.dumps(body))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert User.objects.count() == users


# Pagination ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("page_size", "1.1"),
        ("page_size", "0"),
        ("page_size", "101"),
        ("page_size", "-1"),
        ("page", "abc"),
        ("page", "0"),
        # Beyond the bigint OFFSET PostgreSQL accepts.
        ("page", str(2**63)),
    ],
)
def test_a_page_parameter_out_of_range_is_a_400_naming_it(user_viewer, parameter, value):
    response = user_viewer.get(USERS, {parameter: value})

    assert_refused(response, parameter)


def test_the_largest_page_size_is_accepted(user_viewer):
    UserFactory.create_batch(2)

    response = user_viewer.get(USERS, {"page_size": "100"})

    assert response.status_code == 200, response.content
    # The two users and the admin calling.
    assert len(response.json()["results"]) == 3


def test_a_page_past_the_end_is_a_json_404(user_viewer):
    response = user_viewer.get(USERS, {"page": "999"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# Content negotiation ---------------------------------------------------------------


def test_an_unknown_format_is_a_json_400_naming_format(api):
    response = api.get("/api/schema/", {"format": "AAA"})

    assert_refused(response, "format")
