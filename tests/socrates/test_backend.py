"""The database backend: foreign keys that act in the database itself, for
programs that bypass Django, and the check of a kept connection."""

import os
import select
import uuid
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, IntegrityError, connections
from django.db.backends.postgresql import base

from accounts.models import AdminAuditLog, RefreshToken, User
from socrates.db.backend import base as backend
from socrates.db.sockets import has_unread
from specs.models import Project, Question, Session

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])
USER_ID = uuid.uuid4()


def raw(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def project():
    return Project.objects.create(name="p", user_id=USER_ID, creator_id=USER_ID, owner_id=USER_ID)


def test_deleting_a_project_in_sql_cascades_to_its_sessions(project):
    Session.objects.create(project=project)

    raw("specs", "DELETE FROM projects WHERE id = %s", [project.pk])

    assert not Session.objects.exists()


def test_deleting_a_session_in_sql_keeps_its_questions_unlinked(project):
    session = Session.objects.create(project=project)
    question = Question.objects.create(project=project, session=session, text="Why?")

    raw("specs", "DELETE FROM sessions WHERE id = %s", [session.pk])

    question.refresh_from_db()
    assert question.session_id is None


def test_a_user_with_audit_entries_cannot_be_deleted_in_sql():
    admin = User.objects.create_user(email="admin@example.com", role="admin")
    AdminAuditLog.objects.create(
        admin=admin, action="user_suspended", resource_type="user", resource_id=str(admin.pk)
    )
    RefreshToken.objects.create(user=admin, token="t", expires_at="2030-01-01T00:00:00Z")

    with pytest.raises(IntegrityError, match="admin_audit_logs"):
        raw("auth", "DELETE FROM users WHERE id = %s", [admin.pk])


def test_deleting_a_user_in_sql_removes_their_refresh_tokens():
    user = User.objects.create_user(email="u@example.com")
    RefreshToken.objects.create(user=user, token="t", expires_at="2030-01-01T00:00:00Z")

    raw("auth", "DELETE FROM users WHERE id = %s", [user.pk])

    assert not RefreshToken.objects.exists()


@pytest.mark.dedicated_sessions
class TestHealthCheck:
    """Before a request's first query, a connection kept from an earlier
    request is checked: without a round trip while its server session is
    alive, and replaced once the server has ended that session."""

    @pytest.fixture
    def kept(self, monkeypatch):
        # A connection of its own: ending its session must not end the test's.
        connection = connections.create_connection("specs")
        connection.ensure_connection()
        round_trips = []
        stock_check = base.DatabaseWrapper.is_usable
        monkeypatch.setattr(
            base.DatabaseWrapper,
            "is_usable",
            lambda self: round_trips.append(1) or stock_check(self),
        )
        yield connection, round_trips
        connection.close()

    def test_a_live_session_is_usable_without_a_round_trip(self, kept):
        connection, round_trips = kept
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

        assert connection.is_usable()
        assert round_trips == []

    def test_a_connection_idle_for_long_is_asked(self, kept, monkeypatch):
        connection, round_trips = kept
        monkeypatch.setattr(backend, "TRUSTED_IDLE_SECONDS", 0)

        assert connection.is_usable()
        assert round_trips == [1]

    def test_a_session_the_server_ended_is_unusable_and_replaced(self, kept):
        connection, round_trips = kept
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            ended = cursor.fetchone()[0]
        raw("specs", "SELECT pg_terminate_backend(%s, 5000)", [ended])
        select.select([connection.connection], [], [], 5)

        assert not connection.is_usable()
        assert round_trips == [1]
        # At the next request's first query, a new session.
        connection.health_check_done = False
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != ended

    def test_a_failed_transaction_is_unusable(self, kept):
        connection, _ = kept
        connection.set_autocommit(False)
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

        assert not connection.is_usable()


def test_unread_bytes_are_seen_on_a_descriptor_numbered_above_1023():
    # select() refuses such a descriptor; a busy threaded server reaches them.
    reading, writing = os.pipe()
    high = os.dup2(reading, 1500)
    try:
        watched = SimpleNamespace(fileno=lambda: high)
        assert not has_unread(watched)
        os.write(writing, b"x")
        assert has_unread(watched)
    finally:
        for descriptor in (reading, writing, high):
            os.close(descriptor)
