from functools import cached_property

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.views import AdminViewMixin
from accounts.models import AdminPermission
from collaboration.services import ActivityContext
from socrates.api.pagination import ChronologicalCursorPagination, SmallListPagination
from socrates.api.renderers import JSONRenderer
from socrates.api.serializers import validated
from socrates.api.viewsets import AccessCheckedViewSet, ServiceWrites
from socrates.errors import NotFound
from specs import selectors, services
from specs.api.filters import (
    AnalyticsMetricFilter,
    ProjectFilter,
    QuestionEffectivenessFilter,
    SpecificationFilter,
)
from specs.api.renderers import MarkdownRenderer
from specs.api.serializers import (
    AnalyticsMetricSerializer,
    AnswerSerializer,
    BehaviorPatternSerializer,
    ConflictSerializer,
    ExportSerializer,
    GeneratedFileSerializer,
    GeneratedProjectSerializer,
    MessageSerializer,
    ProjectSerializer,
    QualityMetricSerializer,
    QualitySerializer,
    QuestionEffectivenessReadSerializer,
    QuestionEffectivenessSerializer,
    QuestionSerializer,
    ResolutionSerializer,
    SessionSerializer,
    SpecificationChangeSerializer,
    SpecificationSerializer,
    TransferSerializer,
)
from specs.models import (
    AnalyticsMetric,
    Conflict,
    ConversationMessage,
    GeneratedFile,
    GeneratedProject,
    Project,
    QualityMetric,
    Question,
    QuestionEffectiveness,
    Session,
    Specification,
    UserBehaviorPattern,
)
from specs.selectors import AccessLevel, AnalyticsLevel


class ProjectAccessMixin:
    """The project a request is about is found with the caller's access to it,
    in one query, once per request."""

    not_found_message = "No such project."
    project_lookup = "project_id"
    # A URL kwarg naming a session of the project, checked in the same query.
    session_lookup: str | None = None

    @cached_property
    def _project_and_level(self) -> tuple[Project | None, AccessLevel | None]:
        return selectors.project_with_access(
            self.request.user.pk,
            self.kwargs[self.project_lookup],
            session_id=self.kwargs.get(self.session_lookup) if self.session_lookup else None,
        )

    def access_level(self):
        return self._project_and_level[1]

    def get_project(self) -> Project:
        project, level = self._project_and_level
        if level is None:
            raise NotFound(self.not_found_message)
        return project

    def activity_context(self) -> ActivityContext:
        return ActivityContext.from_request(self.request)


class ProjectViewSet(
    ProjectAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AccessCheckedViewSet,
):
    """Projects the caller can see. DELETE archives; ``destroy/`` deletes for good."""

    serializer_class = ProjectSerializer
    pagination_class = SmallListPagination
    filterset_class = ProjectFilter
    search_fields = ["name"]
    # Orderings on indexed columns only.
    ordering_fields = ["created_at", "maturity_score"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    project_lookup = "pk"
    required_levels = {
        "list": None,
        "create": None,
        "retrieve": AccessLevel.VIEW,
        "update": AccessLevel.EDIT,
        "partial_update": AccessLevel.EDIT,
        "destroy": AccessLevel.OWNER,
        "restore": AccessLevel.OWNER,
        "purge": AccessLevel.OWNER,
        "transfer": AccessLevel.OWNER,
        "quality": AccessLevel.VIEW,
        "export": AccessLevel.VIEW,
    }

    def get_queryset(self):
        return selectors.visible_projects(self.request.user.pk)

    def get_object(self):
        # The access check of every detail action has loaded it.
        project = self.get_project()
        self.check_object_permissions(self.request, project)
        return project

    def perform_create(self, serializer):
        serializer.instance = services.create_project(
            context=self.activity_context(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_project(
            context=self.activity_context(),
            project=serializer.instance,
            **serializer.validated_data,
        )

    # Archiving answers the archived project, not an empty 204.
    @extend_schema(responses={200: ProjectSerializer})
    def destroy(self, request, *args, **kwargs):
        project = services.archive_project(
            context=self.activity_context(), project=self.get_object()
        )
        return Response(self.get_serializer(project).data)

    @extend_schema(request=None, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        project = services.restore_project(
            context=self.activity_context(), project=self.get_object()
        )
        return Response(self.get_serializer(project).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"], url_path="destroy")
    def purge(self, request, pk=None):
        services.destroy_project(context=self.activity_context(), project=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=TransferSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        project = services.transfer_project(
            context=self.activity_context(),
            project=self.get_object(),
            new_owner_id=validated(TransferSerializer, request)["user_id"],
        )
        return Response(self.get_serializer(project).data)

    @extend_schema(responses=QualitySerializer)
    @action(detail=True, methods=["get"])
    def quality(self, request, pk=None):
        return Response(QualitySerializer(selectors.project_quality(self.get_object())).data)

    @extend_schema(
        responses={
            (200, "text/markdown"): OpenApiTypes.STR,
            (200, "application/json"): ExportSerializer,
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[MarkdownRenderer, JSONRenderer])
    def export(self, request, pk=None):
        """The project's current specification as one document: Markdown by
        default, JSON with ``?format=json``."""
        project = self.get_object()
        document = {
            "project": project,
            "exported_at": timezone.now(),
            "categories": [
                {"category": category, "specifications": specifications}
                for category, specifications in selectors.current_specification(project).items()
            ],
        }
        return Response(ExportSerializer(document).data)


class SpecificationViewSet(
    ProjectAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    AccessCheckedViewSet,
):
    """A project's specification: the current version of each key (``?history=true``:
    every version). Writing a key, or changing a specification, adds a version."""

    # The model for the schema; requests read get_queryset().
    queryset = Specification.objects.none()
    serializer_class = SpecificationSerializer
    filterset_class = SpecificationFilter
    search_fields = ["key", "value"]
    ordering_fields = ["key", "created_at"]
    ordering = ["key", "-version"]
    lookup_value_converter = "uuid"
    # A change is a new version of what it names: PATCH only, no PUT.
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_levels = {
        "list": AccessLevel.VIEW,
        "retrieve": AccessLevel.VIEW,
        "create": AccessLevel.EDIT,
        "partial_update": AccessLevel.EDIT,
    }

    def get_queryset(self):
        # Current versions only unless ?history=true (SpecificationFilter), in
        # lists; any version is found by its id.
        return self.get_project().specifications.all()

    def perform_create(self, serializer):
        serializer.instance = services.write_specification(
            context=self.activity_context(), project=self.get_project(), **serializer.validated_data
        )

    def get_serializer_class(self):
        if self.action == "partial_update":
            return SpecificationChangeSerializer
        return SpecificationSerializer

    def perform_update(self, serializer):
        serializer.instance = services.change_specification(
            context=self.activity_context(),
            specification=serializer.instance,
            **serializer.validated_data,
        )


class SessionViewSet(
    ProjectAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    AccessCheckedViewSet,
):
    """A project's guided-question sessions; ``end/`` completes one."""

    queryset = Session.objects.none()
    serializer_class = SessionSerializer
    filterset_fields = ["status", "mode"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_levels = {
        "list": AccessLevel.VIEW,
        "retrieve": AccessLevel.VIEW,
        "create": AccessLevel.EDIT,
        "partial_update": AccessLevel.EDIT,
        "end": AccessLevel.EDIT,
    }

    def get_queryset(self):
        return Session.objects.filter(project_id=self.kwargs["project_id"])

    def perform_create(self, serializer):
        serializer.instance = services.start_session(
            context=self.activity_context(), project=self.get_project(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_session(
            session=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=None, responses=SessionSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, project_id=None, pk=None):
        return Response(self.get_serializer(services.end_session(session=self.get_object())).data)


class MessageViewSet(
    ProjectAccessMixin, mixins.ListModelMixin, mixins.CreateModelMixin, AccessCheckedViewSet
):
    """A session's conversation, oldest first, paged by cursor."""

    queryset = ConversationMessage.objects.none()
    serializer_class = MessageSerializer
    pagination_class = ChronologicalCursorPagination
    filter_backends = []
    required_levels = {"list": AccessLevel.VIEW, "create": AccessLevel.EDIT}
    session_lookup = "session_id"

    def get_session_id(self):
        if not self.get_project().has_session:
            raise NotFound("No such session.")
        return self.kwargs[self.session_lookup]

    def get_session(self) -> Session:
        return get_object_or_404(Session, pk=self.get_session_id())

    def get_queryset(self):
        return selectors.conversation(self.get_session_id())

    def perform_create(self, serializer):
        serializer.instance = services.post_message(
            session=self.get_session(), **serializer.validated_data
        )


class ProjectItemViewSet(
    ProjectAccessMixin,
    ServiceWrites,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    AccessCheckedViewSet,
):
    """Items of a project that editors write and viewers read."""

    lookup_value_converter = "uuid"
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_levels = {
        "list": AccessLevel.VIEW,
        "retrieve": AccessLevel.VIEW,
        "create": AccessLevel.EDIT,
        "partial_update": AccessLevel.EDIT,
    }

    def get_queryset(self):
        return self.queryset.model.objects.filter(project_id=self.kwargs["project_id"])

    def write_context(self) -> dict:
        return {"project": self.get_project()}


class QuestionViewSet(ProjectItemViewSet):
    """A project's questions; ``answer/`` records an answer."""

    queryset = Question.objects.none()
    serializer_class = QuestionSerializer
    filterset_fields = ["status", "priority", "category", "session"]
    search_fields = ["text"]
    required_levels = {**ProjectItemViewSet.required_levels, "answer": AccessLevel.EDIT}

    create_service = staticmethod(services.create_question)
    update_service = staticmethod(services.update_question)
    instance_keyword = "question"

    @extend_schema(request=AnswerSerializer, responses=QuestionSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, project_id=None, pk=None):
        question = services.answer_question(
            question=self.get_object(), answer=validated(AnswerSerializer, request)["answer"]
        )
        return Response(self.get_serializer(question).data)


class ConflictViewSet(ProjectItemViewSet):
    """Contradictions found in a project's specification; ``resolve/`` settles one."""

    queryset = Conflict.objects.none()
    serializer_class = ConflictSerializer
    filterset_fields = ["status", "severity", "type"]
    search_fields = ["title"]
    required_levels = {**ProjectItemViewSet.required_levels, "resolve": AccessLevel.EDIT}

    create_service = staticmethod(services.create_conflict)
    update_service = staticmethod(services.update_conflict)
    instance_keyword = "conflict"

    @extend_schema(request=ResolutionSerializer, responses=ConflictSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, project_id=None, pk=None):
        conflict = services.resolve_conflict(
            conflict=self.get_object(),
            resolution=validated(ResolutionSerializer, request)["resolution"],
        )
        return Response(self.get_serializer(conflict).data)


class GeneratedProjectViewSet(ProjectItemViewSet, mixins.DestroyModelMixin):
    """Code generated from a project's specification; its files are listed apart."""

    queryset = GeneratedProject.objects.none()
    serializer_class = GeneratedProjectSerializer
    filterset_fields = ["status", "language", "framework"]
    search_fields = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required_levels = {**ProjectItemViewSet.required_levels, "destroy": AccessLevel.EDIT}

    create_service = staticmethod(services.create_generated_project)
    update_service = staticmethod(services.update_generated_project)
    destroy_service = staticmethod(services.delete_generated_project)
    instance_keyword = "generated"


class GeneratedFileViewSet(ProjectItemViewSet, mixins.DestroyModelMixin):
    """The files of one generated project."""

    queryset = GeneratedFile.objects.none()
    serializer_class = GeneratedFileSerializer
    filterset_fields = ["status", "file_type"]
    search_fields = ["path"]
    ordering_fields = ["path", "created_at"]
    ordering = ["path"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required_levels = {**ProjectItemViewSet.required_levels, "destroy": AccessLevel.EDIT}

    def get_generated_project(self) -> GeneratedProject:
        return get_object_or_404(
            GeneratedProject,
            pk=self.kwargs["generated_project_id"],
            project_id=self.kwargs["project_id"],
        )

    def get_queryset(self):
        return GeneratedFile.objects.filter(generated_project=self.get_generated_project())

    create_service = staticmethod(services.add_generated_file)
    update_service = staticmethod(services.update_generated_file)
    destroy_service = staticmethod(services.delete_generated_file)
    instance_keyword = "generated_file"

    def write_context(self) -> dict:
        return {"generated": self.get_generated_project()}


class QualityMetricViewSet(ProjectItemViewSet, mixins.DestroyModelMixin):
    """Measurements of a project's quality, as recorded."""

    queryset = QualityMetric.objects.none()
    serializer_class = QualityMetricSerializer
    filterset_fields = ["metric_name", "metric_type"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    required_levels = {
        "list": AccessLevel.VIEW,
        "retrieve": AccessLevel.VIEW,
        "create": AccessLevel.EDIT,
        "destroy": AccessLevel.EDIT,
    }

    create_service = staticmethod(services.record_quality_metric)
    destroy_service = staticmethod(services.delete_quality_metric)
    instance_keyword = "metric"


# Analytics --------------------------------------------------------------------------


class AnalyticsMetricViewSet(AdminViewMixin, viewsets.ReadOnlyModelViewSet):
    """Usage metrics, for admins holding metrics_view. Read-only here: the rows
    are written by the jobs that compute them."""

    queryset = AnalyticsMetric.objects.all()
    serializer_class = AnalyticsMetricSerializer
    filterset_class = AnalyticsMetricFilter
    ordering_fields = ["created_at", "period_start"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    required_permissions = dict.fromkeys(("list", "retrieve"), AdminPermission.METRICS_VIEW)


class QuestionEffectivenessViewSet(
    ServiceWrites,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AccessCheckedViewSet,
):
    """How well questions work: anyone signed in reads, staff write."""

    # The model for the schema; requests read get_queryset().
    queryset = QuestionEffectiveness.objects.none()
    filterset_class = QuestionEffectivenessFilter
    ordering_fields = ["effectiveness_score", "created_at"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required_levels = {
        "list": None,
        "retrieve": None,
        "create": AnalyticsLevel.STAFF,
        "partial_update": AnalyticsLevel.STAFF,
        "destroy": AnalyticsLevel.STAFF,
    }

    def access_level(self):
        return selectors.analytics_level(self.request.user)

    def get_queryset(self):
        return selectors.question_effectiveness_for(self.request.user)

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return QuestionEffectivenessReadSerializer
        return QuestionEffectivenessSerializer

    create_service = staticmethod(services.record_question_effectiveness)
    update_service = staticmethod(services.update_question_effectiveness)
    destroy_service = staticmethod(services.delete_question_effectiveness)
    instance_keyword = "effectiveness"


class BehaviorPatternViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, AccessCheckedViewSet
):
    """Patterns observed in how people use Socrates: your own, or everyone's
    for admins holding metrics_view. Read-only: the rows are written by the
    jobs that observe them."""

    queryset = UserBehaviorPattern.objects.none()
    serializer_class = BehaviorPatternSerializer
    filterset_fields = ["user_id", "pattern_type"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    # Someone else's pattern is simply not found.
    required_levels = {"list": None, "retrieve": None}

    def get_queryset(self):
        return selectors.behavior_patterns_for(self.request.user)
