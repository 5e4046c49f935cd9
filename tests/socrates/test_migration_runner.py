"""``manage.py run_migrations_safe`` and ``manage.py migrate``, run as a user would.

Each test works on its own scratch databases, created and dropped on the same
PostgreSQL server as the test databases, and runs the command in a subprocess
so that exit codes and printed output are the real ones.
"""

import json
import re
import subprocess
import time
from contextlib import contextmanager

import pytest
from django.db.migrations.loader import MigrationLoader

from socrates.migration_runner import LOCK_KEY, ExitCode
from tests.clusters import private_cluster
from tests.postgres import (
    Server,
    free_port,
    manage_command,
    run_manage,
    scratch_pair,
    subprocess_env,
)
from tests.test_schema import DJANGO_TABLES

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

ACCOUNTS_HEAD = MigrationLoader(None).graph.leaf_nodes("accounts")[0][1]
ACCOUNTS_HEAD_NUMBER = ACCOUNTS_HEAD.split("_")[0]

AUTH_TABLES = {"users", "refresh_tokens", "admin_roles", "admin_users", "admin_audit_logs"}
SPECS_TABLES = {
    "projects", "sessions", "questions", "specifications", "conversation_history",
    "conflicts", "generated_projects", "generated_files", "quality_metrics",
    "user_behavior_patterns", "question_effectiveness", "analytics_metrics", "teams",
    "team_members", "project_shares", "project_invitations", "activity_logs",
    "notification_preferences", "subscriptions", "invoices", "api_keys",
    "llm_usage_tracking", "knowledge_base_documents", "document_chunks",
}  # fmt: skip
DJANGO_AUTH_TABLES = DJANGO_TABLES["auth"]
DJANGO_SPECS_TABLES = DJANGO_TABLES["specs"]


@pytest.fixture(scope="module")
def protected_server():
    with private_cluster(password="right-Passw0rd") as cluster:
        yield cluster.server


@pytest.fixture
def pair(server):
    with scratch_pair(server) as scratch:
        yield scratch


def runner(pair, *args, **env):
    return run_manage("run_migrations_safe", *args, env=pair.env(**env))


def assert_one_line_error(result, *, mentions: str, secret: str):
    assert "Traceback" not in result.output
    assert secret not in result.output
    assert mentions in result.stderr
    assert "***@" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_status_on_missing_databases_reports_everything_pending(pair):
    result = runner(pair, "--check-status")

    assert result.exit_code == ExitCode.PENDING
    assert f"⏳ {pair.auth}: database does not exist yet" in result.stdout
    assert f"⏳ {pair.specs}: database does not exist yet" in result.stdout
    assert not pair.server.database_exists(pair.auth)
    assert not pair.server.database_exists(pair.specs)


def test_first_run_creates_and_migrates_both_databases_each_with_its_own_tables(pair):
    result = runner(pair)

    assert result.exit_code == ExitCode.OK, result.output
    assert f"✅ {pair.auth}: created the database; applied" in result.stdout
    assert f"accounts {ACCOUNTS_HEAD_NUMBER} (head)" in result.stdout
    assert f"✅ {pair.specs}: created the database; applied" in result.stdout
    assert "specs 0001 (head)" in result.stdout
    assert pair.server.tables(pair.auth) == AUTH_TABLES | DJANGO_AUTH_TABLES
    assert pair.server.tables(pair.specs) == SPECS_TABLES | DJANGO_SPECS_TABLES


def test_second_run_changes_nothing_and_says_up_to_date(pair):
    assert runner(pair).exit_code == ExitCode.OK
    applied_before = pair.server.execute(
        "SELECT count(*) FROM django_migrations", database=pair.auth
    )

    result = runner(pair)

    assert result.exit_code == ExitCode.OK
    assert f"✅ {pair.auth}: up to date — accounts {ACCOUNTS_HEAD_NUMBER} (head)" in result.stdout
    assert f"✅ {pair.specs}: up to date" in result.stdout
    applied_after = pair.server.execute(
        "SELECT count(*) FROM django_migrations", database=pair.auth
    )
    assert applied_after == applied_before


def test_check_status_exits_one_when_pending_and_zero_once_migrated(pair):
    for name in (pair.auth, pair.specs):
        pair.server.execute(f'CREATE DATABASE "{name}"')

    before = runner(pair, "--check-status")
    assert before.exit_code == ExitCode.PENDING
    assert f"⏳ {pair.auth}:" in before.stdout
    assert f"accounts ({int(ACCOUNTS_HEAD_NUMBER)})" in before.stdout
    assert pair.server.tables(pair.auth) == set(), "--check-status must change nothing"

    assert runner(pair).exit_code == ExitCode.OK
    after = runner(pair, "--check-status")
    assert after.exit_code == ExitCode.OK
    assert f"✅ {pair.auth}: up to date" in after.stdout
    assert f"✅ {pair.specs}: up to date" in after.stdout


def test_json_output_lists_applied_and_pending_migrations(pair):
    runner(pair, "--auth-only")

    result = runner(pair, "--check-status", "--json")

    report = json.loads(result.stdout)
    assert report["exit_code"] == ExitCode.PENDING == result.exit_code
    auth, specs = report["databases"]
    assert auth["state"] == "up_to_date"
    assert auth["applied"]["accounts"] == auth["heads"]["accounts"] == ACCOUNTS_HEAD
    assert specs["state"] == "missing"
    assert "specs.0001_initial" in specs["pending"]


def test_auth_only_and_specs_only_touch_one_database(pair):
    assert runner(pair, "--auth-only").exit_code == ExitCode.OK
    assert pair.server.tables(pair.auth) >= AUTH_TABLES
    assert not pair.server.database_exists(pair.specs)

    result = runner(pair, "--specs-only")
    assert result.exit_code == ExitCode.OK
    assert pair.auth not in result.output
    assert pair.server.tables(pair.specs) >= SPECS_TABLES


def test_system_admin_roles_are_seeded(pair):
    runner(pair, "--auth-only")

    roles = pair.server.execute(
        "SELECT name, permissions FROM admin_roles WHERE is_system_role ORDER BY name",
        database=pair.auth,
    )
    assert dict(roles) == {
        "analytics_admin": ["users_view", "billing_view", "metrics_view"],
        "billing_admin": ["users_view", "billing_view", "invoices_export", "metrics_view"],
        "super_admin": [
            "users_view", "users_suspend", "users_delete", "users_impersonate", "billing_view",
            "invoices_export", "metrics_view", "audit_log_view", "admin_roles_manage",
        ],
        "support_admin": ["users_view", "users_suspend", "users_impersonate"],
    }  # fmt: skip


def test_refused_connection_is_one_masked_line_and_specs_is_not_touched(pair):
    secret = "s3cret-Passw0rd"
    down = Server(host="127.0.0.1", port=free_port(), user="postgres", password=secret)

    result = runner(pair, DATABASE_URL_AUTH=down.url(pair.auth))

    assert result.exit_code == ExitCode.UNUSABLE_DATABASE
    assert_one_line_error(result, mentions="connection refused", secret=secret)
    assert f"postgresql://postgres:***@127.0.0.1:{down.port}/{pair.auth}" in result.stderr
    assert pair.specs not in result.output
    assert not pair.server.database_exists(pair.specs)


def test_wrong_password_is_one_masked_line(protected_server):
    secret = "wr0ng-Passw0rd"
    with scratch_pair(protected_server) as scratch:
        wrong = protected_server.url(scratch.auth, password=secret)
        result = run_manage("run_migrations_safe", env=scratch.env(DATABASE_URL_AUTH=wrong))

    assert result.exit_code == ExitCode.UNUSABLE_DATABASE
    assert_one_line_error(result, mentions="password authentication failed", secret=secret)


def test_right_password_on_a_protected_server_migrates(protected_server):
    with scratch_pair(protected_server) as scratch:
        result = run_manage("run_migrations_safe", "--auth-only", env=scratch.env())

        assert result.exit_code == ExitCode.OK, result.output
        assert protected_server.password not in result.output
        assert protected_server.tables(scratch.auth) >= AUTH_TABLES


def test_role_that_may_not_create_databases_gets_one_line(pair):
    role = f"limited_{pair.auth[8:18]}"
    pair.server.execute(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
    try:
        limited = Server(pair.server.host, pair.server.port, role)
        result = runner(pair, DATABASE_URL_AUTH=limited.url(pair.auth))
    finally:
        pair.server.execute(f'DROP ROLE "{role}"')

    assert result.exit_code == ExitCode.UNUSABLE_DATABASE
    assert "Traceback" not in result.output
    assert "cannot be created (permission denied" in result.stderr
    assert not pair.server.database_exists(pair.auth)


def test_both_aliases_on_one_database_is_refused(pair):
    result = runner(pair, DATABASE_URL_SPECS=pair.server.url(pair.auth))

    assert result.exit_code == ExitCode.UNUSABLE_DATABASE
    assert "point at the same database" in result.stderr
    assert not pair.server.database_exists(pair.auth)


def test_alembic_version_without_the_legacy_tables_is_left_untouched(pair):
    pair.server.execute(f'CREATE DATABASE "{pair.auth}"')
    pair.server.execute(
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
        "INSERT INTO alembic_version VALUES ('010')",
        database=pair.auth,
    )

    result = runner(pair, "--auth-only")

    assert result.exit_code == ExitCode.REFUSED
    assert "legacy, not adoptable: its tables are not the legacy shape" in result.stderr
    assert "table users is missing" in result.stderr
    assert pair.server.tables(pair.auth) == {"alembic_version"}


def test_a_run_waits_for_the_lock_held_by_another_run(pair):
    pair.server.execute(f'CREATE DATABASE "{pair.auth}"')
    holder = pair.server.connect(pair.auth)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        process = subprocess.Popen(
            manage_command("run_migrations_safe", "--auth-only"),
            env=subprocess_env(pair.env()),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first_line = process.stdout.readline()
        assert "another migration run is under way; waiting" in first_line
        assert pair.server.tables(pair.auth) == set(), "nothing may migrate while waiting"
    finally:
        holder.close()  # releases the lock
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == ExitCode.OK, stderr
    assert "waited for a concurrent run; applied" in stdout


def test_lock_held_past_the_timeout_gives_up_with_its_own_exit_code(pair):
    pair.server.execute(f'CREATE DATABASE "{pair.auth}"')
    holder = pair.server.connect(pair.auth)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        result = runner(pair, "--auth-only", "--lock-timeout", "1")
    finally:
        holder.close()

    assert result.exit_code == ExitCode.LOCK_TIMEOUT
    assert "still holds the lock after 1s" in result.stderr
    assert pair.server.tables(pair.auth) == set()


def test_two_runs_started_together_migrate_once(pair):
    processes = [
        subprocess.Popen(
            manage_command("run_migrations_safe"),
            env=subprocess_env(pair.env()),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=180) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    lines = "".join(out for out, _err in outputs).splitlines()
    for name in (pair.auth, pair.specs):
        outcomes = [line for line in lines if line.startswith(f"✅ {name}: ")]
        assert len(outcomes) == 2, lines
        # Exactly one of the two runs migrated it; the other found it done.
        assert len([line for line in outcomes if "applied" in line]) == 1, lines
    duplicates = pair.server.execute(
        "SELECT app, name FROM django_migrations GROUP BY app, name HAVING count(*) > 1",
        database=pair.auth,
    )
    assert duplicates == []


def test_plain_migrate_without_database_migrates_both(pair):
    for name in (pair.auth, pair.specs):
        pair.server.execute(f'CREATE DATABASE "{name}"')

    result = run_manage("migrate", env=pair.env())

    assert result.exit_code == 0, result.output
    assert "Database 'auth':" in result.stdout
    assert "Database 'specs':" in result.stdout
    assert pair.server.tables(pair.auth) == AUTH_TABLES | DJANGO_AUTH_TABLES
    assert pair.server.tables(pair.specs) == SPECS_TABLES | DJANGO_SPECS_TABLES


def test_migrate_each_database_alone_creates_only_its_tables(pair):
    for name in (pair.auth, pair.specs):
        pair.server.execute(f'CREATE DATABASE "{name}"')

    assert run_manage("migrate", "--database", "auth", env=pair.env()).exit_code == 0
    assert pair.server.tables(pair.specs) == set()
    assert run_manage("migrate", "--database", "specs", env=pair.env()).exit_code == 0

    assert pair.server.tables(pair.auth) == AUTH_TABLES | DJANGO_AUTH_TABLES
    assert pair.server.tables(pair.specs) == SPECS_TABLES | DJANGO_SPECS_TABLES


def test_plain_migrate_against_a_down_server_is_one_masked_line(pair):
    secret = "s3cret-Passw0rd"
    down = Server(host="127.0.0.1", port=free_port(), user="postgres", password=secret)
    started = time.monotonic()

    result = run_manage("migrate", env=pair.env(DATABASE_URL_AUTH=down.url(pair.auth)))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert secret not in result.output
    assert "CommandError: database 'auth' (postgresql://postgres:***@" in result.stderr
    assert time.monotonic() - started < 60


# Lock timeouts and retries. The lock probe app (tests/socrates/lock_probe) adds a
# column to document_chunks (0001), then an index built concurrently (0002);
# another session holds the table while the runner applies them.

PROBE_SETTINGS = "tests.socrates.lock_probe.settings"
HOLDER = "lock-holder"


def probe_env(pair, *, retries: int, **env) -> dict[str, str]:
    return pair.env(
        DJANGO_SETTINGS_MODULE=PROBE_SETTINGS,
        MIGRATION_LOCK_TIMEOUT_MS="300",
        MIGRATION_LOCK_RETRIES=str(retries),
        MIGRATION_LOCK_RETRY_DELAY_MS="200",
        **env,
    )


@pytest.fixture
def specs_migrated(pair):
    assert runner(pair, "--specs-only").exit_code == ExitCode.OK
    return pair


@contextmanager
def holding(pair, *statements: str):
    """A session named HOLDER that ran the statements in a transaction it keeps open."""
    holder = pair.server.connect(pair.specs)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SET application_name = %s", [HOLDER])
            cursor.execute("BEGIN")
            for statement in statements:
                cursor.execute(statement)
        yield holder
    finally:
        holder.close()


def probe_state(pair) -> tuple[list, list, list]:
    """Recorded probe migrations, the probe column, and every INVALID index."""
    recorded = pair.server.execute(
        "SELECT name FROM django_migrations WHERE app = 'lock_probe' ORDER BY name",
        database=pair.specs,
    )
    column = pair.server.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'document_chunks' AND column_name = 'lock_probe'",
        database=pair.specs,
    )
    invalid = pair.server.execute(
        "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid",
        database=pair.specs,
    )
    return recorded, column, invalid


LOCK_TABLE = "LOCK TABLE document_chunks IN ACCESS SHARE MODE"


def wait_until_a_session_waits_for_a_lock(pair) -> None:
    deadline = time.monotonic() + 30
    while not pair.server.execute(
        "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
        [pair.specs],
    ):
        assert time.monotonic() < deadline, "the runner never waited for the lock"
        time.sleep(0.05)


def test_a_migration_blocked_by_a_transaction_is_retried_and_applied_once_it_ends(
    specs_migrated,
):
    pair = specs_migrated
    with holding(pair, LOCK_TABLE) as holder:
        pid = holder.get_backend_pid()
        process = subprocess.Popen(
            manage_command("run_migrations_safe", "--specs-only"),
            env=subprocess_env(probe_env(pair, retries=10)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until_a_session_waits_for_a_lock(pair)
        time.sleep(1.5)
    stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == ExitCode.OK, stderr
    assert (
        f"lock_probe.0001_add_column: lock not granted within 300 ms (held by pid {pid} "
        f"'{HOLDER}'); retry 1 of 10 in" in stdout
    )
    applied = re.search(
        r"applied lock_probe\.0001_add_column in [\d.]+ s "
        r"\(waited ([\d.]+) s for locks, (\d+) retries\)",
        stdout,
    )
    assert applied, stdout
    assert float(applied[1]) >= 1.0
    assert int(applied[2]) >= 1
    assert probe_state(pair) == (
        [("0001_add_column",), ("0002_concurrent_index",)],
        [("lock_probe",)],
        [],
    )


def test_a_migration_blocked_through_every_retry_exits_6_naming_the_holder_and_applies_nothing(
    specs_migrated,
):
    pair = specs_migrated
    before = probe_state(pair)
    with holding(pair, LOCK_TABLE) as holder:
        pid = holder.get_backend_pid()
        started = time.monotonic()
        result = run_manage(
            "run_migrations_safe", "--specs-only", env=probe_env(pair, retries=2), timeout=30
        )
        took = time.monotonic() - started

    assert result.exit_code == ExitCode.LOCK_NOT_GRANTED == 6
    assert "Traceback" not in result.output
    assert (
        "lock_probe.0001_add_column: a lock was not granted within 300 ms in 3 tries"
        in result.stderr
    )
    assert "rolled back: nothing of it is applied" in result.stderr
    assert f"Held by pid {pid} ('{HOLDER}', idle in transaction, transaction open " in result.stderr
    assert f'"{LOCK_TABLE}"' in result.stderr
    assert result.stdout.count("lock not granted within 300 ms") == 2
    assert probe_state(pair) == before == ([], [], [])
    assert took < 10


def test_plain_migrate_gives_up_on_a_held_lock_with_exit_6_too(specs_migrated):
    pair = specs_migrated
    with holding(pair, LOCK_TABLE) as holder:
        pid = holder.get_backend_pid()
        result = run_manage(
            "migrate", "--database", "specs", env=probe_env(pair, retries=1), timeout=30
        )

    assert result.exit_code == 6
    assert "LockNotGranted: lock_probe.0001_add_column: a lock was not granted" in result.stderr
    assert f"Held by pid {pid} ('{HOLDER}'" in result.stderr
    assert "Traceback" not in result.output
    assert probe_state(pair) == ([], [], [])


def test_a_concurrent_index_build_that_times_out_leaves_no_invalid_index(specs_migrated):
    pair = specs_migrated
    # A transaction holding a snapshot: CREATE INDEX CONCURRENTLY waits for it
    # after it has created the index, which stays INVALID when the wait ends.
    with holding(pair, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                 "SELECT count(*) FROM projects") as holder:  # fmt: skip
        pid = holder.get_backend_pid()
        result = run_manage(
            "run_migrations_safe", "--specs-only", env=probe_env(pair, retries=2), timeout=30
        )

    assert result.exit_code == ExitCode.LOCK_NOT_GRANTED
    assert "lock_probe.0002_concurrent_index: a lock was not granted" in result.stderr
    assert f"Held by pid {pid} ('{HOLDER}'" in result.stderr
    assert "Applied before it: lock_probe.0001_add_column." in result.stderr
    assert probe_state(pair) == ([("0001_add_column",)], [("lock_probe",)], [])
