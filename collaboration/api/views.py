from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from collaboration import selectors, services
from collaboration.api.serializers import (
    ActivitySerializer,
    InvitationSerializer,
    InvitationTokenSerializer,
    IssuedInvitationSerializer,
    MemberAdditionSerializer,
    NotificationPreferenceSerializer,
    ShareChangeSerializer,
    ShareSerializer,
    TeamMemberSerializer,
    TeamSerializer,
)
from collaboration.models import (
    ActivityLog,
    NotificationPreference,
    ProjectInvitation,
    ProjectShare,
    Team,
    TeamMember,
)
from collaboration.selectors import TeamLevel
from socrates.api.pagination import NewestFirstCursorPagination
from socrates.api.schema import ErrorSerializer
from socrates.api.serializers import validated
from socrates.api.viewsets import AccessCheckedViewSet, ServiceWrites
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
        ("list", "retrieve", "create", "partial_update", "destroy"), selectors.SHARES_LEVEL
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


class TeamAccessMixin:
    not_found_message = "No such team."
    team_lookup = "team_id"

    def access_level(self):
        return selectors.team_level(self.request.user.pk, self.kwargs[self.team_lookup])

    def activity_context(self) -> services.ActivityContext:
        return services.ActivityContext.from_request(self.request)


class TeamViewSet(
    TeamAccessMixin,
    ServiceWrites,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    AccessCheckedViewSet,
):
    """The teams you are an active member of; a team you create is yours."""

    serializer_class = TeamSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    lookup_value_converter = "uuid"
    team_lookup = "pk"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_levels = {
        "list": None,
        "create": None,
        "retrieve": TeamLevel.VIEWER,
        "partial_update": TeamLevel.ADMIN,
    }

    def get_queryset(self):
        return selectors.teams_of(self.request.user.pk)

    create_service = staticmethod(services.create_team)
    update_service = staticmethod(services.update_team)
    instance_keyword = "team"

    def write_context(self) -> dict:
        return {"context": self.activity_context()}


class TeamMemberViewSet(
    TeamAccessMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    AccessCheckedViewSet,
):
    """A team's members: its admins add and remove them; anyone may leave."""

    queryset = TeamMember.objects.none()
    serializer_class = TeamMemberSerializer
    ordering_fields = ["created_at", "role"]
    ordering = ["created_at"]
    lookup_value_converter = "uuid"
    required_levels = {
        "list": TeamLevel.VIEWER,
        "create": TeamLevel.ADMIN,
        # Admins remove anyone, members themselves (collaboration.services).
        "destroy": TeamLevel.VIEWER,
    }

    def get_queryset(self):
        return TeamMember.objects.filter(team_id=self.kwargs["team_id"]).select_related("team")

    @extend_schema(request=MemberAdditionSerializer, responses={201: TeamMemberSerializer})
    def create(self, request, *args, **kwargs):
        member = services.add_member(
            context=self.activity_context(),
            team=get_object_or_404(Team, pk=self.kwargs["team_id"]),
            **validated(MemberAdditionSerializer, request),
        )
        return Response(TeamMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.remove_member(
            member=instance, actor_id=self.request.user.pk, actor_level=self.access_level()
        )


class NotificationPreferenceViewSet(
    ServiceWrites,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    AccessCheckedViewSet,
):
    """Your own notification preferences, one per notification type."""

    queryset = NotificationPreference.objects.none()
    serializer_class = NotificationPreferenceSerializer
    filterset_fields = ["notification_type", "frequency"]
    ordering_fields = ["notification_type", "created_at"]
    ordering = ["notification_type"]
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    # Everyone's own rows only: another user's preference is simply not found.
    required_levels = dict.fromkeys(
        ("list", "retrieve", "create", "partial_update", "destroy"), None
    )

    def get_queryset(self):
        return NotificationPreference.objects.filter(user_id=self.request.user.pk)

    create_service = staticmethod(services.create_notification_preference)
    update_service = staticmethod(services.update_notification_preference)
    destroy_service = staticmethod(services.delete_notification_preference)
    instance_keyword = "preference"

    def write_context(self) -> dict:
        return {"user_id": self.request.user.pk}


class ProjectInvitationViewSet(
    ProjectAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    AccessCheckedViewSet,
):
    """Invitations to a project, managed with admin access; ``revoke/`` withdraws one."""

    queryset = ProjectInvitation.objects.none()
    serializer_class = InvitationSerializer
    filterset_fields = ["status", "role"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    required_levels = dict.fromkeys(
        ("list", "retrieve", "create", "revoke"), selectors.SHARES_LEVEL
    )

    def get_queryset(self):
        return ProjectInvitation.objects.filter(project_id=self.kwargs["project_id"])

    @extend_schema(request=InvitationSerializer, responses={201: IssuedInvitationSerializer})
    def create(self, request, *args, **kwargs):
        issued = services.invite(
            context=self.activity_context(),
            project=self.get_project(),
            **validated(InvitationSerializer, request),
        )
        body = IssuedInvitationSerializer(issued.invitation).data | {"token": issued.token}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, project_id=None, pk=None):
        invitation = services.revoke_invitation(
            context=self.activity_context(), invitation=self.get_object()
        )
        return Response(self.get_serializer(invitation).data)


class MyInvitationViewSet(mixins.ListModelMixin, AccessCheckedViewSet):
    """Pending invitations addressed to you (by user id or by e-mail);
    ``accept/`` and ``decline/`` take the token you were sent."""

    queryset = ProjectInvitation.objects.none()
    serializer_class = InvitationSerializer
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    required_levels = dict.fromkeys(("list", "accept", "decline"), None)

    def get_queryset(self):
        return selectors.pending_invitations_for(self.request.user)

    def _token(self) -> str:
        return validated(InvitationTokenSerializer, self.request)["token"]

    @extend_schema(
        request=InvitationTokenSerializer, responses={200: ShareSerializer, 404: ErrorSerializer}
    )
    @action(detail=False, methods=["post"])
    def accept(self, request):
        share = services.accept_invitation(
            context=services.ActivityContext.from_request(request),
            user=request.user,
            token=self._token(),
        )
        return Response(ShareSerializer(share).data)

    @extend_schema(
        request=InvitationTokenSerializer,
        responses={200: InvitationSerializer, 404: ErrorSerializer},
    )
    @action(detail=False, methods=["post"])
    def decline(self, request):
        invitation = services.decline_invitation(
            context=services.ActivityContext.from_request(request),
            user=request.user,
            token=self._token(),
        )
        return Response(InvitationSerializer(invitation).data)


class MyActivityViewSet(mixins.ListModelMixin, AccessCheckedViewSet):
    """What you did, newest first, paged by cursor."""

    queryset = ActivityLog.objects.none()
    serializer_class = ActivitySerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends = []
    required_levels = {"list": None}

    def get_queryset(self):
        return selectors.user_activity(self.request.user.pk)


class ProjectActivityViewSet(ProjectAccessMixin, mixins.ListModelMixin, AccessCheckedViewSet):
    """Everything that happened in a project, newest first, paged by cursor."""

    queryset = ActivityLog.objects.none()
    serializer_class = ActivitySerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends = []
    required_levels = {"list": AccessLevel.VIEW}

    def get_queryset(self):
        return selectors.project_activity(self.kwargs["project_id"], level=self.access_level())
