"""A project's own knowledge: its current specification, as searchable chunks."""

import pytest

from accounts.models import User
from collaboration.models import ActivityAction, ActivityLog, SharePermission
from collaboration.services import ActivityContext
from rag.models import DocumentChunk
from specs import services as specs_services
from tests.accounts.factories import UserFactory
from tests.rag.factories import DocumentFactory
from tests.specs.factories import ProjectFactory, ShareFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def reindex_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/knowledge/reindex/"


def specify(project, key: str, value: str, category: str) -> None:
    specs_services.write_specification(
        context=ActivityContext(user_id=project.owner_id),
        project=project,
        key=key,
        value=value,
        category=category,
    )


def test_reindexing_makes_one_section_per_category_from_current_specifications(client_for):
    project = ProjectFactory()
    specify(project, "database", "MySQL", "tech_stack")
    specify(project, "database", "PostgreSQL", "tech_stack")
    specify(project, "cache", "Redis", "tech_stack")
    specify(project, "goal", "Fast answers", "goals")

    response = client_for(User.objects.get(pk=project.owner_id)).post(reindex_url(project))

    assert response.status_code == 200, response.data
    assert response.data == {"chunks": 2}
    chunks = DocumentChunk.objects.filter(project=project).order_by("chunk_index")
    assert [(c.chunk_index, c.source_section, c.chunk_type, c.document_id) for c in chunks] == [
        (0, "goals", "specification", None),
        (1, "tech_stack", "specification", None),
    ]
    assert chunks[1].content == "cache: Redis\n\ndatabase: PostgreSQL"
    activity = ActivityLog.objects.get(action=ActivityAction.KNOWLEDGE_REINDEXED)
    assert (activity.resource_id, activity.changes["chunks"]) == (project.pk, 2)


def test_reindexing_replaces_the_projects_chunks_and_leaves_documents_alone(client_for):
    project = ProjectFactory()
    document = DocumentFactory()
    specify(project, "database", "PostgreSQL", "tech_stack")
    client = client_for(User.objects.get(pk=project.owner_id))
    client.post(reindex_url(project))
    first = set(project.document_chunks.values_list("pk", flat=True))
    specify(project, "database", "CockroachDB", "tech_stack")

    client.post(reindex_url(project))

    assert not DocumentChunk.objects.filter(pk__in=first).exists()
    assert list(project.document_chunks.values_list("content", flat=True)) == [
        "database: CockroachDB"
    ]
    assert document.chunks.exists()


def test_reindexing_needs_edit_access(client_for):
    project = ProjectFactory()
    viewer, editor, stranger = UserFactory(), UserFactory(), UserFactory()
    ShareFactory(project=project, shared_with_user_id=viewer.pk)
    ShareFactory(
        project=project, shared_with_user_id=editor.pk, permission_level=SharePermission.EDIT
    )

    assert client_for(viewer).post(reindex_url(project)).status_code == 403
    assert client_for(stranger).post(reindex_url(project)).status_code == 404
    assert client_for(editor).post(reindex_url(project)).data == {"chunks": 0}
