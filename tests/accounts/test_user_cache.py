"""Users kept in memory, dropped when PostgreSQL notifies a change.

These tests commit (each on a user of its own, deleted after it).
"""

import time
import uuid
from functools import partial

import psycopg2
import pytest
from django.db import connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import UserStatus, token_generation_of
from accounts.selectors import KEPT_USERS, USER_WITH_GENERATION, user_with_generation
from accounts.services import sign_out_everywhere
from tests import polling
from tests.accounts.factories import UserFactory

AUTH = "auth"


pytestmark = [pytest.mark.django_db(databases=["auth"]), pytest.mark.dedicated_sessions]


@pytest.fixture
def committed_user():
    """A user committed by connections["auth"] taken outside the test's
    transaction: a change notifies only at its commit, and nothing is kept
    inside a transaction."""
    inside = connections[AUTH]
    connections[AUTH] = connections.create_connection(AUTH)
    tag = uuid.uuid4().hex[:12]
    user = UserFactory(email=f"kept-{tag}@example.com", username=f"kept-{tag}")
    try:
        yield user
    finally:
        KEPT_USERS.close()
        with connections[AUTH].cursor() as cursor:
            cursor.execute("DELETE FROM users WHERE id = %s", [user.pk])
        connections[AUTH].close()
        connections[AUTH] = inside


def another_program(sql: str, parameters: list) -> None:
    """A statement committed by a connection of its own, as any program's."""
    connection = psycopg2.connect(**connections[AUTH].get_connection_params())
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, parameters)
    finally:
        connection.close()


def statements_to_load(user_id) -> int:
    """Statements reading the user (a new connection also prepares one)."""
    with CaptureQueriesContext(connections[AUTH]) as queries:
        user_with_generation(user_id)
    return sum(not query["sql"].startswith("PREPARE") for query in queries.captured_queries)


def eventually(condition) -> bool:
    """A notification takes PostgreSQL a moment to deliver."""
    return polling.eventually(condition, seconds=5, interval=0.01)


def test_a_kept_user_is_read_without_a_statement(committed_user):
    assert statements_to_load(committed_user.pk) == 1
    assert statements_to_load(committed_user.pk) == 0
    assert statements_to_load(str(committed_user.pk)) == 0
    assert user_with_generation(committed_user.pk) == committed_user


def test_a_change_by_another_program_is_seen(committed_user):
    user_with_generation(committed_user.pk)

    another_program("UPDATE users SET status = %s WHERE id = %s", ["suspended", committed_user.pk])

    assert eventually(
        lambda: user_with_generation(committed_user.pk).status == UserStatus.SUSPENDED
    )


def test_signing_out_everywhere_is_seen(committed_user):
    user = user_with_generation(committed_user.pk)
    before = token_generation_of(user)

    sign_out_everywhere(user=user)

    assert eventually(
        lambda: token_generation_of(user_with_generation(committed_user.pk)) == before + 1
    )


def test_a_deleted_user_is_not_found(committed_user):
    user_with_generation(committed_user.pk)

    another_program("DELETE FROM users WHERE id = %s", [committed_user.pk])

    assert eventually(lambda: user_with_generation(committed_user.pk) is None)


def test_nothing_is_kept_inside_a_transaction(committed_user):
    with transaction.atomic(using=AUTH):
        assert statements_to_load(committed_user.pk) == 1
        assert statements_to_load(committed_user.pk) == 1


@override_settings(DATABASE_DEDICATED_SESSIONS=False)
def test_behind_a_pooler_sharing_sessions_nothing_is_kept(committed_user):
    assert statements_to_load(committed_user.pk) == 1
    assert statements_to_load(committed_user.pk) == 1


def test_a_lost_listener_forgets_what_it_kept(committed_user):
    user_with_generation(committed_user.pk)
    another_program(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE query = %s AND datname = current_database() AND pid <> pg_backend_pid()",
        ["LISTEN socrates_user_changes"],
    )

    assert eventually(lambda: statements_to_load(committed_user.pk) == 1)
    # Listening again, it keeps the user anew.
    assert eventually(lambda: statements_to_load(committed_user.pk) == 0)


def test_without_the_triggers_nothing_is_kept(committed_user):
    another_program("ALTER TABLE users DISABLE TRIGGER users_notify_change", [])
    try:
        KEPT_USERS.close()

        assert statements_to_load(committed_user.pk) == 1
        assert statements_to_load(committed_user.pk) == 1
    finally:
        another_program("ALTER TABLE users ENABLE ALWAYS TRIGGER users_notify_change", [])


def test_a_token_of_a_kept_user_is_refused_once_the_user_is_suspended(committed_user, client_for):
    client = client_for(committed_user)
    assert client.get("/api/v1/auth/me/").status_code == 200
    # Kept (once the notification of the sign-in's own writes has come).
    assert eventually(lambda: statements_to_load(committed_user.pk) == 0)

    another_program("UPDATE users SET status = %s WHERE id = %s", ["suspended", committed_user.pk])

    assert eventually(lambda: client.get("/api/v1/auth/me/").status_code == 401)


def test_a_row_read_before_a_change_that_another_thread_was_told_of_is_not_kept(
    committed_user,
):
    other = UserFactory(
        email=f"other-{committed_user.email}", username=f"other-{committed_user.pk}"
    )
    load = partial(USER_WITH_GENERATION.fetch, [committed_user.pk])

    def load_then_change():
        found = load()
        another_program(
            "UPDATE users SET status = %s WHERE id = %s", ["suspended", committed_user.pk]
        )
        # Another request (another thread's) reads the notification meanwhile.
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            user_with_generation(other.pk)
        return found

    try:
        KEPT_USERS.row(committed_user.pk, load_then_change)

        assert user_with_generation(committed_user.pk).status == UserStatus.SUSPENDED
    finally:
        another_program("DELETE FROM users WHERE id = %s", [other.pk])


def test_a_backlog_of_notifications_is_read_at_once(committed_user):
    user_with_generation(committed_user.pk)

    another_program(
        "SELECT pg_notify('socrates_user_changes', 'x' || n) FROM generate_series(1, 3000) n", []
    )
    another_program("UPDATE users SET status = %s WHERE id = %s", ["suspended", committed_user.pk])
    time.sleep(0.5)  # delivered: some hundred kilobytes wait on the socket

    assert user_with_generation(committed_user.pk).status == UserStatus.SUSPENDED


def test_a_replication_session_notifies_too(committed_user):
    user_with_generation(committed_user.pk)

    another_program(
        "SET session_replication_role = replica;"
        " UPDATE users SET status = 'suspended' WHERE id = %s",
        [committed_user.pk],
    )

    assert eventually(
        lambda: user_with_generation(committed_user.pk).status == UserStatus.SUSPENDED
    )


def test_a_forked_process_trusts_nothing_its_parent_kept(committed_user):
    user_with_generation(committed_user.pk)
    KEPT_USERS._listener_pid = -1  # as after os.fork()

    assert statements_to_load(committed_user.pk) == 1


def test_triggers_turned_off_later_are_noticed_within_a_second(committed_user):
    user_with_generation(committed_user.pk)
    assert statements_to_load(committed_user.pk) == 0
    another_program("ALTER TABLE users DISABLE TRIGGER users_notify_change", [])
    try:
        assert eventually(lambda: statements_to_load(committed_user.pk) == 1)
        assert statements_to_load(committed_user.pk) == 1
    finally:
        another_program("ALTER TABLE users ENABLE ALWAYS TRIGGER users_notify_change", [])
