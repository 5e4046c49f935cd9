"""The knowledge-base lists run a constant number of SQL queries, whatever the page size."""

import pytest

from rag.models import DocumentChunk, KnowledgeBaseDocument
from tests.queries import list_queries
from tests.rag.factories import staff_user

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

ROWS = 120


def test_documents_and_chunks_cost_the_same_queries_at_page_size_10_and_100(client_for):
    documents = KnowledgeBaseDocument.objects.bulk_create(
        KnowledgeBaseDocument(title=f"d{n}", content="text", tags=["t"]) for n in range(ROWS)
    )
    DocumentChunk.objects.bulk_create(
        DocumentChunk(document=documents[0], chunk_index=n, content=f"c{n}") for n in range(ROWS)
    )
    client = client_for(staff_user())
    urls = {
        "documents": "/api/v1/knowledge-base/documents/",
        "chunks": f"/api/v1/knowledge-base/documents/{documents[0].pk}/chunks/",
    }

    counts = {
        name: (
            list_queries(client, url, page_size=10),
            list_queries(client, url, page_size=100),
        )
        for name, url in urls.items()
    }

    assert all(small == large for small, large in counts.values()), counts
    assert max(large for _, large in counts.values()) <= 5, counts
