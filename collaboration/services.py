"""Writes of collaboration data, and the activity log every project change writes."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import F
from django.utils import timezone

from collaboration.error_codes import CollaborationErrorCode
from collaboration.models import (
    AccessType,
    ActivityAction,
    ActivityLog,
    MemberStatus,
    NotificationPreference,
    ProjectShare,
    SharePermission,
    Team,
    TeamMember,
    TeamRole,
)
from socrates.api.clients import client_ip
from socrates.db.transactions import atomic_for
from socrates.errors import Conflict, DomainError
from socrates.userrefs import require_active_user
from specs.models import Project


@dataclass(frozen=True)
class ActivityContext:
    """Who acts, and from where: recorded in ``activity_logs``."""

    user_id: UUID
    ip_address: str | None = None
    user_agent: str | None = None

    @classmethod
    def from_request(cls, request) -> "ActivityContext":
        user_agent = request.META.get("HTTP_USER_AGENT") or None
        return cls(
            user_id=request.user.pk,
            ip_address=client_ip(request),
            user_agent=user_agent[:500] if user_agent else None,
        )


def record_activity(
    *,
    context: ActivityContext,
    action: str,
    resource_type: str,
    resource_id: UUID,
    resource_name: str | None = None,
    changes: dict | None = None,
) -> ActivityLog:
    """One ``activity_logs`` row; callers write it inside their own transaction."""
    return ActivityLog.objects.create(
        user_id=context.user_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        resource_name=resource_name[:255] if resource_name else None,
        changes=changes or {},
        ip_address=context.ip_address,
        user_agent=context.user_agent,
    )


# Shares ---------------------------------------------------------------------------


def _record_share(context: ActivityContext, action: str, share: ProjectShare, **changes) -> None:
    record_activity(
        context=context,
        action=action,
        resource_type="project_share",
        resource_id=share.pk,
        resource_name=str(share.project_id),
        changes={"project_id": str(share.project_id), **changes},
    )


def _share_state(share: ProjectShare) -> dict:
    return {
        "shared_with_user_id": str(share.shared_with_user_id or "") or None,
        "shared_with_team_id": str(share.shared_with_team_id or "") or None,
        "permission_level": share.permission_level,
        "expiry_date": share.expiry_date.isoformat() if share.expiry_date else None,
    }


def create_share(
    *,
    context: ActivityContext,
    project: Project,
    permission_level: str = SharePermission.VIEW,
    shared_with_user_id: UUID | None = None,
    shared_with_team: Team | None = None,
    expiry_date: datetime | None = None,
) -> ProjectShare:
    """Shares a project with one active user or with a team's active members."""
    if (shared_with_user_id is None) == (shared_with_team is None):
        raise DomainError(
            "Share with exactly one of a user or a team.", field="shared_with_user_id"
        )
    if shared_with_user_id is not None:
        require_active_user(shared_with_user_id, field="shared_with_user_id")
        if shared_with_user_id == project.owner_id:
            raise DomainError(
                "The owner already has every right.",
                field="shared_with_user_id",
                code=CollaborationErrorCode.OWNER_NEEDS_NO_SHARE,
            )
    if expiry_date is not None and expiry_date <= timezone.now():
        raise DomainError("The expiry date has passed.", field="expiry_date")
    with atomic_for(ProjectShare):
        share = ProjectShare.objects.create(
            project=project,
            shared_with_user_id=shared_with_user_id,
            shared_with_team=shared_with_team,
            shared_by_id=context.user_id,
            permission_level=permission_level,
            access_type=AccessType.SHARED_USER if shared_with_user_id else AccessType.SHARED_TEAM,
            expiry_date=expiry_date,
        )
        _record_share(context, ActivityAction.SHARE_CREATED, share, after=_share_state(share))
    return share


def update_share(*, context: ActivityContext, share: ProjectShare, **changes) -> ProjectShare:
    """Changes a share's level or expiry; whom it is for stays."""
    expiry_date = changes.get("expiry_date")
    if expiry_date is not None and expiry_date <= timezone.now():
        raise DomainError("The expiry date has passed.", field="expiry_date")
    before = _share_state(share)
    for name, value in changes.items():
        setattr(share, name, value)
    with atomic_for(ProjectShare):
        share.save(update_fields=[*changes, "updated_at"])
        _record_share(
            context, ActivityAction.SHARE_UPDATED, share, before=before, after=_share_state(share)
        )
    return share


def delete_share(*, context: ActivityContext, share: ProjectShare) -> None:
    with atomic_for(ProjectShare):
        _record_share(context, ActivityAction.SHARE_DELETED, share, before=_share_state(share))
        share.delete()


# Teams -------------------------------------------------------------------------


def create_team(*, context: ActivityContext, name: str, description: str | None = None) -> Team:
    """The creator owns the team and is its first member."""
    with atomic_for(Team):
        team = Team.objects.create(
            name=name, description=description, owner_id=context.user_id, member_count=1
        )
        TeamMember.objects.create(
            team=team,
            user_id=context.user_id,
            role=TeamRole.OWNER,
            status=MemberStatus.ACTIVE,
            joined_at=timezone.now(),
        )
    return team


def update_team(*, team: Team, **changes) -> Team:
    for name, value in changes.items():
        setattr(team, name, value)
    with atomic_for(Team):
        team.save(update_fields=[*changes, "updated_at"])
    return team


def add_member(
    *, context: ActivityContext, team: Team, user_id: UUID, role: str = TeamRole.MEMBER
) -> TeamMember:
    """An active member; ``member_count`` moves in the same transaction."""
    require_active_user(user_id, field="user_id")
    if role == TeamRole.OWNER:
        raise DomainError("A team has one owner, its creator.", field="role")
    with atomic_for(Team):
        if TeamMember.objects.filter(team=team, user_id=user_id).exists():
            raise Conflict(
                "This user is already a member of the team.",
                code=CollaborationErrorCode.ALREADY_MEMBER,
            )
        member = TeamMember.objects.create(
            team=team,
            user_id=user_id,
            role=role,
            status=MemberStatus.ACTIVE,
            invited_by_id=context.user_id,
            joined_at=timezone.now(),
        )
        _count_members(team, +1)
    return member


def remove_member(*, member: TeamMember) -> None:
    """Removes a member (or the member leaves); the owner stays."""
    if member.role == TeamRole.OWNER:
        raise Conflict("The owner cannot leave the team.", code=CollaborationErrorCode.OWNER_STAYS)
    with atomic_for(Team):
        deleted, _ = TeamMember.objects.filter(pk=member.pk).delete()
        if deleted and member.status == MemberStatus.ACTIVE:
            _count_members(member.team, -1)


def _count_members(team: Team, change: int) -> None:
    # One UPDATE with the arithmetic in SQL: concurrent joins and leaves all count.
    Team.objects.filter(pk=team.pk).update(
        member_count=F("member_count") + change, updated_at=timezone.now()
    )


# Notification preferences -------------------------------------------------------


def create_notification_preference(
    *, user_id: UUID, notification_type: str, **fields
) -> NotificationPreference:
    """One row per (user, notification type)."""
    with atomic_for(NotificationPreference):
        taken = NotificationPreference.objects.filter(
            user_id=user_id, notification_type=notification_type
        )
        if taken.exists():
            raise Conflict(
                f"You already have a preference for {notification_type}; change it instead.",
                code=CollaborationErrorCode.PREFERENCE_EXISTS,
            )
        return NotificationPreference.objects.create(
            user_id=user_id, notification_type=notification_type, **fields
        )


def update_notification_preference(
    *, preference: NotificationPreference, **changes
) -> NotificationPreference:
    if "notification_type" in changes:
        raise DomainError("The notification type of a preference stays.", field="notification_type")
    for name, value in changes.items():
        setattr(preference, name, value)
    with atomic_for(NotificationPreference):
        preference.save(update_fields=[*changes, "updated_at"])
    return preference


def delete_notification_preference(*, preference: NotificationPreference) -> None:
    with atomic_for(NotificationPreference):
        preference.delete()
