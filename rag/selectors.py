"""Reads of the knowledge base, including who may read what.

Approved documents are for everyone signed in; staff (``User.is_staff``)
also see the unapproved ones and alone write documents. A project's chunks
are for those who can view the project.
"""

from enum import IntEnum
from uuid import UUID

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db.models import F, Q, QuerySet

from rag.models import DocumentChunk, KnowledgeBaseDocument
from socrates.errors import NotFound
from specs.selectors import access_level, visible_projects

SEARCH_CONFIG = "english"
# The expression of the GIN index ix_chunks_content_fts: a search filters on
# exactly this, or PostgreSQL cannot use the index.
INDEXED_CONTENT = SearchVector("content", config=SEARCH_CONFIG)
# Ranking only: terms in a chunk's heading weigh more than terms in its body.
WEIGHTED_CHUNK = SearchVector("source_section", config=SEARCH_CONFIG, weight="A") + SearchVector(
    "content", config=SEARCH_CONFIG, weight="B"
)
HEADLINE_OPTIONS = {"max_words": 35, "min_words": 15, "max_fragments": 2}


class KnowledgeLevel(IntEnum):
    READER = 1
    EDITOR = 2


def knowledge_level(user) -> KnowledgeLevel:
    return KnowledgeLevel.EDITOR if user.is_staff else KnowledgeLevel.READER


def visible_documents(user) -> QuerySet[KnowledgeBaseDocument]:
    documents = KnowledgeBaseDocument.objects.all()
    return documents if user.is_staff else documents.filter(is_approved=True)


def document_chunks(document: KnowledgeBaseDocument) -> QuerySet[DocumentChunk]:
    return document.chunks.order_by("chunk_index")


def readable_chunks(user_id: UUID, project_id: UUID | None = None) -> QuerySet[DocumentChunk]:
    """Chunks of approved documents and of the projects the user can view;
    with ``project_id``, only that project's (404 if the user cannot view it)."""
    if project_id is not None:
        if access_level(user_id, project_id) is None:
            raise NotFound("No such project.")
        return DocumentChunk.objects.filter(project_id=project_id)
    approved = KnowledgeBaseDocument.objects.filter(is_approved=True).values("pk")
    return DocumentChunk.objects.filter(
        Q(document_id__in=approved, project__isnull=True)
        | Q(project_id__in=visible_projects(user_id).values("pk"))
    )


def search_chunks(
    *, user_id: UUID, query: str, project_id: UUID | None = None, limit: int
) -> QuerySet[DocumentChunk]:
    """The ``limit`` best chunks for ``query`` (websearch syntax: ``"a phrase"``,
    ``or``, ``-word``), best first, each with ``rank`` and a highlighted ``snippet``.

    The GIN index finds the matches; only they are ranked and highlighted.
    """
    search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return (
        readable_chunks(user_id, project_id)
        .alias(indexed=INDEXED_CONTENT)
        .filter(indexed=search)
        .annotate(
            rank=SearchRank(WEIGHTED_CHUNK, search, cover_density=True),
            snippet=SearchHeadline("content", search, config=SEARCH_CONFIG, **HEADLINE_OPTIONS),
            document_title=F("document__title"),
        )
        .only("id", "document_id", "project_id", "chunk_index", "source_section")
        .order_by("-rank", "id")[:limit]
    )
