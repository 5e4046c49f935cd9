"""Cross-cutting API behaviour: the OpenAPI schema, the error format, a database that is down."""

import uuid

import pytest
from django.db import connections

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_the_openapi_schema_describes_the_account_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/auth/login/" in paths
    assert "/api/v1/admin/users/{id}/suspend/" in paths


def test_a_bad_request_names_the_field_and_is_json(api):
    response = api.post("/api/v1/auth/login/", {"login": "x"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "password: This field is required.",
        "code": "invalid",
        "fields": {"password": ["This field is required."]},
    }


def test_malformed_json_is_a_400_not_a_500(api):
    response = api.generic(
        "POST", "/api/v1/auth/login/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_database_that_is_down_gives_503_with_retry_after(client_for, settings):
    client = client_for(UserFactory())
    auth = connections["auth"]
    saved = auth.settings_dict["PORT"], auth.settings_dict["HOST"]
    auth.close()
    auth.settings_dict["HOST"], auth.settings_dict["PORT"] = "127.0.0.1", "1"
    try:
        response = client.get("/api/v1/auth/me/")
    finally:
        auth.close()
        auth.settings_dict["PORT"], auth.settings_dict["HOST"] = saved

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "unavailable"


def test_a_body_over_the_size_limit_is_a_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post(
        "/api/v1/auth/login/", {"login": "x" * 2000, "password": "y"}, format="json"
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def refused_by_the_database(**fields):
    """The real IntegrityError PostgreSQL raises for a row, in a savepoint."""
    from django.db import DataError, IntegrityError, transaction

    from collaboration.models import Team

    with pytest.raises((IntegrityError, DataError)) as refusal, transaction.atomic(using="specs"):
        Team.objects.create(owner_id=uuid.uuid4(), **fields)
    return refusal.value


def test_a_lost_race_on_a_unique_value_is_a_409_and_a_refused_check_a_400():
    from collaboration.models import Team
    from socrates.api.exceptions import exception_handler

    Team.objects.create(name="taken", owner_id=uuid.uuid4())

    duplicate = exception_handler(refused_by_the_database(name="taken"), context={})
    unchecked = exception_handler(refused_by_the_database(name="x", status="gone"), context={})

    too_long = exception_handler(refused_by_the_database(name="x" * 300), context={})

    assert (duplicate.status_code, duplicate.data["code"]) == (409, "conflict")
    assert (unchecked.status_code, unchecked.data["code"]) == (400, "invalid")
    assert (too_long.status_code, too_long.data["code"]) == (400, "invalid")


def test_the_openapi_schema_generates_without_a_warning(tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    assert "bearerFormat: JWT" in (tmp_path / "schema.yaml").read_text()
