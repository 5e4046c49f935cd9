"""Reads of teams: who belongs, and with which role."""

from enum import IntEnum
from uuid import UUID

from django.db.models import Exists, OuterRef, QuerySet

from collaboration.models import MemberStatus, Team, TeamMember, TeamRole


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


def team_level(user_id: UUID, team_id) -> TeamLevel | None:
    """The user's level in a team, or None unless an active member (one query)."""
    role = (
        TeamMember.objects.filter(team_id=team_id, user_id=user_id, status=MemberStatus.ACTIVE)
        .values_list("role", flat=True)
        .first()
    )
    return TeamLevel[TeamRole(role).name] if role else None
