"""Reads of teams: who belongs, and with which role."""

from collections.abc import Mapping
from enum import IntEnum
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Now

from collaboration.models import (
    ActivityLog,
    InvitationStatus,
    MemberStatus,
    ProjectInvitation,
    Team,
    TeamMember,
    TeamRole,
)


class TeamLevel(IntEnum):
    """Team roles as levels, lowest to highest."""

    VIEWER = 1
    MEMBER = 2
    LEAD = 3
    ADMIN = 4
    OWNER = 5


def teams_of(user_id: UUID) -> QuerySet[Team]:
    """The teams the user is an active member of."""
    memberships = TeamMember.objects.filter(
        team=OuterRef("pk"), user_id=user_id, status=MemberStatus.ACTIVE
    )
    return Team.objects.filter(Exists(memberships))


def teams_within_reach(user, url_keywords: Mapping) -> QuerySet[Team]:
    """The teams a caller may name (in a share): those they belong to."""
    return teams_of(user.pk)


def team_level(user_id: UUID, team_id) -> TeamLevel | None:
    """The user's level in a team, or None unless an active member (one query)."""
    role = (
        TeamMember.objects.filter(team_id=team_id, user_id=user_id, status=MemberStatus.ACTIVE)
        .values_list("role", flat=True)
        .first()
    )
    return TeamLevel[TeamRole(role).name] if role else None


def pending_invitations_for(user) -> QuerySet[ProjectInvitation]:
    """Unexpired pending invitations addressed to the user, by id or by (verified) e-mail."""
    # By e-mail only once the address is verified: anyone may type any address.
    addressed = Q(invited_user_id=user.pk)
    if user.is_verified:
        addressed |= Q(invited_email__iexact=user.email)
    return ProjectInvitation.objects.filter(
        addressed,
        status=InvitationStatus.PENDING,
        token_expires_at__gt=Now(),
    )


def project_activity(project_id) -> QuerySet[ActivityLog]:
    """Everything that happened in a project, served by ``ix_activity_logs_project``."""
    return ActivityLog.objects.filter(changes__project_id=str(project_id))


def user_activity(user_id: UUID) -> QuerySet[ActivityLog]:
    return ActivityLog.objects.filter(user_id=user_id)
