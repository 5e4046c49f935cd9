from rest_framework import mixins

from collaboration import services
from collaboration.api.serializers import ShareChangeSerializer, ShareSerializer
from collaboration.models import ProjectShare
from socrates.api.viewsets import AccessCheckedViewSet
from specs.api.views import ProjectAccessMixin
from specs.selectors import AccessLevel


class ShareViewSet(
    ProjectAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AccessCheckedViewSet,
):
    """Who else may see and change a project: managed with admin access."""

    # The model for the schema; requests read get_queryset().
    queryset = ProjectShare.objects.none()
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    filterset_fields = ["permission_level", "access_type"]
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    required_levels = dict.fromkeys(
        ("list", "retrieve", "create", "partial_update", "destroy"), AccessLevel.ADMIN
    )

    def get_serializer_class(self):
        return ShareChangeSerializer if self.action == "partial_update" else ShareSerializer

    def get_queryset(self):
        return self.get_project().shares.all()

    def perform_create(self, serializer):
        serializer.instance = services.create_share(
            context=self.activity_context(), project=self.get_project(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_share(
            context=self.activity_context(), share=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_share(context=self.activity_context(), share=instance)
