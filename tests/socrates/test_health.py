"""/healthz answers from the process; /readyz from what a request needs."""

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from socrates import health
from tests.socrates.test_error_pages import auth_database_refusing_connections

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_healthz_answers_without_a_database_statement_or_credentials():
    with (
        CaptureQueriesContext(connections["auth"]) as auth,
        CaptureQueriesContext(connections["specs"]) as specs,
    ):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(auth) + len(specs) == 0


def test_readyz_is_ready_with_both_databases_migrated_in_one_statement_each():
    with (
        CaptureQueriesContext(connections["auth"]) as auth,
        CaptureQueriesContext(connections["specs"]) as specs,
    ):
        response = Client().get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {
        "database:auth": {"ok": True},
        "database:specs": {"ok": True},
        "broker": {"ok": True},
    }
    assert "replicas" not in body
    assert (len(auth), len(specs)) == (1, 1)


def test_readyz_is_a_503_naming_a_database_that_is_down():
    with auth_database_refusing_connections():
        response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready"
    assert body["checks"]["database:auth"] == {
        "ok": False,
        "problem": "connection refused (is the server running?)",
    }
    assert body["checks"]["database:specs"] == {"ok": True}


def test_readyz_is_a_503_while_a_migration_is_pending():
    with connections["specs"].cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'rag'")

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["database:specs"] == {
        "ok": False,
        "problem": "migrations pending",
    }


def test_a_registered_check_takes_part_in_readiness(monkeypatch):
    monkeypatch.setattr(health, "_readiness_checks", {})
    health.register_readiness_check("broker", lambda: "broker unreachable")

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "problem": "broker unreachable"}


def test_probes_over_plain_http_are_not_redirected_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True

    assert Client().get("/healthz").status_code == 200
    assert Client().get("/api/v1/").status_code == 301
