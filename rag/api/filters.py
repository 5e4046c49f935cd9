from rag.models import KnowledgeBaseDocument
from socrates.api.filters import FilterSet


class DocumentFilter(FilterSet):
    class Meta:
        model = KnowledgeBaseDocument
        fields = ["category", "document_type", "is_approved"]
