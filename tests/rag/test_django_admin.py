"""The Django admin over the knowledge base: the same services as the API."""

import pytest

from rag.models import DocumentChunk, KnowledgeBaseDocument
from tests.rag.factories import DocumentFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_a_document_added_in_the_admin_is_chunked(client, signed_in_superuser):
    response = client.post(
        "/admin/rag/knowledgebasedocument/add/",
        {"title": "Admin guide", "content": "# Start\n\nHello.", "tags": "a,b", "metadata": "{}"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    document = KnowledgeBaseDocument.objects.get(title="Admin guide")
    assert list(document.chunks.values_list("source_section", flat=True)) == ["Start"]


def test_a_content_change_in_the_admin_rechunks_the_document(client, signed_in_superuser):
    document = DocumentFactory(content="# Old\n\nText.")

    response = client.post(
        f"/admin/rag/knowledgebasedocument/{document.pk}/change/",
        {"title": document.title, "content": "# New\n\nText.", "tags": "", "metadata": "{}"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    document.refresh_from_db()
    assert document.version == 2
    assert list(document.chunks.values_list("source_section", flat=True)) == ["New"]


def test_the_approve_action_approves_the_selected_documents(client, signed_in_superuser):
    waiting = DocumentFactory(is_approved=False)

    client.post(
        "/admin/rag/knowledgebasedocument/",
        {"action": "approve", "_selected_action": [waiting.pk]},
    )

    waiting.refresh_from_db()
    assert waiting.is_approved


def test_knowledge_pages_open_and_chunks_are_read_only(client, signed_in_superuser):
    document = DocumentFactory()
    chunk = DocumentChunk.objects.get(document=document)

    assert client.get("/admin/rag/knowledgebasedocument/").status_code == 200
    assert client.get(f"/admin/rag/knowledgebasedocument/{document.pk}/change/").status_code == 200
    assert client.get("/admin/rag/documentchunk/").status_code == 200
    assert client.get(f"/admin/rag/documentchunk/{chunk.pk}/change/").status_code == 200
    assert client.get("/admin/rag/documentchunk/add/").status_code == 403
