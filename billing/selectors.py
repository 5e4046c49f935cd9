"""Reads of billing."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Now, TruncMonth
from django.utils import timezone

from accounts.models import AdminPermission
from billing import keys
from billing.models import (
    APIKey,
    APIKeyStatus,
    Invoice,
    LLMUsage,
    RequestWindow,
    RequestWindowSpan,
    Subscription,
    SubscriptionStatus,
)
from billing.tiers import PLANS, Limit, Tier, tier_of_plans
from collaboration.models import MemberStatus, TeamMember
from socrates.db.prepared import PreparedStatement, columns_of
from socrates.errors import NotAllowed
from specs.models import Project, ProjectStatus, Specification

# Plans, limits and API keys ----------------------------------------------------------


def active_plan_names(user_id: UUID) -> list[str]:
    return list(
        Subscription.objects.filter(user_id=user_id, status=SubscriptionStatus.ACTIVE).values_list(
            "plan_name", flat=True
        )
    )


def tier_of(user_id: UUID) -> Tier:
    return tier_of_plans(active_plan_names(user_id))


def plan_usage(user_id: UUID, limit: Limit) -> int:
    """How much of ``limit`` the user uses now. Archived projects do not count
    (restoring one counts again); specifications count the current version of
    each key in the projects the user owns; team members, the largest team the
    user owns."""
    if limit is Limit.PROJECTS:
        return (
            Project.objects.filter(owner_id=user_id).exclude(status=ProjectStatus.ARCHIVED).count()
        )
    if limit is Limit.SPECIFICATIONS:
        return Specification.objects.filter(project__owner_id=user_id, is_current=True).count()
    if limit is Limit.TEAM_MEMBERS:
        return (
            TeamMember.objects.filter(team__owner_id=user_id, status=MemberStatus.ACTIVE)
            .values("team_id")
            .annotate(members=Count("pk"))
            .aggregate(largest=Max("members"))["largest"]
            or 0
        )
    return api_requests_today(user_id)


@dataclass(frozen=True)
class PlanStatus:
    tier: Tier
    plan_names: list[str]
    limits: dict[str, int | None]
    usage: dict[str, int]


def plan_status(user_id: UUID) -> PlanStatus:
    """The caller's tier, what it allows, and how much of it is used now."""
    plan_names = active_plan_names(user_id)
    tier = tier_of_plans(plan_names)
    return PlanStatus(
        tier=tier,
        plan_names=sorted(plan_names),
        limits={limit.name.lower(): PLANS[tier].allows(limit) for limit in Limit},
        usage={limit.name.lower(): plan_usage(user_id, limit) for limit in Limit},
    )


def api_requests_today(user_id: UUID) -> int:
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    window = RequestWindow.objects.filter(
        subject_id=user_id, span=RequestWindowSpan.DAY, started_at=today
    ).first()
    return window.requests if window else 0


def api_keys_of(user_id: UUID):
    return APIKey.objects.filter(user_id=user_id).order_by("-created_at")


def api_keys_in_status(api_keys: QuerySet[APIKey], status: str) -> QuerySet[APIKey]:
    """The keys whose ``current_status`` is ``status``: an active key past its
    expiry counts as expired."""
    lapsed = Q(status=APIKeyStatus.ACTIVE, expires_at__lte=Now())
    if status == APIKeyStatus.EXPIRED:
        return api_keys.filter(Q(status=status) | lapsed)
    return api_keys.filter(status=status).exclude(lapsed)


# Run for every request with an API key: written once as SQL and prepared.
API_KEY_FOR_SECRET = PreparedStatement(
    "api_key_for_secret",
    APIKey,
    f"""
    SELECT {columns_of(APIKey)}, ARRAY(
        SELECT s.plan_name FROM subscriptions s
        WHERE s.user_id = api_keys.user_id AND s.status = '{SubscriptionStatus.ACTIVE}'
    ) AS active_plans
    FROM api_keys WHERE api_keys.key_hash = %s
    """,
    ("varchar",),
)


def api_key_for_secret(secret: str) -> APIKey | None:
    """The key a request presents, with its owner's active plan names
    (``active_plans``), in one query by the unique hash."""
    return API_KEY_FOR_SECRET.first([keys.digest(secret)])


# Subscriptions and invoices ----------------------------------------------------------


def _sees_all_billing(user) -> bool:
    return AdminPermission.BILLING_VIEW in user.held_admin_permissions


def subscriptions_visible_to(user):
    """Everyone's subscriptions for admins holding billing_view; otherwise the user's own."""
    subscriptions = Subscription.objects.all()
    return subscriptions if _sees_all_billing(user) else subscriptions.filter(user_id=user.pk)


def subscriptions_within_reach(user, url_keywords: Mapping):
    """The subscriptions a caller may name (in an invoice): those they see."""
    return subscriptions_visible_to(user)


def invoices_visible_to(user):
    """Everyone's invoices for admins holding billing_view; otherwise the user's own."""
    invoices = Invoice.objects.all()
    return invoices if _sees_all_billing(user) else invoices.filter(user_id=user.pk)


def exportable_invoices():
    """Every invoice: exporting them is what invoices_export allows."""
    return Invoice.objects.all()


# LLM usage ---------------------------------------------------------------------------


class UsageGroup(StrEnum):
    MODEL = "model"
    PROJECT = "project"
    MONTH = "month"
    USER = "user"


USAGE_GROUPS = {
    UsageGroup.MODEL: F("model_name"),
    UsageGroup.PROJECT: F("project_id"),
    # Months in UTC, whatever the server's time zone.
    UsageGroup.MONTH: TruncMonth("created_at", tzinfo=UTC),
    UsageGroup.USER: F("user_id"),
}


def llm_usage_of(user_id: UUID):
    return LLMUsage.objects.filter(user_id=user_id)


def usage_summary(
    *,
    viewer,
    group_by: UsageGroup,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: UUID | None = None,
    all_users: bool = False,
) -> list[dict]:
    """Calls, tokens and cost per group, from ``since`` (included) to ``until``
    (excluded), summed by PostgreSQL in one query.

    The viewer's own usage by default; another user's (``user_id``), everyone's
    (``all_users``) or a split by user (everyone's unless ``user_id`` narrows
    it) needs metrics_view.
    """
    by_user = group_by == UsageGroup.USER
    if (all_users or by_user or user_id not in (None, viewer.pk)) and (
        AdminPermission.METRICS_VIEW not in viewer.held_admin_permissions
    ):
        raise NotAllowed("Usage other than your own needs the admin permission metrics_view.")
    if user_id is None and not (all_users or by_user):
        user_id = viewer.pk
    rows = LLMUsage.objects.all() if user_id is None else llm_usage_of(user_id)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    return list(
        rows.annotate(group=USAGE_GROUPS[group_by])
        .values("group")
        .annotate(
            calls=Count("pk"),
            input_sum=Sum("input_tokens", default=0),
            output_sum=Sum("output_tokens", default=0),
            total_sum=Sum("total_tokens", default=0),
            cost_sum=Sum("cost_usd", default=Decimal(0)),
        )
        .order_by(F("group").asc(nulls_last=True))
    )
