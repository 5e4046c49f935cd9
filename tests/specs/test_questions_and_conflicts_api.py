"""Questions get answered; conflicts get resolved, and only with a resolution."""

import pytest

from accounts.models import User
from specs.models import Conflict, Question, Session, Specification
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


@pytest.fixture
def project():
    return ProjectFactory()


@pytest.fixture
def owner(client_for, project):
    return client_for(User.objects.get(pk=project.owner_id))


def test_answering_a_question_records_it_and_marks_it_answered(owner, project):
    url = f"/api/v1/projects/{project.pk}/questions/"
    asked = owner.post(url, {"text": "Which database?", "priority": "high"})

    answered = owner.post(f"{url}{asked.data['id']}/answer/", {"answer": "PostgreSQL"})

    assert asked.status_code == 201, asked.data
    assert (answered.data["answer"], answered.data["status"]) == ("PostgreSQL", "answered")
    assert Question.objects.get().status == "answered"


def test_a_question_cannot_point_at_another_projects_session(owner, project):
    foreign = Session.objects.create(project=ProjectFactory())

    response = owner.post(
        f"/api/v1/projects/{project.pk}/questions/", {"text": "Q?", "session": str(foreign.pk)}
    )

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["session"]


def test_resolving_a_conflict_needs_a_resolution_text(owner, project):
    url = f"/api/v1/projects/{project.pk}/conflicts/"
    conflict = owner.post(url, {"title": "SQLite or PostgreSQL", "severity": "high"}).data

    empty = owner.post(f"{url}{conflict['id']}/resolve/", {"resolution": ""})
    by_status = owner.patch(f"{url}{conflict['id']}/", {"status": "resolved"}, format="json")
    resolved = owner.post(f"{url}{conflict['id']}/resolve/", {"resolution": "PostgreSQL"})
    again = owner.post(f"{url}{conflict['id']}/resolve/", {"resolution": "PostgreSQL"})

    assert (empty.status_code, list(empty.data["fields"])) == (400, ["resolution"])
    assert (by_status.status_code, list(by_status.data["fields"])) == (400, ["resolution"])
    assert (resolved.status_code, resolved.data["status"]) == (200, "resolved")
    assert again.status_code == 409
    assert Conflict.objects.get().resolution == "PostgreSQL"


def test_a_conflict_relates_only_this_projects_specifications(owner, project):
    own = Specification.objects.create(project=project, key="db")
    foreign = Specification.objects.create(project=ProjectFactory(), key="db")
    url = f"/api/v1/projects/{project.pk}/conflicts/"

    refused = owner.post(
        url, {"title": "T", "related_specifications": [str(foreign.pk)]}, format="json"
    )
    accepted = owner.post(
        url, {"title": "T", "related_specifications": [str(own.pk)]}, format="json"
    )

    assert (refused.status_code, list(refused.data["fields"])) == (400, ["related_specifications"])
    assert accepted.status_code == 201


def test_resolved_and_answered_states_need_their_text(owner, project):
    conflicts = f"/api/v1/projects/{project.pk}/conflicts/"
    questions = f"/api/v1/projects/{project.pk}/questions/"

    resolved = owner.post(conflicts, {"title": "T", "status": "resolved"})
    answered = owner.post(questions, {"text": "Q?", "status": "answered"})

    assert (resolved.status_code, list(resolved.data["fields"])) == (400, ["resolution"])
    assert (answered.status_code, list(answered.data["fields"])) == (400, ["answer"])
