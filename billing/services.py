"""Writes of billing: API keys, plan limits, subscriptions, invoices and LLM usage.

Each function is one transaction on the ``specs`` database (``atomic_for``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from django.db import IntegrityError, models
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AdminAuditLog
from accounts.services import AuditContext, snapshot
from billing import keys
from billing.error_codes import BillingErrorCode
from billing.limits import limit_message
from billing.models import (
    APIKey,
    APIKeyStatus,
    Invoice,
    InvoiceStatus,
    LLMUsage,
    Subscription,
)
from billing.tiers import PLANS, Limit, Tier
from collaboration.models import ActivityAction
from collaboration.services import ActivityContext, record_activity
from socrates.db.prepared import PreparedStatement
from socrates.db.transactions import atomic_for
from socrates.errors import Conflict, DomainError
from socrates.userrefs import require_active_user
from specs.selectors import access_level

# API keys ----------------------------------------------------------------------------

MAX_RATE_LIMIT = 100_000


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its secret, which exists only in this response."""

    api_key: APIKey
    secret: str


def create_api_key(
    *,
    context: ActivityContext,
    name: str,
    scope: list[str],
    expires_at: datetime | None = None,
    rate_limit: int | None = None,
    metadata: dict | None = None,
) -> IssuedKey:
    unknown = sorted(set(scope) - keys.SCOPES)
    if unknown:
        raise DomainError(f"Unknown scope {unknown[0]!r}.", field="scope")
    if not scope:
        raise DomainError("A key needs at least one scope.", field="scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry must be in the future.", field="expires_at")
    if rate_limit is not None and not 1 <= rate_limit <= MAX_RATE_LIMIT:
        raise DomainError(
            f"A rate limit is 1 to {MAX_RATE_LIMIT:,} requests per minute.", field="rate_limit"
        )
    secret = keys.new_secret()
    with atomic_for(APIKey):
        api_key = APIKey.objects.create(
            user_id=context.user_id,
            name=name,
            key_hash=keys.digest(secret),
            key_preview=secret[-keys.PREVIEW_LENGTH :],
            scope=sorted(set(scope)),
            expires_at=expires_at,
            rate_limit=rate_limit,
            metadata=metadata if metadata is not None else {},
        )
        _record_key(context, ActivityAction.API_KEY_CREATED, api_key)
    return IssuedKey(api_key=api_key, secret=secret)


def revoke_api_key(*, context: ActivityContext, api_key: APIKey) -> APIKey:
    """A revoked key fails from its next request on; the row stays, for history."""
    with atomic_for(APIKey):
        revoked = (
            APIKey.objects.filter(pk=api_key.pk)
            .exclude(status=APIKeyStatus.REVOKED)
            .update(status=APIKeyStatus.REVOKED, updated_at=timezone.now())
        )
        if not revoked:
            raise Conflict("This key is already revoked.", code=BillingErrorCode.ALREADY_REVOKED)
        api_key.refresh_from_db()
        _record_key(context, ActivityAction.API_KEY_REVOKED, api_key)
    return api_key


def _record_key(context: ActivityContext, action: str, api_key: APIKey) -> None:
    record_activity(
        context=context,
        action=action,
        resource_type="api_key",
        resource_id=api_key.pk,
        resource_name=api_key.name,
        changes={"scope": api_key.scope, "key_preview": api_key.key_preview},
    )


class RequestLimitReached(DomainError):
    status_code = 429

    def __init__(self, message: str, *, code: str, retry_after: int):
        super().__init__(message, code=code)
        self.retry_after = retry_after


# One statement, so one short implicit transaction. The key's minute window
# is upserted; the user's day window only for a request within the minute's
# limit (a key hammering past its rate limit does not spend the day); the
# key's use is counted only when both are within their limits and the key is
# still active. Row locks serialise concurrent uses of one key; nothing is lost.
COUNT_KEY_USE = PreparedStatement(
    "count_api_key_use",
    APIKey,
    """
WITH minute AS (
    INSERT INTO api_request_windows AS w (subject_id, span, started_at, requests)
    VALUES (%(key_id)s, 'minute', date_trunc('minute', now()), 1)
    ON CONFLICT (subject_id, span) DO UPDATE SET
        requests = CASE WHEN w.started_at = EXCLUDED.started_at THEN w.requests + 1 ELSE 1 END,
        started_at = EXCLUDED.started_at
    RETURNING requests
), day AS (
    INSERT INTO api_request_windows AS w (subject_id, span, started_at, requests)
    SELECT %(user_id)s, 'day', date_trunc('day', now(), 'UTC'), 1
    WHERE %(per_minute)s::integer IS NULL OR (SELECT requests FROM minute) <= %(per_minute)s
    ON CONFLICT (subject_id, span) DO UPDATE SET
        requests = CASE WHEN w.started_at = EXCLUDED.started_at THEN w.requests + 1 ELSE 1 END,
        started_at = EXCLUDED.started_at
    RETURNING requests
), used AS (
    UPDATE api_keys SET usage_count = usage_count + 1, last_used_at = now(), updated_at = now()
    WHERE id = %(key_id)s AND status = 'active'
      AND (SELECT requests FROM day) IS NOT NULL
      AND (%(per_day)s::integer IS NULL OR (SELECT requests FROM day) <= %(per_day)s)
    RETURNING usage_count
)
SELECT (SELECT requests FROM minute), (SELECT requests FROM day), (SELECT usage_count FROM used)
""",
    {"key_id": "uuid", "user_id": "uuid", "per_minute": "integer", "per_day": "integer"},
    writes=True,
)


class KeyWithdrawn(DomainError):
    """Revoked or deleted between its lookup and its count."""

    status_code = 401
    code = BillingErrorCode.API_KEY_REVOKED


def count_api_key_use(*, api_key: APIKey, tier: Tier) -> int:
    """Counts one request made with ``api_key`` and returns its ``usage_count``;
    refuses it (429) past the key's per-minute limit or the plan's daily one."""
    per_day = PLANS[tier].allows(Limit.API_REQUESTS_PER_DAY)
    minute, day, usage_count = COUNT_KEY_USE.row(
        {
            "key_id": api_key.pk,
            "user_id": api_key.user_id,
            "per_minute": api_key.rate_limit,
            "per_day": per_day,
        }
    )
    if usage_count is not None:
        return usage_count
    now = timezone.now()
    if api_key.rate_limit is not None and minute > api_key.rate_limit:
        next_minute = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        raise RequestLimitReached(
            f"This key allows {api_key.rate_limit:,} requests per minute.",
            code=BillingErrorCode.RATE_LIMITED,
            retry_after=_seconds_until(next_minute, now),
        )
    if per_day is not None and day > per_day:
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        raise RequestLimitReached(
            limit_message(
                tier, Limit.API_REQUESTS_PER_DAY, per_day, day - 1, "you have made", " today"
            ),
            code=BillingErrorCode.DAILY_LIMIT_REACHED,
            retry_after=_seconds_until(tomorrow, now),
        )
    raise KeyWithdrawn("This API key has been revoked.")


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


# Subscriptions and invoices ----------------------------------------------------------

# ISO 4217 Table A.1, the codes in use (funds and metals included; withdrawn
# codes such as HRK left out). The one list of currencies an invoice may be
# in: the standard library has none, and it changes about once a year.
_ISO_4217_TABLE = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV
BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE
CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV
MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF
XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW
ZWG ZWL
"""
ISO_4217_CURRENCIES = frozenset(_ISO_4217_TABLE.split())

# What each invoice status may become; paid and cancelled are final.
INVOICE_TRANSITIONS = {
    InvoiceStatus.DRAFT: {InvoiceStatus.SENT, InvoiceStatus.CANCELLED},
    InvoiceStatus.SENT: {InvoiceStatus.PAID, InvoiceStatus.OVERDUE, InvoiceStatus.CANCELLED},
    InvoiceStatus.OVERDUE: {InvoiceStatus.PAID, InvoiceStatus.CANCELLED},
}

AUDITED_SUBSCRIPTION_FIELDS = (
    "user_id",
    "plan_name",
    "plan_type",
    "status",
    "price_usd",
    "billing_cycle_start",
    "billing_cycle_end",
    "stripe_customer_id",
    "stripe_subscription_id",
    "auto_renew",
)
AUDITED_INVOICE_FIELDS = (
    "user_id",
    "subscription_id",
    "invoice_number",
    "amount_usd",
    "currency",
    "status",
    "issued_date",
    "due_date",
    "paid_date",
)
# JSON documents, recorded as they are (``snapshot`` writes anything else as text).
AUDITED_DOCUMENTS = ("features", "line_items", "metadata")


class BillingAuditAction(StrEnum):
    """What billing writes to ``admin_audit_logs.action``."""

    SUBSCRIPTION_CREATED = "subscription_created"
    SUBSCRIPTION_UPDATED = "subscription_updated"
    INVOICE_CREATED = "invoice_created"
    INVOICE_STATUS_CHANGED = "invoice_status_changed"
    INVOICES_EXPORTED = "invoices_exported"


@contextmanager
def _audited(model: type[models.Model]):
    """A transaction for a change in ``specs`` and its audit row in ``auth``.

    No transaction spans two databases. The audit one is opened inside the
    change's, so it commits first: a refusal or an error rolls both back, and
    a change is never committed without its audit row. What is left is the
    specs COMMIT itself failing after the audit row committed: a record of an
    attempt that did not happen, the lesser error for an audit trail.
    """
    with atomic_for(model), atomic_for(AdminAuditLog):
        yield


def _audit_state(instance: models.Model, fields: tuple[str, ...]) -> dict:
    documents = {
        name: getattr(instance, name) for name in AUDITED_DOCUMENTS if hasattr(instance, name)
    }
    return snapshot(instance, fields) | documents


def _check_subscription(subscription: Subscription) -> None:
    if subscription.price_usd is not None and subscription.price_usd < 0:
        raise DomainError("A price cannot be negative.", field="price_usd")
    start, end = subscription.billing_cycle_start, subscription.billing_cycle_end
    if start is not None and end is not None and end <= start:
        raise DomainError("The billing cycle must end after it starts.", field="billing_cycle_end")


def create_subscription(
    *, context: AuditContext, user_id: UUID, plan_name: str, **fields
) -> Subscription:
    require_active_user(user_id, field="user_id")
    subscription = Subscription(user_id=user_id, plan_name=plan_name, **fields)
    _check_subscription(subscription)
    with _audited(Subscription):
        subscription.save()
        context.record(
            BillingAuditAction.SUBSCRIPTION_CREATED,
            "subscription",
            subscription.pk,
            after=_audit_state(subscription, AUDITED_SUBSCRIPTION_FIELDS),
        )
    return subscription


def update_subscription(
    *, context: AuditContext, subscription: Subscription, **changes
) -> Subscription:
    """Changes anything but the subscriber (``user_id``); no change, no audit row."""
    before = _audit_state(subscription, AUDITED_SUBSCRIPTION_FIELDS)
    for name, value in changes.items():
        setattr(subscription, name, value)
    after = _audit_state(subscription, AUDITED_SUBSCRIPTION_FIELDS)
    if after == before:
        return subscription
    _check_subscription(subscription)
    with _audited(Subscription):
        subscription.save(update_fields=[*changes, "updated_at"])
        context.record(
            BillingAuditAction.SUBSCRIPTION_UPDATED,
            "subscription",
            subscription.pk,
            before=before,
            after=after,
        )
    return subscription


def _check_invoice(invoice: Invoice) -> None:
    if invoice.amount_usd < 0:
        raise DomainError("An amount cannot be negative.", field="amount_usd")
    if invoice.currency not in ISO_4217_CURRENCIES:
        raise DomainError(
            f"{invoice.currency!r} is not an ISO 4217 currency code (three capital letters, "
            "e.g. USD).",
            field="currency",
        )
    if invoice.subscription is not None and invoice.subscription.user_id != invoice.user_id:
        raise DomainError(
            "The subscription belongs to another user.",
            field="subscription",
            code=BillingErrorCode.SUBSCRIPTION_OF_ANOTHER_USER,
        )


def create_invoice(
    *,
    context: AuditContext,
    user_id: UUID,
    invoice_number: str,
    amount_usd: Decimal,
    subscription: Subscription | None = None,
    **fields,
) -> Invoice:
    """A new invoice, in draft; ``change_invoice_status`` sends it."""
    require_active_user(user_id, field="user_id")
    invoice = Invoice(
        user_id=user_id,
        invoice_number=invoice_number,
        amount_usd=amount_usd,
        subscription=subscription,
        **fields,
    )
    _check_invoice(invoice)
    try:
        with _audited(Invoice):
            invoice.save()
            context.record(
                BillingAuditAction.INVOICE_CREATED,
                "invoice",
                invoice.pk,
                after=_audit_state(invoice, AUDITED_INVOICE_FIELDS),
            )
    except IntegrityError as error:
        # The unique constraint decides, so that two admins racing for one
        # number get the same answer as one who comes late.
        if _violated_constraint(error) != "uq_invoices_invoice_number":
            raise
        raise Conflict(
            f"An invoice numbered {invoice_number!r} already exists.",
            field="invoice_number",
            code=BillingErrorCode.DUPLICATE_INVOICE_NUMBER,
        ) from error
    return invoice


def _violated_constraint(error: IntegrityError) -> str | None:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)


def change_invoice_status(*, context: AuditContext, invoice: Invoice, status: str) -> Invoice:
    """Moves an invoice along ``INVOICE_TRANSITIONS``: sending sets ``issued_date``
    (unless already set), paying sets ``paid_date``."""
    with _audited(Invoice):
        # Locked, so that two concurrent transitions are judged one after the other.
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if status not in INVOICE_TRANSITIONS.get(invoice.status, ()):
            raise Conflict(
                f"An invoice cannot go from {invoice.status} to {status}.",
                field="status",
                code=BillingErrorCode.INVOICE_STATUS_TRANSITION,
            )
        before = _audit_state(invoice, AUDITED_INVOICE_FIELDS)
        now = timezone.now()
        invoice.status = status
        if status == InvoiceStatus.SENT and invoice.issued_date is None:
            invoice.issued_date = now
        if status == InvoiceStatus.PAID:
            invoice.paid_date = now
        invoice.save(update_fields=["status", "issued_date", "paid_date", "updated_at"])
        context.record(
            BillingAuditAction.INVOICE_STATUS_CHANGED,
            "invoice",
            invoice.pk,
            before=before,
            after=_audit_state(invoice, AUDITED_INVOICE_FIELDS),
        )
    return invoice


INVOICE_EXPORT_COLUMNS = (
    "invoice_number",
    "id",
    "user_id",
    "subscription_id",
    "status",
    "amount_usd",
    "currency",
    "issued_date",
    "due_date",
    "paid_date",
    "description",
    "created_at",
)
EXPORT_CHUNK_SIZE = 500


def export_invoices(*, context: AuditContext, invoices: QuerySet, filters: dict) -> Iterator[tuple]:
    """The invoices' exported columns (``INVOICE_EXPORT_COLUMNS``), row by row,
    read in chunks as they are consumed; the export is audited first, with its
    filters and how many rows it had then."""
    with atomic_for(AdminAuditLog):
        context.record(
            BillingAuditAction.INVOICES_EXPORTED,
            "invoice",
            "export",
            filters=filters,
            rows=invoices.count(),
        )
    return invoices.values_list(*INVOICE_EXPORT_COLUMNS).iterator(chunk_size=EXPORT_CHUNK_SIZE)


# LLM usage ---------------------------------------------------------------------------

# total_tokens is an integer column: the sum must fit it too.
MAX_TOTAL_TOKENS = 2**31 - 1


def record_llm_usage(
    *,
    user_id: UUID,
    model_name: str,
    input_tokens: int,
    output_tokens: int,
    project_id: UUID | None = None,
    **fields,
) -> LLMUsage:
    """One model call made by ``user_id``; ``total_tokens`` is always computed here."""
    if project_id is not None and access_level(user_id, project_id) is None:
        raise DomainError("No project you can see has this id.", field="project")
    if input_tokens + output_tokens > MAX_TOTAL_TOKENS:
        raise DomainError(
            f"input_tokens + output_tokens must be at most {MAX_TOTAL_TOKENS}.",
            field="output_tokens",
        )
    with atomic_for(LLMUsage):
        return LLMUsage.objects.create(
            user_id=user_id,
            project_id=project_id,
            model_name=model_name,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
            **fields,
        )
