"""Reads of projects and what is inside them, including who may see what.

Access levels (BEHAVIOUR.md): view < comment < edit < admin < owner. The owner
has every right; anyone else has the highest level granted by an unexpired
share, to them or to a team they are an active member of. A project nobody
granted a user does not exist for that user (404, never 403).
"""

from dataclasses import dataclass
from enum import IntEnum
from uuid import UUID

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    Avg,
    Case,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Now

from accounts.models import AdminPermission
from collaboration.models import MemberStatus, ProjectShare, SharePermission, TeamMember
from specs.models import Project, Specification, UserBehaviorPattern


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


def _unexpired() -> Q:
    return Q(expiry_date__isnull=True) | Q(expiry_date__gt=Now())


def _active_teams_of(user_id: UUID) -> QuerySet[TeamMember]:
    return TeamMember.objects.filter(user_id=user_id, status=MemberStatus.ACTIVE).values("team_id")


def live_shares_for(user_id: UUID) -> QuerySet[ProjectShare]:
    """Unexpired shares to the user, or to a team the user is an active member of."""
    return ProjectShare.objects.filter(
        _unexpired(),
        Q(shared_with_user_id=user_id) | Q(shared_with_team_id__in=_active_teams_of(user_id)),
    )


def visible_projects(user_id: UUID) -> QuerySet[Project]:
    """The projects a user can see, as one SQL statement.

    A union of three index lookups (owned, shared with the user, shared with
    their teams): an OR across them would make PostgreSQL read every project.
    """
    owned = Project.objects.filter(owner_id=user_id).values("pk")
    unexpired = ProjectShare.objects.filter(_unexpired())
    shared = unexpired.filter(shared_with_user_id=user_id).values("project_id")
    via_teams = unexpired.filter(shared_with_team_id__in=_active_teams_of(user_id)).values(
        "project_id"
    )
    return Project.objects.filter(pk__in=owned.union(shared, via_teams))


_SHARE_RANK = Case(
    *(When(permission_level=share, then=level.value) for share, level in SHARE_LEVELS.items()),
    output_field=IntegerField(),
)


def access_level(user_id: UUID, project_id) -> AccessLevel | None:
    """The user's level on a project, or None when the project is not visible to
    them (or does not exist): one query."""
    best_share = (
        live_shares_for(user_id)
        .filter(project_id=OuterRef("pk"))
        .annotate(rank=_SHARE_RANK)
        .order_by("-rank")
        .values("rank")[:1]
    )
    found = (
        Project.objects.filter(pk=project_id)
        .annotate(share_rank=Subquery(best_share))
        .values_list("owner_id", "share_rank")
        .first()
    )
    if found is None:
        return None
    owner_id, share_rank = found
    if owner_id == user_id:
        return AccessLevel.OWNER
    return AccessLevel(share_rank) if share_rank else None


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


def behavior_patterns_for(user) -> QuerySet[UserBehaviorPattern]:
    """A user's own patterns; everyone's for an admin holding metrics_view."""
    patterns = UserBehaviorPattern.objects.all()
    if AdminPermission.METRICS_VIEW in user.held_admin_permissions:
        return patterns
    return patterns.filter(user_id=user.pk)
