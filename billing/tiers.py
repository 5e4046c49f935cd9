"""The plans' limits (BEHAVIOUR.md "Subscription tiers and limits"): the one
place in code that says what each tier allows."""

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

from billing.models import PlanName


class Tier(IntEnum):
    """Ordered: with several active subscriptions, the highest tier counts."""

    FREE = 0
    PRO = 1
    TEAM = 2
    ENTERPRISE = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Limit(StrEnum):
    """What a plan limits; the value is how a refusal names it."""

    PROJECTS = "projects"
    SPECIFICATIONS = "specifications"
    TEAM_MEMBERS = "team members"
    API_REQUESTS_PER_DAY = "API requests per day"


@dataclass(frozen=True)
class Plan:
    """A tier's limits; None is unlimited."""

    projects: int | None
    specifications: int | None
    team_members: int | None
    api_requests_per_day: int | None
    # None: priced by contract.
    price_per_month_usd: Decimal | None

    def allows(self, limit: Limit) -> int | None:
        return getattr(self, limit.name.lower())


PLANS = {
    Tier.FREE: Plan(3, 50, 1, 1_000, Decimal("0")),
    Tier.PRO: Plan(25, None, 5, 100_000, Decimal("29")),
    Tier.TEAM: Plan(None, None, 50, None, Decimal("99")),
    Tier.ENTERPRISE: Plan(None, None, None, None, None),
}

# Legacy plan names map onto the four tiers.
TIER_OF_PLAN_NAME = {
    PlanName.FREE: Tier.FREE,
    PlanName.STARTER: Tier.FREE,
    PlanName.PRO: Tier.PRO,
    PlanName.PROFESSIONAL: Tier.PRO,
    PlanName.TEAM: Tier.TEAM,
    PlanName.ENTERPRISE: Tier.ENTERPRISE,
}


def tier_of_plans(plan_names) -> Tier:
    """The tier that a user's active subscriptions give; none at all is free."""
    return max((TIER_OF_PLAN_NAME[name] for name in plan_names), default=Tier.FREE)
