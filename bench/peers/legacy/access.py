"""Who may see a project, in the project's statements (specs/selectors.py):
view < comment < edit < admin < owner; an expired share grants nothing."""

import uuid
from enum import IntEnum

from sqlalchemy import CompoundSelect, case, func, or_, select, union
from sqlalchemy.orm import Session, aliased

from bench.peers.legacy.errors import ApiError
from bench.peers.legacy.models import Project, ProjectShare, TeamMember


class AccessLevel(IntEnum):
    VIEW = 1
    COMMENT = 2
    EDIT = 3
    ADMIN = 4
    OWNER = 5


SHARE_RANK = case(
    {"view": 1, "comment": 2, "edit": 3, "admin": 4},
    value=ProjectShare.permission_level,
)


def _unexpired(share):
    return or_(share.expiry_date.is_(None), share.expiry_date > func.statement_timestamp())


def _active_teams_of(user_id: uuid.UUID):
    return select(TeamMember.team_id).where(
        TeamMember.status == "active", TeamMember.user_id == user_id
    )


def visible_project_ids(user_id: uuid.UUID) -> CompoundSelect:
    """Owned, shared with the user, shared with their teams: a union of three
    index lookups (an OR across them would read every project)."""
    # Aliases: a subquery naming the outer query's table would be correlated to it.
    owned, by_user, by_team = aliased(Project), aliased(ProjectShare), aliased(ProjectShare)
    return union(
        select(owned.id).where(owned.owner_id == user_id),
        select(by_user.project_id).where(
            _unexpired(by_user), by_user.shared_with_user_id == user_id
        ),
        select(by_team.project_id).where(
            _unexpired(by_team), by_team.shared_with_team_id.in_(_active_teams_of(user_id))
        ),
    )


def visible_projects(user_id: uuid.UUID):
    return select(Project).where(Project.id.in_(visible_project_ids(user_id)))


def access_level(db: Session, user_id: uuid.UUID, project_id: uuid.UUID) -> AccessLevel | None:
    """The user's level on a project; None when invisible or unknown (one query)."""
    best_share = (
        select(SHARE_RANK)
        .where(
            _unexpired(ProjectShare),
            or_(
                ProjectShare.shared_with_user_id == user_id,
                ProjectShare.shared_with_team_id.in_(_active_teams_of(user_id)),
            ),
            ProjectShare.project_id == Project.id,
        )
        .order_by(SHARE_RANK.desc())
        .limit(1)
        .scalar_subquery()
    )
    found = db.execute(
        select(Project.owner_id, best_share).where(Project.id == project_id).limit(1)
    ).first()
    if found is None:
        return None
    owner_id, share_rank = found
    if owner_id == user_id:
        return AccessLevel.OWNER
    return AccessLevel(share_rank) if share_rank else None


def require_level(
    db: Session, user_id: uuid.UUID, project_id: uuid.UUID, needed: AccessLevel
) -> AccessLevel:
    """Invisible is a 404, never a 403, so that a project's existence doesn't leak."""
    level = access_level(db, user_id, project_id)
    if level is None:
        raise ApiError(404, "No such project.", "not_found")
    if level < needed:
        raise ApiError(
            403,
            f"This needs {needed.name.lower()} access; you have {level.name.lower()}.",
            "access_level_too_low",
        )
    return level
