"""Writes of collaboration data, and the activity log every project change writes."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import F, Q
from django.utils import timezone

from billing.limits import require_room_for
from billing.tiers import Limit
from collaboration.error_codes import CollaborationErrorCode
from collaboration.models import (
    AccessType,
    ActivityAction,
    ActivityLog,
    InvitationRole,
    InvitationStatus,
    MemberStatus,
    NotificationPreference,
    PermissionLevel,
    ProjectInvitation,
    ProjectShare,
    SharePermission,
    Team,
    TeamMember,
    TeamRole,
)
from collaboration.selectors import TeamLevel
from socrates.api.clients import client_ip
from socrates.db.models import one_or_none
from socrates.db.transactions import atomic_for
from socrates.error_codes import ErrorCode
from socrates.errors import Conflict, DomainError, NotAllowed, NotFound
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


def _require_grantee(project: Project, user_id: UUID, *, field: str) -> None:
    """Someone a project is shared with, or invited to: active, and not its owner."""
    require_active_user(user_id, field=field)
    if user_id == project.owner_id:
        raise DomainError(
            "The owner already has every right.",
            field=field,
            code=CollaborationErrorCode.OWNER_NEEDS_NO_SHARE,
        )


def _require_future(expiry_date: datetime | None) -> None:
    if expiry_date is not None and expiry_date <= timezone.now():
        raise DomainError("The expiry date has passed.", field="expiry_date")


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
        _require_grantee(project, shared_with_user_id, field="shared_with_user_id")
    _require_future(expiry_date)
    with atomic_for(ProjectShare):
        existing = project.shares.filter(
            shared_with_user_id=shared_with_user_id, shared_with_team=shared_with_team
        )
        if existing.exists():
            raise Conflict(
                "The project is already shared with them; change that share instead.",
                code=CollaborationErrorCode.ALREADY_SHARED,
            )
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
    _require_future(changes.get("expiry_date"))
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
        require_room_for(
            holder_id=team.owner_id,
            limit=Limit.TEAM_MEMBERS,
            model=TeamMember,
            count=lambda: team.members.filter(status=MemberStatus.ACTIVE).count(),
            scope="this team has",
        )
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


def remove_member(
    *, member: TeamMember, actor_id: UUID, actor_level: TeamLevel | None = None
) -> None:
    """A member leaves, or a team admin removes them; the owner stays."""
    if member.user_id != actor_id and (actor_level is None or actor_level < TeamLevel.ADMIN):
        raise NotAllowed(
            "Only a team admin can remove another member.",
            code=ErrorCode.ACCESS_LEVEL_TOO_LOW,
        )
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


# Invitations -----------------------------------------------------------------

INVITATION_LIFETIME = timedelta(days=14)
# Invitations speak of read/write/admin; shares of view/edit/admin.
SHARE_LEVEL_OF_INVITATION = {
    PermissionLevel.READ: SharePermission.VIEW,
    PermissionLevel.WRITE: SharePermission.EDIT,
    PermissionLevel.ADMIN: SharePermission.ADMIN,
}


def invitation_digest(token: str) -> str:
    # Tokens are long and random: a plain SHA-256 cannot be reversed.
    return hashlib.sha256(token.encode()).hexdigest()


def _record_invitation(context: ActivityContext, action: str, invitation) -> None:
    record_activity(
        context=context,
        action=action,
        resource_type="project_invitation",
        resource_id=invitation.pk,
        # Not the invitee's address: project activity is visible with view access.
        resource_name=str(invitation.pk),
        changes={"project_id": str(invitation.project_id), "status": invitation.status},
    )


def expire_lapsed_invitations(**scope) -> int:
    """Pending invitations past their expiry become ``expired`` (done lazily, and
    by ``manage.py purge_invitations``)."""
    return ProjectInvitation.objects.filter(
        status=InvitationStatus.PENDING, token_expires_at__lte=timezone.now(), **scope
    ).update(status=InvitationStatus.EXPIRED, updated_at=timezone.now())


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: ProjectInvitation
    # Shown once, to be sent to the invitee; only its digest is stored.
    token: str


def invite(
    *,
    context: ActivityContext,
    project: Project,
    invited_user_id: UUID | None = None,
    invited_email: str | None = None,
    role: str = InvitationRole.MEMBER,
    permission_level: str = PermissionLevel.READ,
    message: str | None = None,
) -> IssuedInvitation:
    if (invited_user_id is None) == (not invited_email):
        raise DomainError(
            "Invite exactly one of a user or an e-mail address.", field="invited_user_id"
        )
    if invited_user_id is not None:
        _require_grantee(project, invited_user_id, field="invited_user_id")
    token = secrets.token_urlsafe(32)
    with atomic_for(ProjectInvitation):
        expire_lapsed_invitations(project=project)
        pending = ProjectInvitation.objects.filter(project=project, status=InvitationStatus.PENDING)
        if pending.filter(
            Q(invited_user_id=invited_user_id)
            if invited_user_id
            else Q(invited_email__iexact=invited_email)
        ).exists():
            raise Conflict(
                "This person already has a pending invitation to the project.",
                code=CollaborationErrorCode.ALREADY_INVITED,
            )
        invitation = ProjectInvitation.objects.create(
            project=project,
            invited_user_id=invited_user_id,
            invited_email=invited_email or None,
            invited_by_id=context.user_id,
            role=role,
            permission_level=permission_level,
            message=message,
            invitation_token=invitation_digest(token),
            token_expires_at=timezone.now() + INVITATION_LIFETIME,
        )
        _record_invitation(context, ActivityAction.INVITATION_CREATED, invitation)
    return IssuedInvitation(invitation=invitation, token=token)


def _addressed_to(invitation: ProjectInvitation, user) -> bool:
    if invitation.invited_user_id is not None:
        return invitation.invited_user_id == user.pk
    return (invitation.invited_email or "").lower() == user.email.lower()


def _pending_invitation_for(token: str, user) -> ProjectInvitation:
    invitation = (
        ProjectInvitation.objects.select_for_update()
        .filter(invitation_token=invitation_digest(token))
        .first()
    )
    if invitation is None or not _addressed_to(invitation, user):
        raise NotFound("No invitation for you with this token.")
    # Anyone may register with any address: only its verified owner answers for it.
    if invitation.invited_user_id is None and not user.is_verified:
        raise NotAllowed(
            "Verify your e-mail address before answering an invitation sent to it.",
            code=CollaborationErrorCode.EMAIL_NOT_VERIFIED,
        )
    lapsed = (
        invitation.token_expires_at is not None and invitation.token_expires_at <= timezone.now()
    )
    status = (
        InvitationStatus.EXPIRED
        if invitation.status == InvitationStatus.PENDING and lapsed
        else invitation.status
    )
    if status != InvitationStatus.PENDING:
        raise Conflict(f"This invitation is {status}.", code=CollaborationErrorCode.NOT_PENDING)
    return invitation


def accept_invitation(*, context: ActivityContext, user, token: str) -> ProjectShare:
    """Accepting creates the matching share (or raises an existing one)."""
    with atomic_for(ProjectInvitation):
        invitation = _pending_invitation_for(token, user)
        invitation.status, invitation.responded_at = InvitationStatus.ACCEPTED, timezone.now()
        invitation.save(update_fields=["status", "responded_at", "updated_at"])
        level = SHARE_LEVEL_OF_INVITATION.get(invitation.permission_level, SharePermission.VIEW)
        share = grant_user_share(
            context=context,
            project=invitation.project,
            user_id=user.pk,
            level=level,
            shared_by_id=invitation.invited_by_id,
        )
        _record_invitation(context, ActivityAction.INVITATION_ACCEPTED, invitation)
    return share


# Share levels from lowest to highest.
SHARE_RANK = {level: rank for rank, level in enumerate(SharePermission.values)}


def grant_user_share(
    *, context: ActivityContext, project: Project, user_id: UUID, level: str, shared_by_id: UUID
) -> ProjectShare:
    """At least ``level`` for the user: a new share, or theirs raised (never lowered,
    since several grants give the highest)."""
    with atomic_for(ProjectShare):
        share = one_or_none(project.shares.select_for_update().filter(shared_with_user_id=user_id))
        if share is None:
            share = ProjectShare.objects.create(
                project=project,
                shared_with_user_id=user_id,
                shared_by_id=shared_by_id,
                permission_level=level,
                access_type=AccessType.SHARED_USER,
            )
            _record_share(context, ActivityAction.SHARE_CREATED, share, after=_share_state(share))
        elif SHARE_RANK[level] > SHARE_RANK[share.permission_level] or share.expiry_date:
            before = _share_state(share)
            share.permission_level = max(level, share.permission_level, key=SHARE_RANK.get)
            share.expiry_date = None
            share.save(update_fields=["permission_level", "expiry_date", "updated_at"])
            _record_share(
                context,
                ActivityAction.SHARE_UPDATED,
                share,
                before=before,
                after=_share_state(share),
            )
    return share


def decline_invitation(*, context: ActivityContext, user, token: str) -> ProjectInvitation:
    with atomic_for(ProjectInvitation):
        invitation = _pending_invitation_for(token, user)
        invitation.status, invitation.responded_at = InvitationStatus.DECLINED, timezone.now()
        invitation.save(update_fields=["status", "responded_at", "updated_at"])
        _record_invitation(context, ActivityAction.INVITATION_DECLINED, invitation)
    return invitation


def revoke_invitation(
    *, context: ActivityContext, invitation: ProjectInvitation
) -> ProjectInvitation:
    """The inviter or the project's owner withdraws a pending invitation."""
    if context.user_id not in (invitation.invited_by_id, invitation.project.owner_id):
        raise NotAllowed(
            "Only the inviter or the project's owner can revoke an invitation.",
            code=CollaborationErrorCode.NOT_INVITER,
        )
    with atomic_for(ProjectInvitation):
        invitation = ProjectInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != InvitationStatus.PENDING:
            raise Conflict(
                f"This invitation is {invitation.status}.", code=CollaborationErrorCode.NOT_PENDING
            )
        invitation.status = InvitationStatus.REVOKED
        invitation.save(update_fields=["status", "updated_at"])
        _record_invitation(context, ActivityAction.INVITATION_REVOKED, invitation)
    return invitation


def purge_invitations(*, ended_before: datetime) -> tuple[int, int]:
    """Expires lapsed invitations, and deletes those that ended before a date."""
    expired = expire_lapsed_invitations()
    deleted, _ = (
        ProjectInvitation.objects.exclude(status=InvitationStatus.PENDING)
        .filter(updated_at__lt=ended_before)
        .delete()
    )
    return expired, deleted
