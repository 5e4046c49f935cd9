from rest_framework import serializers

from rag.models import DocumentChunk, KnowledgeBaseDocument
from socrates.api.serializers import (
    LeanModelSerializer,
    ModelSerializer,
    QuerySerializer,
    Serializer,
)

# Counters and versions are the services' to move.
DOCUMENT_READ_ONLY = ["version", "usage_count", "created_at", "updated_at"]


class DocumentSummarySerializer(ModelSerializer):
    """A document without its content: lists stay small whatever documents hold."""

    class Meta:
        model = KnowledgeBaseDocument
        fields = [
            "id",
            "title",
            "document_type",
            "category",
            "tags",
            "source",
            "version",
            "is_approved",
            "relevance_score",
            "usage_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = DOCUMENT_READ_ONLY


class DocumentSerializer(DocumentSummarySerializer):
    class Meta(DocumentSummarySerializer.Meta):
        fields = [*DocumentSummarySerializer.Meta.fields, "content", "metadata"]
        extra_kwargs = {
            "title": {"min_length": 1},
            "relevance_score": {"min_value": 0.0, "max_value": 1.0},
        }


class ChunkSerializer(ModelSerializer):
    class Meta:
        model = DocumentChunk
        fields = [
            "id",
            "document",
            "chunk_index",
            "content",
            "chunk_type",
            "source_section",
            "tokens_count",
            "search_count",
        ]
        read_only_fields = fields


class SearchParametersSerializer(QuerySerializer):
    q = serializers.CharField(
        max_length=500,
        help_text='Web-search syntax: words, "a phrase", or, -excluded.',
    )
    project = serializers.UUIDField(
        required=False, help_text="Only this project's chunks (404 if you cannot view it)."
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class SearchHitSerializer(LeanModelSerializer):
    document_title = serializers.CharField(allow_null=True)
    rank = serializers.FloatField(help_text="Higher is better; terms in a heading weigh more.")
    snippet = serializers.CharField(help_text="The best passages, matches inside <b></b>.")

    class Meta:
        model = DocumentChunk
        fields = [
            "id",
            "document",
            "document_title",
            "project",
            "chunk_index",
            "source_section",
            "rank",
            "snippet",
        ]
        read_only_fields = fields


class ReindexResultSerializer(Serializer):
    chunks = serializers.IntegerField(
        read_only=True, help_text="How many chunks the project's knowledge now has."
    )
