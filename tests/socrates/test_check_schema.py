"""``manage.py check_schema``: a live database against what the migrations
build, run as an operator runs it (a subprocess, on a scratch pair)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from socrates.management.commands.check_schema import SchemaExit
from tests.postgres import ScratchPair, Server, free_port, run_manage, scratch_pair

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

# Each made by hand, as an operator's quick fix would be.
DRIFT = {
    "auth": [
        "CREATE INDEX ix_drift_users_name ON users (name)",
        "ALTER TABLE users ALTER COLUMN is_verified DROP DEFAULT",
        "ALTER TABLE users ALTER COLUMN surname TYPE text",
        "ALTER TABLE users DROP CONSTRAINT ck_users_status_valid",
        "ALTER TABLE admin_audit_logs DISABLE TRIGGER admin_audit_logs_append_only",
    ],
    "specs": ["ALTER TABLE projects DROP CONSTRAINT ck_projects_status_valid"],
}


@contextmanager
def migrated(server: Server) -> Iterator[ScratchPair]:
    with scratch_pair(server) as pair:
        result = run_manage("run_migrations_safe", env=pair.env())
        assert result.exit_code == 0, result.output
        yield pair


@pytest.fixture(scope="module")
def fresh_pair(django_db_setup):
    """Only read: shared by the tests that change nothing."""
    with migrated(Server.of_test_databases()) as pair:
        yield pair


@pytest.fixture
def migrated_pair(server):
    with migrated(server) as pair:
        yield pair


def check_schema(pair, alias: str, *args: str, **env):
    return run_manage("check_schema", "--database", alias, *args, env=pair.env(**env))


def test_a_freshly_migrated_pair_has_no_differences(fresh_pair):
    for alias, database in (("auth", fresh_pair.auth), ("specs", fresh_pair.specs)):
        result = check_schema(fresh_pair, alias)

        assert result.exit_code == SchemaExit.SAME, result.output
        assert result.stdout.strip() == (
            f"✅ {database} ({alias}): no differences from what the migrations build"
        )


def test_every_hand_made_change_is_listed_on_its_own_line(migrated_pair):
    server = migrated_pair.server
    for alias, database in (("auth", migrated_pair.auth), ("specs", migrated_pair.specs)):
        for statement in DRIFT[alias]:
            server.execute(statement, database=database)

    auth = check_schema(migrated_pair, "auth")
    specs = check_schema(migrated_pair, "specs", "--json")

    assert auth.exit_code == SchemaExit.DIFFERENT, auth.output
    lines = auth.stdout.strip().splitlines()
    assert lines[0] == (
        f"❌ {migrated_pair.auth} (auth): 5 difference(s) from what the migrations build"
    )
    assert lines[1:] == [
        "column users.is_verified: default is none, the migrations make false",
        "column users.surname: type is text, the migrations make character varying(100)",
        "constraint ck_users_status_valid on users: missing (the migrations make CHECK "
        "(((status)::text = ANY ((ARRAY['active'::character varying, 'inactive'::character "
        "varying, 'suspended'::character varying, 'deleted'::character varying])::text[]))))",
        "index ix_drift_users_name on users: not made by the migrations "
        "(CREATE INDEX ix_drift_users_name ON users USING btree (name))",
        "trigger admin_audit_logs_append_only on admin_audit_logs: is CREATE TRIGGER "
        "admin_audit_logs_append_only BEFORE DELETE OR UPDATE ON admin_audit_logs FOR EACH ROW "
        "EXECUTE FUNCTION admin_audit_logs_append_only() (disabled), the migrations make "
        "CREATE TRIGGER admin_audit_logs_append_only BEFORE DELETE OR UPDATE ON "
        "admin_audit_logs FOR EACH ROW EXECUTE FUNCTION admin_audit_logs_append_only()",
    ]
    assert specs.exit_code == SchemaExit.DIFFERENT, specs.output
    report = json.loads(specs.stdout)
    assert report["database"] == "specs"
    assert [line.split(":")[0] for line in report["differences"]] == [
        "constraint ck_projects_status_valid on projects"
    ]


def test_checking_leaves_no_trace_in_the_live_database(fresh_pair):
    server = fresh_pair.server
    schemas = "SELECT nspname FROM pg_namespace ORDER BY 1"
    before = server.execute(schemas, database=fresh_pair.auth)

    check_schema(fresh_pair, "auth")

    assert server.execute(schemas, database=fresh_pair.auth) == before


def test_an_unreachable_database_is_one_masked_line():
    secret = "s3cret-Passw0rd"
    down = Server(host="127.0.0.1", port=free_port(), user="postgres", password=secret)
    pair = ScratchPair(down, auth="socrates_auth", specs="socrates_specs")

    result = check_schema(pair, "auth")

    assert result.exit_code == SchemaExit.UNUSABLE_DATABASE
    assert "Traceback" not in result.output
    assert secret not in result.output
    assert result.stderr.strip().splitlines() == [
        f"CommandError: database 'auth' (postgresql://postgres:***@127.0.0.1:{down.port}/"
        f"{pair.auth}): connection refused (is the server running?)"
    ]
