"""One-line descriptions of database failures, from real psycopg2 errors."""

import psycopg2
import pytest

from socrates.db import errors
from tests.postgres import Server, free_port


def connect_error(**kwargs) -> psycopg2.OperationalError:
    with pytest.raises(psycopg2.OperationalError) as caught:
        psycopg2.connect(connect_timeout=5, **kwargs)
    return caught.value


def test_refused_connection_is_unreachable():
    problem = errors.describe(connect_error(host="127.0.0.1", port=free_port(), dbname="x"))

    assert problem.kind == errors.UNREACHABLE
    assert "connection refused" in problem.summary


@pytest.mark.django_db(databases=["auth"])
def test_missing_database_and_missing_role_are_told_apart():
    server = Server.of_test_databases()
    missing_db = connect_error(
        host=server.host, port=server.port, user=server.user, dbname="nope_x"
    )
    missing_role = connect_error(
        host=server.host, port=server.port, user="no_such_role_x", dbname="postgres"
    )

    assert errors.describe(missing_db).kind == errors.MISSING_DATABASE
    assert errors.describe(missing_role).kind == errors.AUTHENTICATION_FAILED
    assert "no_such_role_x" in errors.describe(missing_role).summary


@pytest.mark.django_db(databases=["auth"])
def test_a_session_the_server_ended_is_unreachable():
    server = Server.of_test_databases()
    session = server.connect()
    with session.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    server.execute("SELECT pg_terminate_backend(%s)", [pid])

    with pytest.raises(psycopg2.OperationalError) as caught, session.cursor() as cursor:
        cursor.execute("SELECT 1")
    session.close()

    assert errors.describe(caught.value).kind == errors.UNREACHABLE
    assert errors.is_unavailable(caught.value)


@pytest.mark.django_db(databases=["auth"])
def test_a_server_with_no_free_slot_is_unavailable():
    server = Server.of_test_databases()
    role = "socrates_one_slot"
    server.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    try:
        first = psycopg2.connect(host=server.host, port=server.port, user=role, dbname="postgres")
        refused = connect_error(host=server.host, port=server.port, user=role, dbname="postgres")
        first.close()
    finally:
        server.execute(f"DROP ROLE {role}")

    assert errors.is_unavailable(refused), refused
