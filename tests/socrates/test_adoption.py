"""Adopting a database pair built by the legacy Alembic scripts, in place.

The legacy pair comes from tests/legacy.py (SCHEMA.md's tables, legacy index
names, alembic_version at 010 and 017, rows in every table, bcrypt users).
Adoption runs as operators run it, ``manage.py run_migrations_safe`` in a
subprocess; what it leaves behind is compared with the test databases, which
Django's migrations built from nothing.
"""

import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
from django.db import connections

from socrates.adoption import RETIRED_SCHEMA, AdoptFix
from socrates.databases import AUTH, SPECS
from socrates.migration_runner import ExitCode
from tests.legacy import (
    LEGACY_PASSWORD,
    alembic_heads,
    build_legacy_pair,
    copy_row,
    fill_legacy_pair,
    pair_databases,
    row_counts,
    schema_snapshot,
)
from tests.postgres import (
    BASE_DIR,
    Completed,
    ScratchPair,
    Server,
    run_manage,
    scratch_pair,
    subprocess_env,
)

pytestmark = pytest.mark.django_db(databases=[AUTH, SPECS])

# pytest-django's name for the test database of a database.
TEST_PREFIX = "test_"


def snapshots(server: Server, pair: ScratchPair) -> dict[str, dict]:
    return {database: schema_snapshot(server, database) for _, database in pair_databases(pair)}


def runner(pair: ScratchPair, *args: str) -> Completed:
    return run_manage("run_migrations_safe", *args, env=pair.env())


@dataclass
class AdoptedPair:
    server: Server
    pair: ScratchPair
    rows_before: dict[str, int]
    result: Completed


@pytest.fixture(scope="module")
def adopted(django_db_setup, django_db_blocker) -> AdoptedPair:
    """A filled legacy pair, adopted once for the tests that read the outcome."""
    server = Server.of_test_databases()
    with scratch_pair(server, prefix=TEST_PREFIX) as pair:
        build_legacy_pair(server, pair)
        rows_before = fill_legacy_pair(server, pair)
        yield AdoptedPair(server, pair, rows_before, runner(pair))


@pytest.fixture
def legacy_pair(legacy_pair, server):
    """The legacy pair of tests/conftest.py, with rows in every table."""
    fill_legacy_pair(server, legacy_pair)
    return legacy_pair


def test_adopting_a_filled_legacy_pair_keeps_every_row(adopted):
    assert adopted.result.exit_code == ExitCode.OK, adopted.result.output
    for revision in alembic_heads().values():
        assert f"adopted the legacy Alembic database (revision {revision}" in adopted.result.stdout
    seeded = adopted.server.execute(
        "SELECT name FROM admin_roles WHERE is_system_role ORDER BY name",
        database=adopted.pair.auth,
    )
    # The legacy rows hold none of the system roles: all four are seeded.
    assert seeded == [
        ("analytics_admin",),
        ("billing_admin",),
        ("super_admin",),
        ("support_admin",),
    ]
    assert row_counts(adopted.server, adopted.pair) == {
        **adopted.rows_before,
        "admin_roles": adopted.rows_before["admin_roles"] + len(seeded),
    }


def test_adopted_pair_has_exactly_the_schema_of_a_fresh_pair(adopted):
    for alias, database in pair_databases(adopted.pair):
        snapshot = schema_snapshot(adopted.server, database)
        fresh = schema_snapshot(adopted.server, connections[alias].settings_dict["NAME"])

        snapshot["tables"].remove((RETIRED_SCHEMA, "alembic_version"))
        assert snapshot == fresh, alias


def test_the_schema_test_passes_on_the_adopted_pair(adopted):
    """tests/test_schema.py, run with the adopted pair as its test databases."""
    server = adopted.server
    env = {
        "DATABASE_URL_AUTH": server.url(adopted.pair.auth.removeprefix(TEST_PREFIX)),
        "DATABASE_URL_SPECS": server.url(adopted.pair.specs.removeprefix(TEST_PREFIX)),
    }
    command = [sys.executable, "-m", "pytest", "tests/test_schema.py", "--reuse-db"]
    command += ["-p", "no:xdist", "-p", "no:cacheprovider", "-q"]

    result = subprocess.run(
        command,
        env=subprocess_env(env),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\d+ passed in ", result.stdout.splitlines()[-1]), result.stdout
    # It ran on the adopted pair, not on a pair it built itself.
    for _alias, database in pair_databases(adopted.pair):
        assert server.execute(f"SELECT 1 FROM {RETIRED_SCHEMA}.alembic_version", database=database)


def test_alembic_version_is_kept_out_of_the_way_not_dropped(adopted):
    for alias, database in pair_databases(adopted.pair):
        rows = adopted.server.execute(
            f"SELECT version_num FROM {RETIRED_SCHEMA}.alembic_version", database=database
        )
        assert rows == [(alembic_heads()[alias],)]


def sign_in_status(adopted: AdoptedPair, email: str) -> str:
    sign_in = (
        "from django.test import Client; "
        "response = Client(HTTP_HOST='localhost').post('/api/v1/auth/login/', "
        f"{{'login': {email!r}, 'password': {LEGACY_PASSWORD!r}}}, "
        "content_type='application/json'); print(f'status={response.status_code}')"
    )
    result = run_manage("shell", "-c", sign_in, env=adopted.pair.env())
    return next((word for word in result.stdout.split() if word.startswith("status=")), "")


def stored_hash(adopted: AdoptedPair, email: str) -> str:
    [(stored,)] = adopted.server.execute(
        "SELECT hashed_password FROM users WHERE email = %s", [email], database=adopted.pair.auth
    )
    return stored


def test_legacy_users_sign_in_with_the_old_password_before_and_after_their_hashes_are_wrapped(
    adopted,
):
    first, second = (
        email
        for (email,) in adopted.server.execute(
            "SELECT email FROM users ORDER BY email LIMIT 2", database=adopted.pair.auth
        )
    )
    # Adopting queued the wrapping rather than doing it inside the migration.
    assert (
        "background migration wrap_legacy_bcrypt_hashes has not finished (queued, not started)"
        in adopted.result.stdout
    )
    assert stored_hash(adopted, first).startswith("$2b$")
    assert sign_in_status(adopted, first) == "status=200"
    assert stored_hash(adopted, first).startswith("argon2$")

    job = run_manage(
        "run_background_migration", "wrap_legacy_bcrypt_hashes", env=adopted.pair.env()
    )

    assert job.exit_code == 0, job.output
    # Wrapped at rest: no bare bcrypt hash is left.
    assert stored_hash(adopted, second).startswith("argon2_bcrypt$")
    assert sign_in_status(adopted, second) == "status=200"
    assert stored_hash(adopted, second).startswith("argon2$")


def test_second_run_on_an_adopted_pair_changes_nothing(adopted):
    before = snapshots(adopted.server, adopted.pair)
    rows = row_counts(adopted.server, adopted.pair)

    result = runner(adopted.pair)

    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout.count(": up to date —") == 2
    assert snapshots(adopted.server, adopted.pair) == before
    assert row_counts(adopted.server, adopted.pair) == rows


def test_check_status_says_legacy_adoptable_and_changes_nothing(server, legacy_pair):
    before = snapshots(server, legacy_pair)
    rows = row_counts(server, legacy_pair)

    result = runner(legacy_pair, "--check-status")

    assert result.exit_code == ExitCode.PENDING, result.output
    for revision in alembic_heads().values():
        assert f"legacy, adoptable — Alembic revision {revision}" in result.stdout
    assert snapshots(server, legacy_pair) == before
    assert row_counts(server, legacy_pair) == rows


@dataclass
class Poison:
    project: str
    invitations: tuple[str, str]  # older, newer
    specifications: tuple[str, str]  # older version, newer version


def poison(server: Server, database: str) -> Poison:
    """A status outside its set, two pending invitations to one person, and
    two current rows of one specification key."""

    def first(table):
        sql = f"SELECT id::text FROM {table} ORDER BY id LIMIT 1"
        return server.execute(sql, database=database)[0][0]

    def execute(sql, *params):
        server.execute(sql, params, database=database)

    project = first("projects")
    execute("UPDATE projects SET status = 'deleted' WHERE id = %s", project)
    invitation = first("project_invitations")
    execute("UPDATE project_invitations SET status = 'pending' WHERE id = %s", invitation)
    later = "2030-01-01T00:00:00+00:00"
    newer_invitation = copy_row(
        server, database, "project_invitations", invitation, created_at=later
    )
    specification = first("specifications")
    newer_specification = copy_row(
        server,
        database,
        "specifications",
        specification,
        version=2,
        created_at=later,
        superseded_by=None,
    )
    return Poison(project, (invitation, newer_invitation), (specification, newer_specification))


def test_rows_that_break_new_rules_stop_adopting_both_before_anything_changes(server, legacy_pair):
    poisoned = poison(server, legacy_pair.specs)
    before = snapshots(server, legacy_pair)
    rows = row_counts(server, legacy_pair)

    result = runner(legacy_pair)

    assert result.exit_code == ExitCode.REFUSED, result.output
    # Auth could be adopted, but a pair is switched over together.
    assert "legacy, adoptable — Alembic revision 010" in result.stdout
    report = result.stderr
    assert "legacy, not adoptable: rows break rules that adopting adds" in report
    assert (
        f"projects.status: 1 row(s) break the CHECK ck_projects_status_valid; e.g. "
        f"{poisoned.project}; no safe automatic repair" in report
    )
    invitations = ", ".join(sorted(poisoned.invitations))
    assert (
        "project_invitations (project_id, invited_user_id) where status::text = "
        f"'pending'::text: 2 row(s) repeat what uq_invitations_pending_user keeps unique; "
        f"e.g. {invitations}; --adopt-fix {AdoptFix.DUPLICATE_PENDING_INVITATIONS} repairs it"
    ) in report
    assert "uq_invitations_pending_email" in report
    specifications = ", ".join(sorted(poisoned.specifications))
    assert (
        "specifications (project_id, key) where is_current: 2 row(s) repeat what "
        f"uq_specifications_current_key keeps unique; e.g. {specifications}; "
        f"--adopt-fix {AdoptFix.DUPLICATE_CURRENT_SPECIFICATIONS} repairs it"
    ) in report
    assert snapshots(server, legacy_pair) == before
    assert row_counts(server, legacy_pair) == rows


def test_adopt_fix_repairs_only_what_it_names_and_keeps_every_row(server, legacy_pair):
    poisoned = poison(server, legacy_pair.specs)
    rows = row_counts(server, legacy_pair)
    fixes = [f"--adopt-fix={fix}" for fix in AdoptFix]

    refused = runner(legacy_pair, "--specs-only", *fixes)

    # The status has no safe repair: the repairs it could make are undone too.
    assert refused.exit_code == ExitCode.REFUSED, refused.output
    assert "ck_projects_status_valid" in refused.stderr
    assert "uq_specifications_current_key" not in refused.stderr
    statuses = server.execute(
        "SELECT status FROM project_invitations WHERE id IN %s",
        [poisoned.invitations],
        database=legacy_pair.specs,
    )
    assert statuses == [("pending",), ("pending",)]

    server.execute(
        "UPDATE projects SET status = 'archived' WHERE id = %s",
        [poisoned.project],
        database=legacy_pair.specs,
    )
    adopted = runner(legacy_pair, "--specs-only", *fixes)

    assert adopted.exit_code == ExitCode.OK, adopted.output
    assert "repaired 1 row(s) (duplicate-pending-invitations)" in adopted.stdout
    assert row_counts(server, legacy_pair) == rows
    older, newer = poisoned.invitations
    assert dict(
        server.execute(
            "SELECT id::text, status FROM project_invitations WHERE id IN %s",
            [poisoned.invitations],
            database=legacy_pair.specs,
        )
    ) == {older: "expired", newer: "pending"}
    older, newer = poisoned.specifications
    assert {
        spec_id: (current, superseded_by)
        for spec_id, current, superseded_by in server.execute(
            "SELECT id::text, is_current, superseded_by FROM specifications WHERE id IN %s",
            [poisoned.specifications],
            database=legacy_pair.specs,
        )
    } == {older: (False, newer), newer: (True, None)}


def _older_revision(server, database):
    server.execute("UPDATE alembic_version SET version_num = '009'", database=database)


def _no_alembic_version(server, database):
    server.execute("DROP TABLE alembic_version", database=database)


def _both_bookkeepings(server, database):
    server.execute(
        "CREATE TABLE django_migrations (id serial PRIMARY KEY, app varchar(255), "
        "name varchar(255), applied timestamptz)",
        database=database,
    )


def _half_migrated_django(server, database):
    _no_alembic_version(server, database)
    _both_bookkeepings(server, database)


def _other_shape(server, database):
    server.execute("ALTER TABLE users ALTER COLUMN username TYPE text", database=database)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            _older_revision,
            "legacy Alembic database at revision 009; only the last legacy revision (010) "
            "can be adopted: finish the upgrade with the legacy Alembic scripts first; "
            "nothing was changed",
        ),
        (
            _no_alembic_version,
            "tables admin_audit_logs, admin_roles, admin_users, refresh_tokens, users exist "
            "but neither alembic_version nor django_migrations says what built them",
        ),
        (
            _both_bookkeepings,
            "both alembic_version and django_migrations are present: a conversion from "
            "Alembic was started by other means and not finished",
        ),
        (
            _half_migrated_django,
            "half-migrated Django database: tables admin_audit_logs, admin_roles, admin_users, "
            "refresh_tokens, users exist but django_migrations does not record "
            "accounts.0001_initial",
        ),
        (
            _other_shape,
            "legacy, not adoptable: its tables are not the legacy shape; nothing was changed\n"
            "   column users.username is text, the legacy schema has character varying(50)",
        ),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:],
)
def test_states_other_than_the_last_legacy_revision_are_refused_unchanged(
    server, legacy_pair, damage, message
):
    damage(server, legacy_pair.auth)
    before = schema_snapshot(server, legacy_pair.auth)

    for args in (("--check-status",), ()):
        result = runner(legacy_pair, "--auth-only", *args)

        assert result.exit_code == ExitCode.REFUSED, result.output
        assert message in result.stderr
        assert schema_snapshot(server, legacy_pair.auth) == before


def test_stock_migrate_leaves_a_legacy_database_to_the_runner(server, legacy_pair):
    before = snapshots(server, legacy_pair)

    result = run_manage("migrate", "--database", SPECS, env=legacy_pair.env())

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "CommandError: database 'specs' was built by the legacy Alembic scripts (revision "
        "017): adopt it with 'python manage.py run_migrations_safe'; nothing was changed"
    )
    assert snapshots(server, legacy_pair) == before


def test_a_missing_column_default_is_restored_on_adoption(server, legacy_pair):
    server.execute("ALTER TABLE users ALTER COLUMN role DROP DEFAULT", database=legacy_pair.auth)

    result = runner(legacy_pair, "--auth-only")

    assert result.exit_code == ExitCode.OK, result.output
    assert "defaults aligned: 1" in result.stdout
    fresh = schema_snapshot(server, connections[AUTH].settings_dict["NAME"])
    adopted = schema_snapshot(server, legacy_pair.auth)
    assert adopted["columns"] == fresh["columns"]
