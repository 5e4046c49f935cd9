"""Data migrations of accounts, on a real database migrated back and forth."""

import pytest

from tests.postgres import Server, run_manage, scratch_pair


@pytest.fixture
def auth_database():
    server = Server.of_test_databases()
    with scratch_pair(server) as pair:
        env = pair.env()
        assert run_manage("run_migrations_safe", "--auth-only", env=env).exit_code == 0
        yield server, pair.auth, env


def test_names_differing_only_in_case_are_named_before_the_unique_indexes(auth_database):
    server, database, env = auth_database
    assert run_manage("migrate", "accounts", "0003", "--database", "auth", env=env).exit_code == 0
    server.execute(
        "INSERT INTO users (id, email, hashed_password, username) VALUES "
        "(gen_random_uuid(), 'a@x.org', '', 'carol'), (gen_random_uuid(), 'b@x.org', '', 'CAROL');"
        "INSERT INTO admin_roles (id, name) VALUES (gen_random_uuid(), 'Super_Admin')",
        database=database,
    )

    result = run_manage("migrate", "accounts", "--database", "auth", env=env)

    assert result.exit_code != 0
    assert "users.username: CAROL, carol" in result.output
    assert "admin_roles.name: Super_Admin, super_admin" in result.output
    # The migration ran in one transaction: nothing of it is left behind.
    applied = server.execute(
        "SELECT max(name) FROM django_migrations WHERE app = 'accounts'", database=database
    )
    assert applied == [("0003_audit_log_append_only",)]
    assert "django_cache" not in server.tables(database)
