"""The plan limits, enforced inside the transactions of the writes they limit.

Counting and inserting race: two creates at the limit would both count 2 of 3
and both insert. So each limited write first takes a transaction-scoped
advisory lock on the plan holder; the second create waits for the first to
commit, then counts its row and is refused.
"""

from uuid import UUID

from django.db import connections, router

from billing import selectors
from billing.error_codes import BillingErrorCode
from billing.tiers import PLANS, Limit, Tier
from socrates.errors import NotAllowed


class PlanLimitReached(NotAllowed):
    code = BillingErrorCode.PLAN_LIMIT_REACHED


def require_room_for(
    *, holder_id: UUID, limit: Limit, model, count=None, scope: str = "you have"
) -> None:
    """Refuses one more of ``limit`` beyond what ``holder_id``'s plan allows.

    Call it inside the transaction that writes the row (on ``model``'s
    database): the lock it takes is held until that transaction ends.
    ``count`` gives the current number when it is not the holder's total
    (a team's members); ``scope`` words it ("this team has").
    """
    using = router.db_for_write(model)
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("A plan limit is checked inside the write's own transaction.")
    tier = selectors.tier_of(holder_id)
    allowed = PLANS[tier].allows(limit)
    if allowed is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"plan:{holder_id}"]
        )
    current = count() if count is not None else selectors.plan_usage(holder_id, limit)
    if current >= allowed:
        raise PlanLimitReached(limit_message(tier, limit, allowed, current, scope))


def limit_message(
    tier: Tier, limit: Limit, allowed: int, current: int, scope: str, when: str = ""
) -> str:
    noun = limit.value.removesuffix("s") if allowed == 1 else limit.value
    return f"The {tier.label} plan allows {allowed:,} {noun}; {scope} {current:,}{when}."
