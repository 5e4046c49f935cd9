"""Teams, project sharing and invitations, the activity log and notification
preferences (database ``specs``)."""

from django.db import models
from django.db.models import F
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Upper

from socrates.db.models import (
    CreatedAtModel,
    TimestampedModel,
    closed_set_check,
    defaults,
    indexes_on,
    json_field,
)
from socrates.userrefs import OnUserDelete, UserRefField
from specs.models import Project


class TeamStatus(models.TextChoices):
    ACTIVE = "active"
    ARCHIVED = "archived"
    SUSPENDED = "suspended"


# A deleted owner's team goes to its longest-standing active admin, else its
# longest-standing active member, who becomes its owner; a team with no one
# else goes too.
HAND_ON_TEAMS = """
WITH heirs AS (
    SELECT DISTINCT ON (t.id) t.id AS team_id, m.user_id AS heir
    FROM teams t
    JOIN team_members m ON m.team_id = t.id
    WHERE t.owner_id = ANY(%(users)s)
      AND m.status = 'active'
      AND NOT m.user_id = ANY(%(users)s)
    ORDER BY t.id, m.role = 'admin' DESC, coalesce(m.joined_at, m.created_at), m.id
), handed AS (
    UPDATE teams t SET owner_id = h.heir, updated_at = now()
    FROM heirs h WHERE t.id = h.team_id
    RETURNING t.id, t.owner_id
), promoted AS (
    UPDATE team_members m SET role = 'owner', updated_at = now()
    FROM handed h WHERE m.team_id = h.id AND m.user_id = h.owner_id
), dropped AS (
    DELETE FROM teams t
    WHERE t.owner_id = ANY(%(users)s) AND t.id NOT IN (SELECT id FROM handed)
    RETURNING t.id
)
SELECT (SELECT count(*) FROM handed) + (SELECT count(*) FROM dropped)
"""

# A membership goes with its user, and member_count with it.
DELETE_MEMBERSHIPS = """
WITH gone AS (
    DELETE FROM team_members WHERE user_id = ANY(%(users)s) RETURNING team_id, status
), counted AS (
    UPDATE teams t SET member_count = t.member_count - g.members, updated_at = now()
    FROM (SELECT team_id, count(*) AS members FROM gone WHERE status = 'active' GROUP BY team_id) g
    WHERE t.id = g.team_id
)
SELECT count(*) FROM gone
"""


def hand_to_project_owner(table: str, column: str) -> str:
    """Rows a deleted user made on a project pass to the project's owner (by
    then handed on itself)."""
    return (
        f"UPDATE {table} r SET {column} = p.owner_id, updated_at = now() "
        f"FROM projects p WHERE r.project_id = p.id AND r.{column} = ANY(%(users)s)"
    )


class Team(TimestampedModel):
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    owner_id = UserRefField(
        on_user_delete=OnUserDelete.HAND_ON,
        hand_on_to="its longest-standing active admin, else member; "
        "a team with no one else is deleted",
        sql=HAND_ON_TEAMS,
    )
    status = models.CharField(
        max_length=20, choices=TeamStatus.choices, **defaults(TeamStatus.ACTIVE)
    )
    # The creator is the first member.
    member_count = models.IntegerField(**defaults(1))
    project_count = models.IntegerField(**defaults(0))
    settings = json_field()
    metadata = json_field()

    class Meta:
        db_table = "teams"
        constraints = [
            models.UniqueConstraint(fields=["name"], name="uq_teams_name"),
            closed_set_check("teams", "status", TeamStatus),
        ]
        indexes = indexes_on("created_at", "owner_id", "status")

    def __str__(self):
        return self.name


class TeamRole(models.TextChoices):
    OWNER = "owner"
    ADMIN = "admin"
    LEAD = "lead"
    MEMBER = "member"
    VIEWER = "viewer"


class PermissionLevel(models.TextChoices):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class MemberStatus(models.TextChoices):
    ACTIVE = "active"
    INVITED = "invited"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class TeamMember(TimestampedModel):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members", db_index=False)
    user_id = UserRefField(on_user_delete=OnUserDelete.DELETE, sql=DELETE_MEMBERSHIPS)
    role = models.CharField(max_length=50, choices=TeamRole.choices, **defaults(TeamRole.MEMBER))
    permission_level = models.CharField(
        max_length=50, null=True, blank=True, choices=PermissionLevel.choices
    )
    status = models.CharField(
        max_length=20, choices=MemberStatus.choices, **defaults(MemberStatus.ACTIVE)
    )
    invited_by_id = UserRefField(null=True, blank=True, on_user_delete=OnUserDelete.SET_NULL)
    joined_at = models.DateTimeField(null=True, blank=True)
    contribution_score = models.FloatField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "team_members"
        constraints = [
            models.UniqueConstraint(fields=["team", "user_id"], name="uq_team_members_team_user"),
            closed_set_check("team_members", "role", TeamRole),
            closed_set_check("team_members", "permission_level", PermissionLevel),
            closed_set_check("team_members", "status", MemberStatus),
        ]
        indexes = indexes_on("created_at", "role", "status", "user_id")


class SharePermission(models.TextChoices):
    """Access levels, lowest to highest (the owner's is above them all)."""

    VIEW = "view"
    COMMENT = "comment"
    EDIT = "edit"
    ADMIN = "admin"


class AccessType(models.TextChoices):
    SHARED_USER = "shared_user"
    SHARED_TEAM = "shared_team"
    PUBLIC = "public"
    LINK = "link"


class ProjectShare(TimestampedModel):
    """Grants a permission level on a project to one user or to every active
    member of a team."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="shares", db_index=False
    )
    shared_with_user_id = UserRefField(null=True, blank=True, on_user_delete=OnUserDelete.DELETE)
    shared_with_team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="project_shares",
        db_index=False,
    )
    shared_by_id = UserRefField(
        on_user_delete=OnUserDelete.HAND_ON,
        hand_on_to="the project's owner",
        sql=hand_to_project_owner("project_shares", "shared_by_id"),
        after=("projects.owner_id",),
    )
    permission_level = models.CharField(
        max_length=50, choices=SharePermission.choices, **defaults(SharePermission.VIEW)
    )
    access_type = models.CharField(max_length=50, choices=AccessType.choices)
    expiry_date = models.DateTimeField(null=True, blank=True)
    password_protected = models.BooleanField(**defaults(False))
    access_count = models.IntegerField(**defaults(0))
    last_accessed_at = models.DateTimeField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "project_shares"
        constraints = [
            # One share per user and per team of a project: revoking it must
            # end that grant, not leave a twin behind.
            models.UniqueConstraint(
                fields=["project", "shared_with_user_id"],
                condition=models.Q(shared_with_user_id__isnull=False),
                name="uq_project_shares_user",
            ),
            models.UniqueConstraint(
                fields=["project", "shared_with_team"],
                condition=models.Q(shared_with_team__isnull=False),
                name="uq_project_shares_team",
            ),
            closed_set_check("project_shares", "permission_level", SharePermission),
            closed_set_check("project_shares", "access_type", AccessType),
        ]
        indexes = indexes_on(
            "access_type",
            "created_at",
            "permission_level",
            "project",
            "shared_by_id",
            "shared_with_team",
            "shared_with_user_id",
        )


class InvitationRole(models.TextChoices):
    VIEWER = "viewer"
    MEMBER = "member"
    LEAD = "lead"
    ADMIN = "admin"


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"


class ProjectInvitation(TimestampedModel):
    """An invitation to a project, for a registered user (by id) or for an
    e-mail address."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="invitations", db_index=False
    )
    invited_user_id = UserRefField(null=True, blank=True, on_user_delete=OnUserDelete.DELETE)
    invited_email = models.EmailField(max_length=255, null=True, blank=True)
    invited_by_id = UserRefField(
        on_user_delete=OnUserDelete.HAND_ON,
        hand_on_to="the project's owner",
        sql=hand_to_project_owner("project_invitations", "invited_by_id"),
        after=("projects.owner_id",),
    )
    role = models.CharField(
        max_length=50, choices=InvitationRole.choices, **defaults(InvitationRole.MEMBER)
    )
    permission_level = models.CharField(
        max_length=50, null=True, blank=True, choices=PermissionLevel.choices
    )
    status = models.CharField(
        max_length=20, choices=InvitationStatus.choices, **defaults(InvitationStatus.PENDING)
    )
    # Only the hash of the token sent by e-mail, never the token itself.
    invitation_token = models.CharField(max_length=255, null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "project_invitations"
        constraints = [
            # A second pending invitation to the same person for the same
            # project is refused, whether the person is named by id or e-mail
            # (compared as Django's ``invited_email__iexact`` does: UPPER).
            models.UniqueConstraint(
                fields=["project", "invited_user_id"],
                condition=models.Q(status=InvitationStatus.PENDING),
                name="uq_invitations_pending_user",
            ),
            models.UniqueConstraint(
                F("project"),
                Upper("invited_email"),
                condition=models.Q(status=InvitationStatus.PENDING),
                name="uq_invitations_pending_email",
            ),
            closed_set_check("project_invitations", "role", InvitationRole),
            closed_set_check("project_invitations", "permission_level", PermissionLevel),
            closed_set_check("project_invitations", "status", InvitationStatus),
        ]
        indexes = indexes_on(
            "created_at",
            "invitation_token",
            "invited_by_id",
            "invited_email",
            "invited_user_id",
            "project",
            "role",
            "status",
        )


class ActivityAction(models.TextChoices):
    """What the application writes to ``activity_logs.action`` (an open set:
    legacy rows hold other values)."""

    PROJECT_CREATED = "project_created"
    PROJECT_UPDATED = "project_updated"
    PROJECT_ARCHIVED = "project_archived"
    PROJECT_RESTORED = "project_restored"
    PROJECT_DESTROYED = "project_destroyed"
    PROJECT_TRANSFERRED = "project_transferred"
    SHARE_CREATED = "share_created"
    SHARE_UPDATED = "share_updated"
    SHARE_DELETED = "share_deleted"
    SPECIFICATION_CREATED = "specification_created"
    SPECIFICATION_VERSIONED = "specification_versioned"
    INVITATION_CREATED = "invitation_created"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_DECLINED = "invitation_declined"
    INVITATION_REVOKED = "invitation_revoked"
    API_KEY_CREATED = "api_key_created"
    API_KEY_REVOKED = "api_key_revoked"
    KNOWLEDGE_REINDEXED = "knowledge_reindexed"


class ActivitySeverity(models.TextChoices):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class ActivityLog(CreatedAtModel):
    # The record of who did what stays.
    user_id = UserRefField(on_user_delete=OnUserDelete.KEEP)
    action = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=100)
    # Polymorphic (its table depends on resource_type), hence no foreign key.
    resource_id = models.UUIDField()
    resource_name = models.CharField(max_length=255, null=True, blank=True)
    changes = json_field()
    description = models.TextField(null=True, blank=True)
    severity = models.CharField(
        max_length=20,
        null=True,
        blank=True,
        choices=ActivitySeverity.choices,
        **defaults(ActivitySeverity.INFO),
    )
    ip_address = models.CharField(max_length=45, null=True, blank=True)
    user_agent = models.CharField(max_length=500, null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "activity_logs"
        constraints = [
            closed_set_check("activity_logs", "severity", ActivitySeverity),
        ]
        indexes = [
            *indexes_on("action", "created_at", "resource_id", "severity", "user_id"),
            models.Index(fields=["resource_type", "resource_id"]),
            # A project's activity, newest first: every project-scoped row
            # names its project in changes.project_id.
            models.Index(
                KeyTransform("project_id", "changes"),
                F("created_at").desc(),
                name="ix_activity_logs_project",
            ),
        ]


class NotificationFrequency(models.TextChoices):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class NotificationPreference(TimestampedModel):
    user_id = UserRefField(on_user_delete=OnUserDelete.DELETE)
    notification_type = models.CharField(max_length=100)
    email_enabled = models.BooleanField(**defaults(True))
    in_app_enabled = models.BooleanField(**defaults(True))
    slack_enabled = models.BooleanField(**defaults(False))
    frequency = models.CharField(
        max_length=50,
        null=True,
        blank=True,
        choices=NotificationFrequency.choices,
        **defaults(NotificationFrequency.IMMEDIATE),
    )
    quiet_hours_enabled = models.BooleanField(**defaults(False))
    quiet_hours_start = models.CharField(max_length=5, null=True, blank=True)
    quiet_hours_end = models.CharField(max_length=5, null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "notification_preferences"
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "notification_type"],
                name="uq_notification_preferences_user_type",
            ),
            closed_set_check("notification_preferences", "frequency", NotificationFrequency),
        ]
        indexes = indexes_on("created_at", "email_enabled", "in_app_enabled", "notification_type")
