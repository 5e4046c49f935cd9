"""The knowledge base and the text chunks searched to ground answers (database ``specs``)."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models

from socrates.db.models import (
    UNBOUNDED_VARCHAR,
    TimestampedModel,
    defaults,
    indexes_on,
    json_field,
    varchar_array,
)
from specs.models import Project


class KnowledgeBaseDocument(TimestampedModel):
    title = models.CharField(max_length=255)
    content = models.TextField(null=True, blank=True)
    document_type = models.CharField(max_length=100, null=True, blank=True)
    category = models.CharField(max_length=100, null=True, blank=True)
    tags = varchar_array()
    source = models.CharField(max_length=255, null=True, blank=True)
    version = models.IntegerField(**defaults(1))
    is_approved = models.BooleanField(**defaults(False))
    relevance_score = models.FloatField(null=True, blank=True)
    usage_count = models.IntegerField(**defaults(0))
    metadata = json_field()

    class Meta:
        db_table = "knowledge_base_documents"
        required_db_features = UNBOUNDED_VARCHAR
        indexes = indexes_on("category", "created_at", "document_type", "is_approved", "title")

    def __str__(self):
        return self.title


class DocumentChunk(TimestampedModel):
    """A piece of a knowledge-base document, in order from ``chunk_index`` 0;
    ``project`` lets a search be limited to one project."""

    document = models.ForeignKey(
        KnowledgeBaseDocument,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chunks",
        db_index=False,
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="document_chunks",
        db_index=False,
    )
    chunk_index = models.IntegerField()
    content = models.TextField()
    chunk_type = models.CharField(max_length=50, null=True, blank=True)
    source_section = models.CharField(max_length=255, null=True, blank=True)
    tokens_count = models.IntegerField(null=True, blank=True)
    # The vector lives in an external store; this is its id there.
    embedding_id = models.CharField(max_length=255, null=True, blank=True)
    has_embedding = models.BooleanField(**defaults(False))
    relevance_score = models.FloatField(null=True, blank=True)
    search_count = models.IntegerField(**defaults(0))
    metadata = json_field()

    class Meta:
        db_table = "document_chunks"
        indexes = [
            *indexes_on(
                "chunk_type", "created_at", "document", "has_embedding", "project", "search_count"
            ),
            # Full-text search over the chunks.
            GinIndex(SearchVector("content", config="english"), name="ix_chunks_content_fts"),
        ]
