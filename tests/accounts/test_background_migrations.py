"""Batched background migrations, through the one that exists: wrapping the
legacy bcrypt hashes in Argon2 (accounts.background_migrations).

Where commits matter (a failed batch, a stop, Ctrl-C), the command runs as
operators run it, in a subprocess on a scratch database, and the rows are
read from another connection; the rest runs inside the test's transaction.
"""

import functools
import re
import signal
import subprocess
from io import StringIO

import bcrypt
import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from rest_framework.test import APIClient

from accounts.background_migrations import WrapLegacyBcryptHashes
from accounts.models import BackgroundMigrationProgress, User
from socrates import background_migrations
from socrates.background_migrations import ADVISORY_LOCK_CLASS, AlreadyRunning
from tests.accounts.factories import UserFactory
from tests.postgres import (
    BASE_DIR,
    Server,
    manage_command,
    run_manage,
    scratch_pair,
    subprocess_env,
)

pytestmark = pytest.mark.django_db(databases=["auth"])

JOB = WrapLegacyBcryptHashes.name
LEGACY_PASSWORD = "legacy-Passw0rd"
WRONG_PASSWORD = "Wrong-Horse-Battery-9"
MALFORMED = "$2b$12$tooshort"
PROGRESS_LINE = re.compile(
    rf"^{JOB}: batch (\d+): (\d+)/(\d+) rows \([\d.]+%\), (\d+) changed; "
    r"([\d.]+) rows/s; (ETA \d+(m\d\ds)?s?|done)$",
    re.MULTILINE,
)


@functools.cache
def bare_bcrypt_hash() -> str:
    """LEGACY_PASSWORD as the legacy backend stored it (cost 4: the test is not about cost)."""
    return bcrypt.hashpw(LEGACY_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()


def legacy_users(count: int) -> list[User]:
    """In the order the job walks them (by primary key)."""
    users = UserFactory.create_batch(count, password=bare_bcrypt_hash())
    return sorted(users, key=lambda user: user.pk)


def stored(user: User) -> str:
    return User.objects.values_list("password", flat=True).get(pk=user.pk)


def login(login_name: str, password: str) -> int:
    response = APIClient().post("/api/v1/auth/login/", {"login": login_name, "password": password})
    return response.status_code


# In the test's transaction ------------------------------------------------------------


def test_legacy_users_sign_in_between_batches_and_after_the_job_and_wrong_passwords_fail():
    users = legacy_users(6)
    job = WrapLegacyBcryptHashes()

    outcome = background_migrations.run(job, batch_size=3, max_batches=1)

    assert outcome.stopped_by == "--max-batches 1"
    wrapped, bare = users[0], users[5]
    assert stored(wrapped).startswith("argon2_bcrypt$2b:04:")
    assert stored(bare) == bare_bcrypt_hash()
    for user in (wrapped, bare):
        before = stored(user)
        assert login(user.email, WRONG_PASSWORD) == 401
        assert stored(user) == before
        assert login(user.email, LEGACY_PASSWORD) == 200
        assert stored(user).startswith("argon2$")

    outcome = background_migrations.run(job, batch_size=3)

    assert outcome.stopped_by is None
    assert outcome.progress.finished
    after = users[4]
    assert stored(after).startswith("argon2_bcrypt$2b:04:")
    assert login(after.email, WRONG_PASSWORD) == 401
    assert login(after.email, LEGACY_PASSWORD) == 200
    assert not User.objects.filter(password__startswith="$2").exists()


class SigningInDuringTheBatch(WrapLegacyBcryptHashes):
    """The job, with the first user of each batch signing in between the
    hashing and the batch's transaction: what a live server does any time."""

    def prepare(self, rows):
        prepared = super().prepare(rows)
        user = User.objects.get(pk=rows[0][0])
        assert login(user.email, LEGACY_PASSWORD) == 200
        return prepared


def test_a_hash_rehashed_by_a_sign_in_during_the_batch_is_left_as_the_sign_in_stored_it():
    users = legacy_users(4)

    outcome = background_migrations.run(SigningInDuringTheBatch(), batch_size=4)

    signed_in, *others = users
    assert stored(signed_in).startswith("argon2$")
    assert all(stored(user).startswith("argon2_bcrypt$") for user in others)
    assert (outcome.progress.rows_done, outcome.progress.rows_changed) == (4, 3)


def test_progress_lines_tell_rows_done_of_the_total_the_rate_and_the_eta():
    legacy_users(5)
    out = StringIO()

    call_command("run_background_migration", JOB, "--batch-size", "2", stdout=out)

    lines = PROGRESS_LINE.findall(out.getvalue())
    assert [(batch, done, total) for batch, done, total, *_ in lines] == [
        ("1", "2", "5"),
        ("2", "4", "5"),
        ("3", "5", "5"),
    ]
    assert lines[0][5].startswith("ETA ")
    assert lines[-1][5] == "done"
    assert all(float(rate) > 0 for *_, rate, _eta, _ in lines)
    assert f"{JOB}: finished: 5 rows visited, 5 changed" in out.getvalue()


def test_a_second_run_of_a_job_under_way_is_refused():
    legacy_users(1)
    BackgroundMigrationProgress.objects.create(name=JOB)
    job = WrapLegacyBcryptHashes()
    other = Server.of_test_databases().connect(connections["auth"].settings_dict["NAME"])
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [ADVISORY_LOCK_CLASS, JOB])
        with pytest.raises(AlreadyRunning):
            background_migrations.run(job)
        with pytest.raises(CommandError, match=f"{JOB} is already running in another process"):
            call_command("run_background_migration", JOB)
        status = StringIO()
        call_command("run_background_migration", "--status", stdout=status)
        assert status.getvalue().startswith(f"{JOB}: running now;")
    finally:
        other.close()
    assert stored(User.objects.get()) == bare_bcrypt_hash()


# In a subprocess, on a scratch database --------------------------------------------


@pytest.fixture(scope="module")
def migrated_scratch_auth(django_db_setup, django_db_blocker):
    server = Server.of_test_databases()
    with scratch_pair(server) as pair:
        env = pair.env()
        assert run_manage("run_migrations_safe", "--auth-only", env=env).exit_code == 0
        yield server, pair.auth, env


@pytest.fixture
def scratch_auth(migrated_scratch_auth):
    """A migrated scratch auth database with no user and no job's progress:
    (server, its name, the command's env)."""
    server, database, _env = migrated_scratch_auth
    server.execute("DELETE FROM users; DELETE FROM background_migrations", database=database)
    return migrated_scratch_auth


def insert_legacy_users(server: Server, database: str, count: int) -> list[str]:
    """``count`` users with a bare bcrypt hash; their ids in the job's order."""
    server.execute(
        "INSERT INTO users (id, email, username, hashed_password) "
        "SELECT gen_random_uuid(), 'legacy' || n || '@example.com', 'legacy' || n, %s "
        "FROM generate_series(1, %s) AS n",
        [bare_bcrypt_hash(), count],
        database=database,
    )
    return [
        str(pk) for (pk,) in server.execute("SELECT id FROM users ORDER BY id", database=database)
    ]


def hashes(server: Server, database: str) -> dict[str, str]:
    rows = server.execute("SELECT id, hashed_password FROM users", database=database)
    return {str(pk): password for pk, password in rows}


def progress(server: Server, database: str) -> tuple:
    [row] = server.execute(
        "SELECT position, rows_done, rows_changed, finished_at IS NOT NULL, last_error "
        "FROM background_migrations WHERE name = %s",
        [JOB],
        database=database,
    )
    return row


def test_a_failed_batch_is_rolled_back_and_the_batches_before_it_stay_committed(scratch_auth):
    server, database, env = scratch_auth
    ids = insert_legacy_users(server, database, 8)
    # The fifth row fails to update, so the third batch of two fails.
    server.execute(
        "CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$; "
        "CREATE TRIGGER refuse_fifth BEFORE UPDATE ON users FOR EACH ROW "
        f"WHEN (OLD.id = '{ids[4]}') EXECUTE FUNCTION refuse_update()",
        database=database,
    )

    failed = run_manage("run_background_migration", JOB, "--batch-size", "2", env=env)

    assert failed.exit_code == 1
    assert f"{JOB}: batch 3 failed and was rolled back (refused for the test" in failed.stderr
    after_failure = hashes(server, database)
    assert [after_failure[pk].startswith("argon2_bcrypt$") for pk in ids] == [True] * 4 + [
        False
    ] * 4
    position, done, changed, finished, error = progress(server, database)
    assert (position, done, changed, finished) == (ids[3], 4, 4, False)
    assert error.startswith("batch 3: refused for the test")

    server.execute("DROP TRIGGER refuse_fifth ON users", database=database)
    resumed = run_manage("run_background_migration", JOB, "--batch-size", "2", env=env)

    assert resumed.exit_code == 0, resumed.output
    assert PROGRESS_LINE.findall(resumed.stdout)[0][:3] == ("1", "6", "8")
    assert progress(server, database) == (ids[7], 8, 8, True, None)
    after_resume = hashes(server, database)
    assert {pk: after_resume[pk] for pk in ids[:4]} == {pk: after_failure[pk] for pk in ids[:4]}
    assert all(after_resume[pk].startswith("argon2_bcrypt$") for pk in ids)


def test_a_run_stopped_by_a_limit_resumes_from_its_position_without_redoing_rows(scratch_auth):
    server, database, env = scratch_auth
    ids = insert_legacy_users(server, database, 7)
    server.execute(
        "UPDATE users SET hashed_password = %s WHERE id = %s",
        [MALFORMED, ids[1]],
        database=database,
    )

    stopped = run_manage(
        "run_background_migration", JOB, "--batch-size", "3", "--max-batches", "1", env=env
    )

    assert stopped.exit_code == 0, stopped.output
    assert f"{JOB}: stopped by --max-batches 1 after 3 of 7 rows" in stopped.stdout
    status = run_manage("run_background_migration", "--status", env=env).stdout
    assert status.startswith(f"{JOB}: stopped; a run resumes it; 3 rows visited, 2 changed")
    first_batch = hashes(server, database)

    resumed = run_manage("run_background_migration", JOB, "--batch-size", "3", env=env)

    assert resumed.exit_code == 0, resumed.output
    lines = PROGRESS_LINE.findall(resumed.stdout)
    assert [(done, total) for _batch, done, total, *_ in lines] == [("6", "7"), ("7", "7")]
    assert f"{JOB}: finished: 7 rows visited, 6 changed" in resumed.stdout
    after = hashes(server, database)
    assert {pk: after[pk] for pk in ids[:3]} == {pk: first_batch[pk] for pk in ids[:3]}
    assert after[ids[1]] == MALFORMED
    assert progress(server, database) == (ids[6], 7, 6, True, None)
    again = run_manage("run_background_migration", JOB, env=env)
    assert f"{JOB}: already finished; nothing to do" in again.stdout
    assert hashes(server, database) == after


def test_ctrl_c_keeps_the_batches_committed_before_it_and_a_run_resumes_after_them(scratch_auth):
    server, database, env = scratch_auth
    ids = insert_legacy_users(server, database, 12)
    command = manage_command("run_background_migration", JOB, "--batch-size", "1")
    run = subprocess.Popen(
        command,
        env=subprocess_env({**env, "PYTHONUNBUFFERED": "1"}),
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert PROGRESS_LINE.match(run.stdout.readline())
    run.send_signal(signal.SIGINT)
    _rest, stderr = run.communicate(timeout=60)

    assert run.returncode == 130
    assert "interrupted; the batch under way was rolled back" in stderr
    position, done, changed, finished, _error = progress(server, database)
    wrapped = [pk for pk, password in hashes(server, database).items() if "argon2" in password]
    assert 1 <= done < 12
    assert not finished
    assert sorted(wrapped) == ids[:done]
    assert (changed, position) == (done, ids[done - 1])

    resumed = run_manage("run_background_migration", JOB, "--batch-size", "5", env=env)

    assert resumed.exit_code == 0, resumed.output
    assert progress(server, database)[1:4] == (12, 12, True)
