from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import AdminAuditLog, AdminPermission, AdminRole, AdminUser, User
from accounts.services import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, validate_new_password
from socrates.api.serializers import ModelSerializer, Serializer


class PasswordField(serializers.CharField):
    """A password as typed: never trimmed, never echoed, bounded in length."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        super().__init__(
            write_only=True, trim_whitespace=False, style={"input_type": "password"}, **kwargs
        )


def new_password_field() -> PasswordField:
    # The minimum is also checked by Django's validators; here it reaches the schema.
    return PasswordField(min_length=PASSWORD_MIN_LENGTH)


class ProfileSerializer(ModelSerializer):
    """A user as they see themselves; never the password hash."""

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "name",
            "surname",
            "role",
            "status",
            "is_verified",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "role", "status", "is_verified", "created_at", "updated_at"]
        # Legacy rows may lack a username; nobody may set it to nothing.
        extra_kwargs = {"username": {"allow_null": False, "allow_blank": False}}

    def validate_email(self, value):
        return _unique_email(value, self.instance)

    def validate_username(self, value):
        return _unique_ignoring_case("username", value, self.instance)


def _unique_email(value: str, instance: User | None) -> str:
    return _unique_ignoring_case("email", User.objects.normalize_email(value), instance)


def _unique_ignoring_case(field: str, value: str, instance: User | None) -> str:
    clashes = User.objects.filter(**{f"{field}__iexact": value})
    if instance is not None:
        clashes = clashes.exclude(pk=instance.pk)
    if clashes.exists():
        raise serializers.ValidationError(f"A user with this {field} already exists.")
    return value


class RegisterSerializer(ModelSerializer):
    password = new_password_field()

    class Meta:
        model = User
        fields = ["id", "email", "username", "name", "surname", "password"]
        read_only_fields = ["id"]
        extra_kwargs = {"username": {"required": True, "allow_null": False, "allow_blank": False}}

    def validate_email(self, value):
        return _unique_email(value, None)

    def validate_username(self, value):
        return _unique_ignoring_case("username", value, None)

    def validate(self, attrs):
        candidate = User(**{key: value for key, value in attrs.items() if key != "password"})
        try:
            validate_new_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class LoginSerializer(Serializer):
    login = serializers.CharField(help_text="E-mail address or username.")
    password = PasswordField()


class TokenPairSerializer(Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField(default="Bearer")
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()


class RefreshSerializer(Serializer):
    refresh = serializers.CharField()


class ChangePasswordSerializer(Serializer):
    current_password = PasswordField()
    new_password = new_password_field()

    def validate_new_password(self, value):
        try:
            validate_new_password(value, self.context["request"].user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return value


class PasswordConfirmationSerializer(Serializer):
    password = PasswordField()


# Admin ------------------------------------------------------------------------


class AdminUserSerializer(ProfileSerializer):
    admin_roles = serializers.SerializerMethodField()

    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "is_active", "admin_roles"]
        read_only_fields = fields

    def get_admin_roles(self, user) -> list[str]:
        # Prefetched by the view as ``active_grants``.
        return sorted(grant.role.name for grant in user.active_grants)


class ReasonSerializer(Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AdminRoleSerializer(ModelSerializer):
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=AdminPermission.choices), allow_empty=True
    )

    class Meta:
        model = AdminRole
        fields = [
            "id",
            "name",
            "description",
            "permissions",
            "is_system_role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "is_system_role", "created_at", "updated_at"]

    def validate_permissions(self, value):
        return sorted(set(value), key=[code for code, _label in AdminPermission.choices].index)


class GrantSerializer(Serializer):
    role = serializers.SlugRelatedField(slug_field="name", queryset=AdminRole.objects.all())
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class GrantResultSerializer(ModelSerializer):
    role = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = AdminUser
        fields = ["id", "user", "role", "granted_by_id", "reason", "revoked_at", "created_at"]
        read_only_fields = fields


class AuditLogSerializer(ModelSerializer):
    class Meta:
        model = AdminAuditLog
        fields = [
            "id",
            "admin",
            "action",
            "resource_type",
            "resource_id",
            "changes",
            "ip_address",
            "user_agent",
            "created_at",
        ]
        read_only_fields = fields
