"""The knowledge-base search (rag/selectors.py search_chunks) and its hit
counters (rag/services.py record_search_hits), in SQLAlchemy."""

import uuid

from sqlalchemy import and_, func, literal_column, or_, select, update
from sqlalchemy.orm import Session, aliased

from bench.peers.legacy.access import visible_project_ids
from bench.peers.legacy.models import DocumentChunk, KnowledgeBaseDocument, Project

ENGLISH = literal_column("'english'::regconfig")
HEADLINE_OPTIONS = "MaxWords=35, MinWords=15, MaxFragments=2"


def _vector(column):
    return func.to_tsvector(ENGLISH, func.coalesce(column, ""))


def readable_chunks(user_id: uuid.UUID, project_id: uuid.UUID | None):
    """Chunks of approved documents and of the projects the user can view
    (with ``project_id``, that project's only: its access is checked first)."""
    if project_id is not None:
        return DocumentChunk.project_id == project_id
    approved, visible = aliased(KnowledgeBaseDocument), aliased(Project)
    return or_(
        and_(
            DocumentChunk.document_id.in_(select(approved.id).where(approved.is_approved)),
            DocumentChunk.project_id.is_(None),
        ),
        DocumentChunk.project_id.in_(
            select(visible.id).where(visible.id.in_(visible_project_ids(user_id)))
        ),
    )


def search_chunks(
    db: Session, *, user_id: uuid.UUID, query: str, project_id: uuid.UUID | None, limit: int
):
    """The best chunks for ``query`` (websearch syntax), best first. The filter
    is the expression of the GIN index ix_chunks_content_fts; ranking weighs
    a chunk's heading (A) over its body (B)."""
    search = func.websearch_to_tsquery(ENGLISH, query)
    weighted = func.setweight(_vector(DocumentChunk.source_section), "A").op("||")(
        func.setweight(_vector(DocumentChunk.content), "B")
    )
    rank = func.ts_rank_cd(weighted, search).label("rank")
    statement = (
        select(
            DocumentChunk.id,
            DocumentChunk.document_id,
            DocumentChunk.project_id,
            DocumentChunk.chunk_index,
            DocumentChunk.source_section,
            rank,
            func.ts_headline(ENGLISH, DocumentChunk.content, search, HEADLINE_OPTIONS).label(
                "snippet"
            ),
            KnowledgeBaseDocument.title.label("document_title"),
        )
        .outerjoin(KnowledgeBaseDocument, DocumentChunk.document_id == KnowledgeBaseDocument.id)
        .where(
            readable_chunks(user_id, project_id), _vector(DocumentChunk.content).op("@@")(search)
        )
        .order_by(rank.desc(), DocumentChunk.id)
        .limit(limit)
    )
    return db.execute(statement).all()


def record_search_hits(db: Session, chunk_ids: list[uuid.UUID]) -> None:
    """Each chunk found counts once in its ``search_count`` and once in its
    document's ``usage_count``. Documents are locked first, then chunks, both
    in id order: the lock order of re-chunking a document, so no deadlock."""
    if not chunk_ids:
        return
    # The project writes these in their own atomic block, inside the search's
    # transaction: a savepoint, mirrored so both send the same statements.
    with db.begin_nested():
        hit_documents = select(DocumentChunk.document_id).where(DocumentChunk.id.in_(chunk_ids))
        db.execute(
            select(KnowledgeBaseDocument.id)
            .where(KnowledgeBaseDocument.id.in_(hit_documents))
            .order_by(KnowledgeBaseDocument.id)
            .with_for_update(of=KnowledgeBaseDocument)
        )
        locked = (
            select(DocumentChunk.id)
            .where(DocumentChunk.id.in_(chunk_ids))
            .order_by(DocumentChunk.id)
            .with_for_update()
            .cte("locked")
        )
        chunk = aliased(DocumentChunk, name="c")
        hits = (
            update(chunk)
            .where(chunk.id == locked.c.id)
            .values(search_count=chunk.search_count + 1)
            .returning(chunk.document_id)
            .cte("hits")
        )
        per_document = (
            select(hits.c.document_id, func.count().label("hits"))
            .where(hits.c.document_id.is_not(None))
            .group_by(hits.c.document_id)
            .cte("per_document")
        )
        db.execute(
            update(KnowledgeBaseDocument)
            .where(KnowledgeBaseDocument.id == per_document.c.document_id)
            .values(usage_count=KnowledgeBaseDocument.usage_count + per_document.c.hits),
            execution_options={"synchronize_session": False},
        )
