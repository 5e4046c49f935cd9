"""Writes of the knowledge base. A document's chunks are rebuilt in the
transaction that changes its text, so a search never sees a document with
the chunks of another version of it."""

from collections.abc import Iterable
from uuid import UUID

from django.db import connections, router
from django.db.models import QuerySet
from django.utils import timezone

from collaboration.models import ActivityAction
from collaboration.services import ActivityContext, record_activity
from rag import selectors
from rag.chunking import Chunk, ChunkType, chunk_markdown, chunk_paragraphs
from rag.error_codes import RagErrorCode
from rag.models import DocumentChunk, KnowledgeBaseDocument
from socrates.db.models import one_or_none
from socrates.db.transactions import atomic_for
from socrates.errors import DomainError, NotFound
from specs.models import Project, Specification
from specs.selectors import current_specification

# About 1 MB of text; its chunks are built in memory within one request.
MAX_DOCUMENT_CHARS = 1_000_000
# A document of 1 MB of prose makes about 1,000 chunks of MAX_CHUNK_TOKENS;
# many more means a document of nothing but headings.
MAX_CHUNKS_PER_DOCUMENT = 2_000
INSERT_BATCH = 500

EDITABLE_DOCUMENT_FIELDS = frozenset(
    {
        "title",
        "content",
        "document_type",
        "category",
        "tags",
        "source",
        "is_approved",
        "relevance_score",
        "metadata",
    }
)
# The title names the section of the text before the first heading.
CHUNKED_FIELDS = ("title", "content")


# Documents --------------------------------------------------------------------------


def _refuse_fixed(fields: Iterable[str]) -> None:
    fixed = sorted(set(fields) - EDITABLE_DOCUMENT_FIELDS)
    if fixed:
        raise DomainError(f"{fixed[0]} cannot be changed here.", field=fixed[0])


def _chunks_of(title: str, content: str | None) -> list[Chunk]:
    if content and len(content) > MAX_DOCUMENT_CHARS:
        raise DomainError(
            f"A document's content is at most {MAX_DOCUMENT_CHARS} characters.",
            field="content",
            code=RagErrorCode.DOCUMENT_TOO_LARGE,
        )
    chunks = chunk_markdown(content or "", title=title)
    if len(chunks) > MAX_CHUNKS_PER_DOCUMENT:
        raise DomainError(
            f"This content makes {len(chunks)} chunks; a document makes at most "
            f"{MAX_CHUNKS_PER_DOCUMENT}.",
            field="content",
            code=RagErrorCode.DOCUMENT_TOO_LARGE,
        )
    return chunks


def _store_chunks(chunks: list[Chunk], **owner) -> None:
    DocumentChunk.objects.bulk_create(
        (
            DocumentChunk(
                chunk_index=index,
                content=chunk.content,
                chunk_type=chunk.chunk_type,
                source_section=chunk.source_section,
                tokens_count=chunk.tokens_count,
                **owner,
            )
            for index, chunk in enumerate(chunks)
        ),
        batch_size=INSERT_BATCH,
    )


def create_document(*, title: str, content: str | None = None, **fields) -> KnowledgeBaseDocument:
    _refuse_fixed(fields)
    chunks = _chunks_of(title, content)
    with atomic_for(KnowledgeBaseDocument):
        document = KnowledgeBaseDocument.objects.create(title=title, content=content, **fields)
        _store_chunks(chunks, document=document)
    return document


def update_document(*, document: KnowledgeBaseDocument, **changes) -> KnowledgeBaseDocument:
    """A change of title or content is the document's next version, re-chunked."""
    _refuse_fixed(changes)
    with atomic_for(KnowledgeBaseDocument):
        update_fields = [*changes, "updated_at"]
        if any(name in changes for name in CHUNKED_FIELDS):
            # The lock serialises re-chunkings of one document: each reads the
            # text as the one before left it, replaces its chunks whole, and
            # no version is skipped.
            locked = one_or_none(
                KnowledgeBaseDocument.objects.select_for_update()
                .filter(pk=document.pk)
                .values(*CHUNKED_FIELDS, "version")
            )
            if locked is None:
                raise NotFound("No such document.")
            text = {name: changes.get(name, locked[name]) for name in CHUNKED_FIELDS}
            if any(text[name] != locked[name] for name in CHUNKED_FIELDS):
                chunks = _chunks_of(**text)
                document.version = locked["version"] + 1
                update_fields.append("version")
                document.chunks.all().delete()
                _store_chunks(chunks, document=document)
        for name, value in changes.items():
            setattr(document, name, value)
        document.save(update_fields=update_fields)
    return document


def delete_document(*, document: KnowledgeBaseDocument) -> None:
    """The document and its chunks."""
    with atomic_for(KnowledgeBaseDocument):
        document.delete()


def approve_documents(*, documents: QuerySet[KnowledgeBaseDocument]) -> int:
    """Makes documents searchable by everyone; answers how many were not yet approved."""
    with atomic_for(KnowledgeBaseDocument):
        return documents.filter(is_approved=False).update(
            is_approved=True, updated_at=timezone.now()
        )


# A project's own knowledge ---------------------------------------------------------


def _specification_text(specification: Specification) -> str:
    heading = f"{specification.key}: {specification.value or ''}".strip()
    return f"{heading}\n{specification.content}" if specification.content else heading


def reindex_project_knowledge(*, context: ActivityContext, project: Project) -> int:
    """Replaces the project's chunks with its current specification, one
    section per category; answers the number of chunks."""
    with atomic_for(DocumentChunk):
        # Specification writers lock the project too: the chunks are built
        # from one consistent specification.
        Project.objects.select_for_update().filter(pk=project.pk).exists()
        chunks = [
            chunk
            for category, specifications in current_specification(project).items()
            for chunk in chunk_paragraphs(
                [_specification_text(specification) for specification in specifications],
                section=category,
                chunk_type=ChunkType.SPECIFICATION,
            )
        ]
        DocumentChunk.objects.filter(project=project, document__isnull=True).delete()
        _store_chunks(chunks, project=project)
        record_activity(
            context=context,
            action=ActivityAction.KNOWLEDGE_REINDEXED,
            resource_type="project",
            resource_id=project.pk,
            resource_name=project.name,
            changes={"project_id": str(project.pk), "chunks": len(chunks)},
        )
    return len(chunks)


# Search ------------------------------------------------------------------------------

# One statement for both counters. Rows are locked in id order first, so that
# concurrent searches returning the same chunks queue instead of deadlocking.
# Documents are locked before their chunks, as re-chunking a document does:
# one lock order, so a search and an edit of the same document cannot deadlock.
LOCK_HIT_DOCUMENTS_SQL = """
SELECT d.id FROM knowledge_base_documents d
WHERE d.id IN (SELECT document_id FROM document_chunks WHERE id = ANY(%(chunks)s::uuid[]))
ORDER BY d.id FOR UPDATE OF d
"""
RECORD_HITS_SQL = """
WITH locked AS (
    SELECT id FROM document_chunks WHERE id = ANY(%(chunks)s::uuid[]) ORDER BY id FOR UPDATE
), hits AS (
    UPDATE document_chunks c SET search_count = c.search_count + 1
    FROM locked WHERE c.id = locked.id
    RETURNING c.document_id
), per_document AS (
    SELECT document_id, count(*) AS hits FROM hits
    WHERE document_id IS NOT NULL GROUP BY document_id
)
UPDATE knowledge_base_documents d SET usage_count = d.usage_count + p.hits
FROM per_document p WHERE d.id = p.document_id
"""


def record_search_hits(*, chunk_ids: list[UUID]) -> None:
    """Each chunk found counts once in its ``search_count``, and once in its
    document's ``usage_count``."""
    if not chunk_ids:
        return
    database = router.db_for_write(DocumentChunk)
    with atomic_for(DocumentChunk), connections[database].cursor() as cursor:
        cursor.execute(LOCK_HIT_DOCUMENTS_SQL, {"chunks": list(chunk_ids)})
        cursor.execute(RECORD_HITS_SQL, {"chunks": list(chunk_ids)})


def search_knowledge(
    *, user_id: UUID, query: str, project_id: UUID | None = None, limit: int
) -> list[DocumentChunk]:
    """The best chunks for ``query`` that the user may read, counted as hits."""
    with atomic_for(DocumentChunk):
        hits = list(
            selectors.search_chunks(
                user_id=user_id, query=query, project_id=project_id, limit=limit
            )
        )
        record_search_hits(chunk_ids=[hit.pk for hit in hits])
    return hits
