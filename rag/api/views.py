from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from rag import selectors, services
from rag.api.filters import DocumentFilter
from rag.api.serializers import (
    ChunkSerializer,
    DocumentSerializer,
    DocumentSummarySerializer,
    ReindexResultSerializer,
    SearchHitSerializer,
    SearchParametersSerializer,
)
from rag.models import DocumentChunk, KnowledgeBaseDocument
from rag.selectors import KnowledgeLevel
from socrates.api.schema import ErrorSerializer
from socrates.api.viewsets import AccessCheckedViewSet, ServiceWrites
from specs.api.views import ProjectAccessMixin
from specs.selectors import AccessLevel


class KnowledgeAccessMixin:
    def access_level(self):
        return selectors.knowledge_level(self.request.user)


class DocumentViewSet(
    KnowledgeAccessMixin,
    ServiceWrites,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AccessCheckedViewSet,
):
    """The knowledge base: approved documents for everyone, every document for
    staff, who alone write them. Lists leave out each document's content."""

    queryset = KnowledgeBaseDocument.objects.none()
    filterset_class = DocumentFilter
    search_fields = ["title"]
    ordering_fields = ["created_at", "title"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    required_levels = {
        "list": None,
        "retrieve": None,
        "create": KnowledgeLevel.EDITOR,
        "update": KnowledgeLevel.EDITOR,
        "partial_update": KnowledgeLevel.EDITOR,
        "destroy": KnowledgeLevel.EDITOR,
    }

    def get_serializer_class(self):
        return DocumentSummarySerializer if self.action == "list" else DocumentSerializer

    def get_queryset(self):
        return selectors.visible_documents(self.request.user)

    create_service = staticmethod(services.create_document)
    update_service = staticmethod(services.update_document)
    destroy_service = staticmethod(services.delete_document)
    instance_keyword = "document"


class DocumentChunkViewSet(mixins.ListModelMixin, AccessCheckedViewSet):
    """A readable document's chunks, in order. Chunks are written only by
    re-chunking their document."""

    queryset = DocumentChunk.objects.none()
    serializer_class = ChunkSerializer
    filter_backends = []
    required_levels = {"list": None}

    def get_queryset(self):
        document = get_object_or_404(
            selectors.visible_documents(self.request.user), pk=self.kwargs["document_id"]
        )
        return selectors.document_chunks(document)


class KnowledgeSearchViewSet(AccessCheckedViewSet):
    """Full-text search over the chunks you may read: approved documents and
    your projects' knowledge. Each chunk returned counts as a hit."""

    queryset = DocumentChunk.objects.none()
    serializer_class = SearchHitSerializer
    pagination_class = None
    filter_backends = []
    required_levels = {"list": None}

    @extend_schema(
        parameters=[SearchParametersSerializer],
        responses={200: SearchHitSerializer(many=True), 404: ErrorSerializer},
    )
    def list(self, request):
        parameters = SearchParametersSerializer(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        hits = services.search_knowledge(
            user_id=request.user.pk,
            query=parameters.validated_data["q"],
            project_id=parameters.validated_data.get("project"),
            limit=parameters.validated_data["limit"],
        )
        return Response(self.get_serializer(hits, many=True).data)


class ProjectKnowledgeViewSet(ProjectAccessMixin, AccessCheckedViewSet):
    """A project's own knowledge: its current specification, searchable."""

    queryset = DocumentChunk.objects.none()
    serializer_class = ReindexResultSerializer
    required_levels = {"reindex": AccessLevel.EDIT}

    @extend_schema(request=None, responses=ReindexResultSerializer)
    @action(detail=False, methods=["post"])
    def reindex(self, request, project_id=None):
        """Rebuilds the project's chunks from its current specification."""
        chunks = services.reindex_project_knowledge(
            context=self.activity_context(), project=self.get_project()
        )
        return Response(ReindexResultSerializer({"chunks": chunks}).data)
