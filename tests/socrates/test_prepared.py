"""The statements every request sends are prepared once per connection."""

import uuid

import pytest
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.selectors import USER_WITH_GENERATION, user_with_generation
from socrates.db.prepared import PreparedStatement
from specs.models import Project
from specs.selectors import AccessLevel, project_with_access
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory

pytestmark = [pytest.mark.django_db(databases=["auth", "specs"]), pytest.mark.dedicated_sessions]


def prepared_on_server(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


# Closing a connection needs no test transaction around it (and only the
# specs database can be flushed after one: the audit log is append-only).
@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_a_statement_is_prepared_once_then_executed():
    project = ProjectFactory(owner_id=uuid.uuid4())
    connections["specs"].close()

    with CaptureQueriesContext(connections["specs"]) as queries:
        first = project_with_access(project.owner_id, project.pk)
        second = project_with_access(project.owner_id, project.pk)

    sent = [query["sql"] for query in queries.captured_queries]
    assert [sql.split()[0] for sql in sent] == ["PREPARE", "EXECUTE", "EXECUTE"]
    assert first == second == (project, AccessLevel.OWNER)
    assert "project_with_access" in prepared_on_server("specs")


@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_a_new_connection_prepares_again():
    project = ProjectFactory(owner_id=uuid.uuid4())
    project_with_access(project.owner_id, project.pk)
    connections["specs"].close()

    assert "project_with_access" not in prepared_on_server("specs")
    assert project_with_access(project.owner_id, project.pk)[0] == project
    assert "project_with_access" in prepared_on_server("specs")


@override_settings(DATABASE_DEDICATED_SESSIONS=False)
def test_turned_off_the_statement_itself_is_sent():
    user = UserFactory()

    with CaptureQueriesContext(connections["auth"]) as queries:
        assert user_with_generation(user.pk) == user

    assert [q["sql"] for q in queries.captured_queries] == [
        USER_WITH_GENERATION.sql % f"'{user.pk}'::uuid"
    ]


@pytest.mark.parametrize("prepared", [True, False])
def test_the_access_check_answers_the_same_either_way(prepared):
    project = ProjectFactory(metadata={"tags": ["a"], "n": 1.5})
    with override_settings(DATABASE_DEDICATED_SESSIONS=prepared):
        found, level = project_with_access(project.owner_id, project.pk)
        stranger = project_with_access(UserFactory().pk, project.pk)

    assert (found, level) == (project, AccessLevel.OWNER)
    assert stranger == (project, None)
    # Every column as the ORM reads it (JSON decoded by the field's converter).
    stored = Project.objects.get(pk=project.pk)
    assert {f.attname: getattr(found, f.attname) for f in Project._meta.concrete_fields} == {
        f.attname: getattr(stored, f.attname) for f in Project._meta.concrete_fields
    }
    assert found.metadata == {"tags": ["a"], "n": 1.5}
    assert not found._state.adding
    assert found._state.db == "specs"


@pytest.mark.parametrize("prepared", [True, False])
def test_named_parameters_are_numbered_in_the_order_of_their_types(prepared):
    difference = PreparedStatement(
        "test_difference", Project, "SELECT %(a)s - %(b)s, %(a)s", {"b": "integer", "a": "integer"}
    )

    with override_settings(DATABASE_DEDICATED_SESSIONS=prepared):
        assert difference.row({"a": 5, "b": 2}) == (3, 5)
        assert difference.row({"a": 1, "b": 1}) == (0, 1)
