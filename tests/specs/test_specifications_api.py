"""Specifications are versioned on every write; one current row per key, even under races."""

import threading
import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from collaboration.models import SharePermission
from collaboration.services import ActivityContext
from specs import services
from specs.models import Specification
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory, ShareFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def specifications_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/specifications/"


def test_writing_a_key_twice_makes_version_two_current(client_for):
    project = ProjectFactory()
    owner = client_for(User.objects.get(pk=project.owner_id))
    url = specifications_url(project)

    first = owner.post(url, {"key": "database", "value": "SQLite"}, format="json")
    second = owner.post(url, {"key": "database", "value": "PostgreSQL"}, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert (second.data["version"], second.data["is_current"]) == (2, True)
    old = Specification.objects.get(pk=first.data["id"])
    assert not old.is_current
    assert old.superseded_by == second.data["id"]
    assert old.superseded_at is not None
    current = owner.get(url).data["results"]
    assert [(row["key"], row["version"]) for row in current] == [("database", 2)]
    history = owner.get(url, {"history": "true"}).data["results"]
    assert [row["version"] for row in history] == [2, 1]


def test_the_current_version_is_looked_up_without_an_ordering():
    # Ordered by id, PostgreSQL walked the primary key past 103,000 other rows
    # once statistics said keys had many versions (37 ms; README, "Performance").
    project = ProjectFactory()
    context = ActivityContext(user_id=project.owner_id)
    services.write_specification(context=context, project=project, key="db", value="a")

    with CaptureQueriesContext(connections["specs"]) as queries:
        services.write_specification(context=context, project=project, key="db", value="b")

    lookups = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and '"is_current"' in query["sql"]
    ]
    assert lookups
    assert not any("ORDER BY" in sql for sql in lookups)


def test_a_change_is_a_new_version_and_a_superseded_one_cannot_change(client_for):
    project = ProjectFactory()
    owner = client_for(User.objects.get(pk=project.owner_id))
    first = owner.post(specifications_url(project), {"key": "goal", "value": "a"}, format="json")
    url = f"{specifications_url(project)}{first.data['id']}/"

    changed = owner.patch(url, {"value": "b", "key": "ignored"}, format="json")
    again = owner.patch(url, {"value": "c"}, format="json")

    assert changed.status_code == 200
    assert (changed.data["key"], changed.data["value"], changed.data["version"]) == ("goal", "b", 2)
    assert again.status_code == 409
    assert again.data["code"] == "superseded"


def test_a_viewer_reads_specifications_but_cannot_write_them(client_for):
    project = ProjectFactory()
    viewer = UserFactory()
    ShareFactory(project=project, shared_with_user_id=viewer.pk)
    editor = UserFactory()
    ShareFactory(
        project=project, shared_with_user_id=editor.pk, permission_level=SharePermission.EDIT
    )

    assert client_for(viewer).get(specifications_url(project)).status_code == 200
    refused = client_for(viewer).post(specifications_url(project), {"key": "k"}, format="json")
    assert refused.status_code == 403
    written = client_for(editor).post(specifications_url(project), {"key": "k"}, format="json")
    assert written.status_code == 201


# Real transactions in threads. Only specs is flushed afterwards: the audit
# log in auth refuses TRUNCATE, and this test writes nothing there.
@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_concurrent_writers_of_one_key_get_distinct_versions_and_one_current():
    project = ProjectFactory(owner_id=uuid.uuid4())
    context = ActivityContext(user_id=project.owner_id)
    errors = []

    def write(n):
        try:
            services.write_specification(
                context=context, project=project, key="database", value=f"choice {n}"
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    versions = Specification.objects.filter(project=project, key="database")
    assert sorted(versions.values_list("version", flat=True)) == list(range(1, 9))
    assert versions.filter(is_current=True).count() == 1
    assert versions.get(is_current=True).version == 8


@pytest.mark.parametrize("value", ["-1", "null", "unknown", ""])
def test_history_other_than_true_or_false_is_a_400_naming_it(client_for, value):
    project = ProjectFactory()

    owner = client_for(User.objects.get(pk=project.owner_id))

    response = owner.get(specifications_url(project), {"history": value})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["history"]
