from django.core.validators import RegexValidator
from rest_framework import serializers

from collaboration.models import (
    ActivityLog,
    NotificationPreference,
    ProjectInvitation,
    ProjectShare,
    Team,
    TeamMember,
    TeamRole,
)
from socrates.api.serializers import ModelSerializer, Serializer

# A rule of the clock, which no JSON Schema keyword states: said in words.
FUTURE_EXPIRY = "When the share ends: a moment in the future (a past one is a 400)."


class ShareSerializer(ModelSerializer):
    shared_with_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ProjectShare
        fields = [
            "id",
            "project",
            "shared_with_user_id",
            "shared_with_team",
            "shared_by_id",
            "permission_level",
            "access_type",
            "expiry_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["project", "shared_by_id", "access_type", "created_at", "updated_at"]
        extra_kwargs = {"expiry_date": {"help_text": FUTURE_EXPIRY}}


class ShareChangeSerializer(ModelSerializer):
    class Meta:
        model = ProjectShare
        fields = ["permission_level", "expiry_date"]
        extra_kwargs = ShareSerializer.Meta.extra_kwargs


class TeamSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "description",
            "owner_id",
            "status",
            "member_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["owner_id", "status", "member_count", "created_at", "updated_at"]
        extra_kwargs = {"name": {"min_length": 1}}


class TeamMemberSerializer(ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "team", "user_id", "role", "status", "invited_by_id", "joined_at"]
        read_only_fields = ["team", "status", "invited_by_id", "joined_at"]


class MemberAdditionSerializer(Serializer):
    user_id = serializers.UUIDField(help_text="An active user.")
    # A team's one owner is its creator: no one is added as owner.
    role = serializers.ChoiceField(
        choices=[role for role in TeamRole if role != TeamRole.OWNER], default=TeamRole.MEMBER
    )


# Quiet hours are wall-clock times, HH:MM from 00:00 to 23:59.
QUIET_HOUR = RegexValidator(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "A time as HH:MM, 00:00 to 23:59.")


class NotificationPreferenceSerializer(ModelSerializer):
    class Meta:
        model = NotificationPreference
        fields = [
            "id",
            "user_id",
            "notification_type",
            "email_enabled",
            "in_app_enabled",
            "slack_enabled",
            "frequency",
            "quiet_hours_enabled",
            "quiet_hours_start",
            "quiet_hours_end",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["user_id", "created_at", "updated_at"]
        extra_kwargs = {
            "quiet_hours_start": {"validators": [QUIET_HOUR]},
            "quiet_hours_end": {"validators": [QUIET_HOUR]},
            "notification_type": {"min_length": 1},
        }


class InvitationSerializer(ModelSerializer):
    class Meta:
        model = ProjectInvitation
        fields = [
            "id",
            "project",
            "invited_user_id",
            "invited_email",
            "invited_by_id",
            "role",
            "permission_level",
            "status",
            "message",
            "token_expires_at",
            "responded_at",
            "created_at",
        ]
        read_only_fields = [
            "project",
            "invited_by_id",
            "status",
            "token_expires_at",
            "responded_at",
            "created_at",
        ]


class IssuedInvitationSerializer(InvitationSerializer):
    token = serializers.CharField(
        read_only=True, help_text="Shown once: send it to the invitee; only its hash is kept."
    )

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "token"]


class InvitationTokenSerializer(Serializer):
    token = serializers.CharField(max_length=200)


class ActivitySerializer(ModelSerializer):
    # As the selector lets the caller see them.
    changes = serializers.JSONField(source="shown_changes", read_only=True)

    class Meta:
        model = ActivityLog
        fields = [
            "id",
            "user_id",
            "action",
            "resource_type",
            "resource_id",
            "resource_name",
            "changes",
            "severity",
            "created_at",
        ]
        read_only_fields = fields
