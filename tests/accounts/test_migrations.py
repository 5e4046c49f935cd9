"""Data migrations of accounts, on a real database migrated back and forth."""

import bcrypt
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


def test_migrating_where_bare_bcrypt_hashes_exist_queues_their_wrapping_and_warns_until_it_ran(
    auth_database,
):
    server, database, env = auth_database
    assert run_manage("migrate", "accounts", "0007", "--database", "auth", env=env).exit_code == 0
    legacy_hash = bcrypt.hashpw(b"legacy-Passw0rd", bcrypt.gensalt(rounds=4)).decode()
    server.execute(
        "INSERT INTO users (id, email, hashed_password) VALUES (gen_random_uuid(), 'a@x.org', %s)",
        [legacy_hash],
        database=database,
    )
    warning = (
        "⚠️  background migration wrap_legacy_bcrypt_hashes has not finished (queued, not "
        "started): run 'python manage.py run_background_migration wrap_legacy_bcrypt_hashes'"
    )

    migrated = run_manage("run_migrations_safe", "--auth-only", env=env)

    assert migrated.exit_code == 0, migrated.output
    assert warning in migrated.stdout
    # The schema migration changed no row: the job does, when it runs.
    assert server.execute("SELECT hashed_password FROM users", database=database) == [
        (legacy_hash,)
    ]
    assert (
        run_manage("run_background_migration", "wrap_legacy_bcrypt_hashes", env=env).exit_code == 0
    )
    [(wrapped,)] = server.execute("SELECT hashed_password FROM users", database=database)
    assert wrapped.startswith("argon2_bcrypt$2b:04:")
    after = run_manage("run_migrations_safe", "--auth-only", env=env)
    assert "background migration" not in after.stdout
