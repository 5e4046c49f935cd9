from rest_framework import serializers

from collaboration.models import ProjectShare, Team, TeamMember


class ShareSerializer(serializers.ModelSerializer):
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


class ShareChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectShare
        fields = ["permission_level", "expiry_date"]


class TeamSerializer(serializers.ModelSerializer):
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


class TeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "team", "user_id", "role", "status", "invited_by_id", "joined_at"]
        read_only_fields = ["team", "status", "invited_by_id", "joined_at"]
