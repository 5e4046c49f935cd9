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
