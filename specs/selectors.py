"""Reads of projects and what is inside them, including who may see what.

Access levels (BEHAVIOUR.md): view < comment < edit < admin < owner. The owner
has every right; anyone else has the highest level granted by an unexpired
share, to them or to a team they are an active member of. A project nobody
granted a user does not exist for that user (404, never 403).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from uuid import UUID

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Avg, Case, F, Q, QuerySet, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from accounts.models import AdminPermission
from collaboration.models import MemberStatus, SharePermission
from socrates.db.keyset import KeysetRows
from socrates.db.prepared import PreparedStatement, columns_of
from specs.models import (
    ConversationMessage,
    Project,
    Question,
    QuestionEffectiveness,
    Session,
    Specification,
    UserBehaviorPattern,
)


class AccessLevel(IntEnum):
    VIEW = 1
    COMMENT = 2
    EDIT = 3
    ADMIN = 4
    OWNER = 5

    @property
    def label(self) -> str:
        return self.name.lower()


SHARE_LEVELS = {
    SharePermission.VIEW: AccessLevel.VIEW,
    SharePermission.COMMENT: AccessLevel.COMMENT,
    SharePermission.EDIT: AccessLevel.EDIT,
    SharePermission.ADMIN: AccessLevel.ADMIN,
}


# The two questions every project request asks are written once as SQL: built
# with the ORM, their subqueries cost more to compose than to run (several
# milliseconds a request: README, "Performance"), and they never change.
_LIVE_SHARE = "(s.expiry_date IS NULL OR s.expiry_date > statement_timestamp())"
_ACTIVE_TEAMS_OF_USER = (
    f"SELECT m.team_id FROM team_members m WHERE m.user_id = %s AND m.status = "
    f"'{MemberStatus.ACTIVE}'"
)


def _project_ids_sql(shares: str) -> str:
    """The ids of the projects a user owns or reaches by a live share matching
    ``shares``: a union of three index lookups (owned, shared with the user,
    shared with their teams); an OR across them would make PostgreSQL read
    every project. Parameters: the user, three times."""
    return f"""
    SELECT p.id FROM projects p WHERE p.owner_id = %s
    UNION SELECT s.project_id FROM project_shares s
          WHERE s.shared_with_user_id = %s AND {_LIVE_SHARE} AND {shares}
    UNION SELECT s.project_id FROM project_shares s
          WHERE s.shared_with_team_id IN ({_ACTIVE_TEAMS_OF_USER}) AND {_LIVE_SHARE} AND {shares}
"""


# The ids of the projects a user can see.
VISIBLE_PROJECT_IDS = _project_ids_sql("TRUE")

# The user's best live share on the project of the enclosing query's row.
# Parameters: the user, twice.
_SHARE_RANK_CASES = " ".join(
    f"WHEN '{share}' THEN {level.value}" for share, level in SHARE_LEVELS.items()
)
BEST_SHARE_RANK = f"""
    SELECT max(CASE s.permission_level {_SHARE_RANK_CASES} END) FROM project_shares s
    WHERE s.project_id = projects.id AND {_LIVE_SHARE}
      AND (s.shared_with_user_id = %s OR s.shared_with_team_id IN ({_ACTIVE_TEAMS_OF_USER}))
"""


def visible_projects(user_id: UUID) -> QuerySet[Project]:
    """The projects a user can see, as one SQL statement.

    PostgreSQL can't guess how many ids the union gives and, against the union
    itself, hashes every project (a scan that grows with the table). Unnested
    from an array the ids count as a few, and each is fetched by primary key.
    """
    return Project.objects.filter(
        pk__in=RawSQL(f"SELECT unnest(ARRAY({VISIBLE_PROJECT_IDS}))", [user_id] * 3)
    )


def sessions_within_reach(user, url_keywords: Mapping) -> QuerySet[Session]:
    """The sessions a caller may name: those of the project the request is
    about, or of any project the caller can see when it is about none."""
    sessions = Session.objects.filter(project__in=visible_projects(user.pk))
    project_id = url_keywords.get("project_id")
    return sessions.filter(project_id=project_id) if project_id else sessions


def projects_at_least(user_id: UUID, level: AccessLevel) -> QuerySet[Project]:
    """The projects where a user has at least ``level``."""
    shares = ", ".join(f"'{share}'" for share, rank in SHARE_LEVELS.items() if rank >= level)
    matching = f"s.permission_level IN ({shares})" if shares else "FALSE"
    return Project.objects.filter(pk__in=RawSQL(_project_ids_sql(matching), [user_id] * 3))


def level_of(project: Project, user_id: UUID) -> AccessLevel | None:
    """The level of a project loaded by ``project_with_access``."""
    if project.owner_id == user_id:
        return AccessLevel.OWNER
    return AccessLevel(project.share_rank) if project.share_rank else None


_PROJECT_WITH_ACCESS = f"SELECT {columns_of(Project)}, ({BEST_SHARE_RANK}) AS share_rank"
PROJECT_WITH_ACCESS = PreparedStatement(
    "project_with_access",
    Project,
    f"{_PROJECT_WITH_ACCESS} FROM projects WHERE projects.id = %s",
    ("uuid", "uuid", "uuid"),
)
PROJECT_WITH_ACCESS_AND_SESSION = PreparedStatement(
    "project_with_access_and_session",
    Project,
    f"""{_PROJECT_WITH_ACCESS}, EXISTS (
        SELECT FROM sessions WHERE sessions.id = %s AND sessions.project_id = projects.id
    ) AS has_session FROM projects WHERE projects.id = %s""",
    ("uuid", "uuid", "uuid", "uuid"),
)


def project_with_access(
    user_id: UUID, project_id, *, session_id=None
) -> tuple[Project | None, AccessLevel | None]:
    """The project and the user's level on it, in one query; (None, None) when
    it does not exist, and a level of None when the user can't see it. Given a
    session, ``project.has_session`` says whether the session is the project's
    (asked in the same query)."""
    if session_id is None:
        statement, parameters = PROJECT_WITH_ACCESS, [user_id, user_id, project_id]
    else:
        statement = PROJECT_WITH_ACCESS_AND_SESSION
        parameters = [user_id, user_id, session_id, project_id]
    project = statement.first(parameters)
    if project is None:
        return None, None
    return project, level_of(project, user_id)


def access_level(user_id: UUID, project_id) -> AccessLevel | None:
    """The user's level on a project, or None when the project is not visible to
    them (or does not exist): one query."""
    return project_with_access(user_id, project_id)[1]


def conversation(session_id) -> KeysetRows:
    """A session's messages, a cursor page at a time, by when they were written."""
    return KeysetRows(ConversationMessage, parent="session", parent_id=session_id, key="created_at")


# Quality and export -----------------------------------------------------------

QUALITY_CATEGORIES = ("goals", "requirements", "tech_stack", "constraints", "testing", "deployment")
READINESS_COVERAGE_THRESHOLD = 0.75
READINESS_THRESHOLD = 0.70


@dataclass(frozen=True)
class Quality:
    coverage: float
    confidence: float
    completeness: float
    overall: float
    readiness: float
    ready: bool
    missing_categories: list[str]


def project_quality(project: Project) -> Quality:
    """BEHAVIOUR.md's formula, over the current specifications (one query)."""
    current = project.specifications.filter(is_current=True)
    totals = current.aggregate(
        confidence=Coalesce(Avg("confidence"), 0.0),
        covered=ArrayAgg("category", distinct=True, filter=Q(category__in=QUALITY_CATEGORIES)),
    )
    covered = set(totals["covered"] or [])
    coverage = len(covered) / len(QUALITY_CATEGORIES)
    confidence = float(totals["confidence"])
    completeness = (project.maturity_score or 0) / 100
    readiness = 0.35 * coverage + 0.35 * confidence + 0.30 * completeness
    return Quality(
        coverage=round(coverage, 4),
        confidence=round(confidence, 4),
        completeness=round(completeness, 4),
        overall=round(0.4 * coverage + 0.4 * confidence + 0.2 * completeness, 4),
        readiness=round(readiness, 4),
        ready=coverage >= READINESS_COVERAGE_THRESHOLD and readiness >= READINESS_THRESHOLD,
        missing_categories=[name for name in QUALITY_CATEGORIES if name not in covered],
    )


def current_specification(project: Project) -> dict[str, list[Specification]]:
    """The current version of every key, grouped by category, in key order."""
    grouped: dict[str, list[Specification]] = {}
    for specification in project.specifications.filter(is_current=True).order_by("category", "key"):
        grouped.setdefault(specification.category, []).append(specification)
    return grouped


# Analytics ------------------------------------------------------------------------


class AnalyticsLevel(IntEnum):
    """Anyone signed in reads question effectiveness; staff also write it."""

    READER = 1
    STAFF = 2


def analytics_level(user) -> AnalyticsLevel:
    return AnalyticsLevel.STAFF if user.is_staff else AnalyticsLevel.READER


def question_effectiveness_for(user) -> QuerySet[QuestionEffectiveness]:
    """Every row, each with its ``shown_question_id``: the question's id for
    staff, and for anyone else only when the question is in a project they can
    see (the ids of other projects' questions are theirs to keep)."""
    rows = QuestionEffectiveness.objects.all()
    if analytics_level(user) >= AnalyticsLevel.STAFF:
        return rows.annotate(shown_question_id=F("question_id"))
    visible_questions = Question.objects.filter(
        project_id__in=visible_projects(user.pk).values("pk")
    ).values("pk")
    return rows.annotate(
        shown_question_id=Case(When(question_id__in=visible_questions, then=F("question_id")))
    )


def behavior_patterns_for(user) -> QuerySet[UserBehaviorPattern]:
    """A user's own patterns; everyone's for an admin holding metrics_view."""
    patterns = UserBehaviorPattern.objects.all()
    if AdminPermission.METRICS_VIEW in user.held_admin_permissions:
        return patterns
    return patterns.filter(user_id=user.pk)
