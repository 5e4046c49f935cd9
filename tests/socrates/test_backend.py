"""Foreign keys act in the database itself, for programs that bypass Django."""

import uuid

import pytest
from django.db import IntegrityError, connections

from accounts.models import AdminAuditLog, RefreshToken, User
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
