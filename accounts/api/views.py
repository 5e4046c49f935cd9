from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, routers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import services
from accounts.api.filters import AuditLogFilter, UserFilter
from accounts.api.permissions import HasAdminPermission, HoldsAnAdminRole
from accounts.api.serializers import (
    AdminRoleSerializer,
    AdminUserSerializer,
    AuditLogSerializer,
    ChangePasswordSerializer,
    GrantResultSerializer,
    GrantSerializer,
    LoginSerializer,
    PasswordConfirmationSerializer,
    ProfileSerializer,
    ReasonSerializer,
    RefreshSerializer,
    RegisterSerializer,
    TokenPairSerializer,
)
from accounts.models import (
    ROLE_NAME_PATTERN,
    AdminAuditLog,
    AdminPermission,
    AdminRole,
    AdminUser,
    User,
)
from accounts.throttles import LOGIN_THROTTLES, PASSWORD_CHECK_THROTTLES
from socrates.api.serializers import validated
from socrates.errors import NotFound


def token_response(pair: services.TokenPair, status_code=status.HTTP_200_OK) -> Response:
    return Response(TokenPairSerializer(pair).data, status=status_code)


# Own account --------------------------------------------------------------------


class RegisterView(generics.CreateAPIView):
    serializer_class = RegisterSerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    def perform_create(self, serializer):
        serializer.instance = services.register_user(**serializer.validated_data)


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = LOGIN_THROTTLES
    throttle_scope = "login"
    login_field = "login"

    @extend_schema(request=LoginSerializer, responses=TokenPairSerializer)
    def post(self, request):
        data = validated(LoginSerializer, request)
        user = services.authenticate(login=data["login"], password=data["password"])
        return token_response(services.issue_tokens(user=user))


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "refresh"

    @extend_schema(request=RefreshSerializer, responses=TokenPairSerializer)
    def post(self, request):
        data = validated(RefreshSerializer, request)
        return token_response(services.rotate_refresh_token(token=data["refresh"]))


class LogoutView(APIView):
    # Holding the refresh token is the proof: an expired access token must
    # not stop anyone from signing out.
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=RefreshSerializer, responses={204: None})
    def post(self, request):
        services.revoke_refresh_token(token=validated(RefreshSerializer, request)["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.sign_out_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = ProfileSerializer

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        serializer.instance = services.update_profile(
            user=serializer.instance, **serializer.validated_data
        )


class ChangePasswordView(APIView):
    throttle_classes = PASSWORD_CHECK_THROTTLES

    @extend_schema(request=ChangePasswordSerializer, responses={204: None})
    def post(self, request):
        data = validated(ChangePasswordSerializer, request)
        services.change_password(
            user=request.user,
            current_password=data["current_password"],
            new_password=data["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeleteAccountView(APIView):
    throttle_classes = PASSWORD_CHECK_THROTTLES

    @extend_schema(request=PasswordConfirmationSerializer, responses={204: None})
    def post(self, request):
        data = validated(PasswordConfirmationSerializer, request)
        services.delete_own_account(user=request.user, password=data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# Admin ------------------------------------------------------------------------------


class AdminApiRootView(routers.APIRootView):
    """The admin API's endpoints, listed to those holding an admin role (the
    endpoints themselves each need their own code)."""

    permission_classes = [HoldsAnAdminRole]


class AdminViewMixin:
    permission_classes = [HasAdminPermission]

    def audit_context(self) -> services.AuditContext:
        return services.AuditContext.from_request(self.request)


class AdminUserViewSet(
    AdminViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AdminUserSerializer
    filterset_class = UserFilter
    search_fields = ["email", "username", "name", "surname"]
    ordering_fields = ["created_at", "email", "username"]
    ordering = ["-created_at"]
    required_permissions = {
        "list": AdminPermission.USERS_VIEW,
        "retrieve": AdminPermission.USERS_VIEW,
        "suspend": AdminPermission.USERS_SUSPEND,
        "activate": AdminPermission.USERS_SUSPEND,
        "destroy": AdminPermission.USERS_DELETE,
        "grant_role": AdminPermission.ADMIN_ROLES_MANAGE,
        "revoke_role": AdminPermission.ADMIN_ROLES_MANAGE,
    }

    def get_queryset(self):
        active_grants = AdminUser.objects.active().select_related("role")
        return User.objects.prefetch_related(
            Prefetch("admin_grants", queryset=active_grants, to_attr="active_grants")
        )

    def perform_destroy(self, instance):
        services.delete_user(context=self.audit_context(), user=instance)

    def _respond_with(self, user) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=user.pk)).data)

    @extend_schema(request=ReasonSerializer, responses=AdminUserSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        reason = validated(ReasonSerializer, request).get("reason", "")
        return self._respond_with(
            services.suspend_user(
                context=self.audit_context(), user=self.get_object(), reason=reason
            )
        )

    @extend_schema(request=ReasonSerializer, responses=AdminUserSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        reason = validated(ReasonSerializer, request).get("reason", "")
        return self._respond_with(
            services.activate_user(
                context=self.audit_context(), user=self.get_object(), reason=reason
            )
        )

    @extend_schema(request=GrantSerializer, responses={201: GrantResultSerializer})
    @action(detail=True, methods=["post"], url_path="roles")
    def grant_role(self, request, pk=None):
        data = validated(GrantSerializer, request)
        grant = services.grant_role(
            context=self.audit_context(),
            user=self.get_object(),
            role=data["role"],
            reason=data.get("reason", ""),
        )
        return Response(GrantResultSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=f"roles/(?P<role_name>{ROLE_NAME_PATTERN})")
    def revoke_role(self, request, pk=None, role_name=None):
        role = AdminRole.objects.filter(name=role_name).first()
        if role is None:
            raise NotFound(f"No admin role named {role_name}.")
        services.revoke_role(context=self.audit_context(), user=self.get_object(), role=role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminRoleViewSet(
    AdminViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = AdminRole.objects.order_by("name")
    serializer_class = AdminRoleSerializer
    required_permissions = dict.fromkeys(
        ("list", "retrieve", "create", "update", "partial_update"),
        AdminPermission.ADMIN_ROLES_MANAGE,
    )

    def perform_create(self, serializer):
        serializer.instance = services.create_role(
            context=self.audit_context(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_role(
            context=self.audit_context(), role=serializer.instance, **serializer.validated_data
        )


class AuditLogViewSet(AdminViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = AdminAuditLog.objects.order_by("-created_at")
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilter
    ordering_fields = ["created_at"]
    required_permissions = dict.fromkeys(("list", "retrieve"), AdminPermission.AUDIT_LOG_VIEW)
