"""Reads of teams (who belongs, and with which role), invitations and activity."""

from collections.abc import Mapping
from enum import IntEnum
from uuid import UUID

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, TextField, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, JSONObject, Now

from collaboration.models import (
    ActivityLog,
    InvitationStatus,
    MemberStatus,
    ProjectInvitation,
    Team,
    TeamMember,
    TeamRole,
)
from specs.selectors import AccessLevel, projects_at_least


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


# Share and invitation rows say who was given which level: like the shares
# themselves, they are shown in full only at the level that lists shares.
SHARES_LEVEL = AccessLevel.ADMIN
SHARING_RESOURCE_TYPES = ("project_share", "project_invitation")


def _with_changes_shown(rows: QuerySet[ActivityLog], *, hidden: Q) -> QuerySet[ActivityLog]:
    """Each row's ``shown_changes``: its ``changes``, or only its project where
    ``hidden`` holds."""
    only_project = JSONObject(project_id=KT("changes__project_id"))
    return rows.annotate(shown_changes=Case(When(hidden, then=only_project), default=F("changes")))


def project_activity(project_id, *, level: AccessLevel) -> QuerySet[ActivityLog]:
    """Everything that happened in a project, served by ``ix_activity_logs_project``,
    as a caller at ``level`` may see it."""
    rows = ActivityLog.objects.filter(changes__project_id=str(project_id))
    if level >= SHARES_LEVEL:
        return rows.annotate(shown_changes=F("changes"))
    return _with_changes_shown(rows, hidden=Q(resource_type__in=SHARING_RESOURCE_TYPES))


def user_activity(user_id: UUID) -> QuerySet[ActivityLog]:
    """What a user did; sharing rows in full only for projects where they may
    list the shares today."""
    managed = projects_at_least(user_id, SHARES_LEVEL).annotate(id_text=Cast("pk", TextField()))
    rows = ActivityLog.objects.filter(user_id=user_id).alias(
        project_id_text=KT("changes__project_id")
    )
    hidden = Q(resource_type__in=SHARING_RESOURCE_TYPES) & ~Q(
        project_id_text__in=managed.values("id_text")
    )
    return _with_changes_shown(rows, hidden=hidden)
