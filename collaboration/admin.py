"""The Django admin for sharing and the activity log (read-only: shares change
through the API's rules, and the log is history)."""

from django.contrib import admin

from collaboration.models import (
    ActivityLog,
    NotificationPreference,
    ProjectInvitation,
    ProjectShare,
    Team,
    TeamMember,
)
from socrates.admin import ReadOnlyAdmin


@admin.register(ProjectShare)
class ProjectShareAdmin(ReadOnlyAdmin):
    list_display = [
        "project",
        "shared_with_user_id",
        "shared_with_team",
        "permission_level",
        "expiry_date",
    ]
    list_filter = ["permission_level", "access_type"]
    search_fields = ["shared_with_user_id", "project__name"]
    raw_id_fields = ["project", "shared_with_team"]


@admin.register(ActivityLog)
class ActivityLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "resource_type", "resource_name", "user_id"]
    list_filter = ["action", "resource_type", "severity"]
    search_fields = ["resource_name", "resource_id", "user_id"]
    date_hierarchy = "created_at"


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    fields = ["user_id", "role", "status", "joined_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    """Read-only: membership changes through the API keep member_count exact."""

    list_display = ["name", "status", "member_count", "owner_id", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "owner_id"]
    inlines = [TeamMemberInline]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "notification_type", "frequency", "email_enabled", "in_app_enabled"]
    list_filter = ["frequency", "email_enabled", "in_app_enabled"]
    search_fields = ["user_id", "notification_type"]


@admin.register(ProjectInvitation)
class ProjectInvitationAdmin(ReadOnlyAdmin):
    # ``invitation_token`` (a hash) is never shown.
    list_display = ["project", "invited_email", "invited_user_id", "status", "token_expires_at"]
    list_filter = ["status", "role", "permission_level"]
    search_fields = ["invited_email", "invited_user_id", "project__name"]
    exclude = ["invitation_token"]
    raw_id_fields = ["project"]


@admin.register(TeamMember)
class TeamMemberAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "team", "role", "status", "joined_at"]
    list_filter = ["role", "status"]
    search_fields = ["user_id", "team__name"]
    raw_id_fields = ["team"]
