"""Subscriptions, invoices, platform API keys and LLM usage (database ``specs``)."""

from django.db import models
from django.db.models import F
from django.utils import timezone

from socrates.db.models import (
    UNBOUNDED_VARCHAR,
    CreatedAtModel,
    TimestampedModel,
    closed_set_check,
    defaults,
    indexes_on,
    json_field,
    varchar_array,
)
from socrates.userrefs import OnUserDelete, UserRefField
from specs.models import Project


class PlanName(models.TextChoices):
    """Plan names; ``professional`` counts as pro and ``starter`` as free."""

    FREE = "free"
    STARTER = "starter"
    PRO = "pro"
    PROFESSIONAL = "professional"
    TEAM = "team"
    ENTERPRISE = "enterprise"


class PlanType(models.TextChoices):
    MONTHLY = "monthly"
    YEARLY = "yearly"
    USAGE_BASED = "usage-based"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    PAST_DUE = "past_due"


class Subscription(TimestampedModel):
    # Billing history outlives the account.
    user_id = UserRefField(on_user_delete=OnUserDelete.KEEP)
    plan_name = models.CharField(max_length=100, choices=PlanName.choices)
    plan_type = models.CharField(max_length=50, null=True, blank=True, choices=PlanType.choices)
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, **defaults(SubscriptionStatus.ACTIVE)
    )
    price_usd = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    billing_cycle_start = models.DateTimeField(null=True, blank=True)
    billing_cycle_end = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, null=True, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, null=True, blank=True)
    features = json_field()
    auto_renew = models.BooleanField(**defaults(True))
    metadata = json_field()

    class Meta:
        db_table = "subscriptions"
        constraints = [
            closed_set_check("subscriptions", "plan_name", PlanName),
            closed_set_check("subscriptions", "plan_type", PlanType),
            closed_set_check("subscriptions", "status", SubscriptionStatus),
        ]
        indexes = indexes_on("created_at", "plan_name", "status", "stripe_customer_id", "user_id")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class Invoice(TimestampedModel):
    # An invoice is an accounting record: it keeps whom it billed.
    user_id = UserRefField(on_user_delete=OnUserDelete.KEEP)
    # NULL for one-time charges.
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        db_index=False,
    )
    invoice_number = models.CharField(max_length=50)
    amount_usd = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, **defaults("USD"))
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, **defaults(InvoiceStatus.DRAFT)
    )
    description = models.TextField(null=True, blank=True)
    line_items = json_field()
    issued_date = models.DateTimeField(null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    paid_date = models.DateTimeField(null=True, blank=True)
    stripe_invoice_id = models.CharField(max_length=255, null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "invoices"
        constraints = [
            models.UniqueConstraint(fields=["invoice_number"], name="uq_invoices_invoice_number"),
            closed_set_check("invoices", "status", InvoiceStatus),
        ]
        indexes = indexes_on(
            "created_at",
            "due_date",
            "issued_date",
            "status",
            "stripe_invoice_id",
            "subscription",
            "user_id",
        )

    def __str__(self):
        return self.invoice_number


class APIKeyStatus(models.TextChoices):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class APIKey(TimestampedModel):
    """A platform API key; the full key is shown once and never stored."""

    user_id = UserRefField(on_user_delete=OnUserDelete.DELETE)
    name = models.CharField(max_length=255)
    key_hash = models.CharField(max_length=255)
    # The last 4 characters, so that the owner can tell keys apart.
    key_preview = models.CharField(max_length=20, null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=APIKeyStatus.choices, **defaults(APIKeyStatus.ACTIVE)
    )
    scope = varchar_array()
    rate_limit = models.IntegerField(null=True, blank=True)
    usage_count = models.IntegerField(**defaults(0))
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "api_keys"
        verbose_name = "API key"
        required_db_features = UNBOUNDED_VARCHAR
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], name="uq_api_keys_key_hash"),
            closed_set_check("api_keys", "status", APIKeyStatus),
        ]
        indexes = indexes_on("created_at", "status", "user_id")

    def __str__(self):
        return self.name

    @property
    def current_status(self) -> str:
        """What the key is now: an active key past its expiry is expired, with
        no job to write it (``billing.selectors.api_keys_in_status`` says the
        same in SQL)."""
        lapsed = self.expires_at is not None and self.expires_at <= timezone.now()
        if self.status == APIKeyStatus.ACTIVE and lapsed:
            return APIKeyStatus.EXPIRED
        return self.status


class LLMUsageStatus(models.TextChoices):
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"


class LLMUsage(CreatedAtModel):
    """One call to a language model."""

    user_id = UserRefField(on_user_delete=OnUserDelete.KEEP)
    # Usage outlives its project: billing still needs it.
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="llm_usage",
        db_index=False,
    )
    model_name = models.CharField(max_length=100)
    operation_type = models.CharField(max_length=100, null=True, blank=True)
    input_tokens = models.IntegerField()
    output_tokens = models.IntegerField()
    total_tokens = models.IntegerField()
    cost_usd = models.DecimalField(max_digits=10, decimal_places=6, null=True, blank=True)
    latency_ms = models.IntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=LLMUsageStatus.choices, **defaults(LLMUsageStatus.SUCCESS)
    )
    error_message = models.TextField(null=True, blank=True)
    metadata = json_field()

    class Meta:
        db_table = "llm_usage_tracking"
        verbose_name = "LLM usage record"
        constraints = [
            closed_set_check("llm_usage_tracking", "status", LLMUsageStatus),
            # BEHAVIOUR.md: the total is enforced, whoever writes the row.
            models.CheckConstraint(
                condition=models.Q(total_tokens=F("input_tokens") + F("output_tokens")),
                name="ck_llm_usage_tracking_total_tokens",
            ),
        ]
        indexes = indexes_on(
            "created_at", "model_name", "operation_type", "project", "status", "user_id"
        )


class RequestWindowSpan(models.TextChoices):
    MINUTE = "minute"
    DAY = "day"


class RequestWindow(models.Model):
    """Requests made with API keys in the current window of one span: a key's
    minute (its ``rate_limit``) and a user's day (their plan's daily limit).

    One row per subject and span, reset when a new window starts, so the table
    never grows past two rows per key and one per user. Not a legacy table.
    """

    subject_id = models.UUIDField()
    span = models.CharField(max_length=10, choices=RequestWindowSpan.choices)
    started_at = models.DateTimeField()
    requests = models.IntegerField()

    class Meta:
        db_table = "api_request_windows"
        constraints = [
            models.UniqueConstraint(fields=["subject_id", "span"], name="uq_request_window"),
            closed_set_check("api_request_windows", "span", RequestWindowSpan),
        ]

    def __str__(self):
        return f"{self.subject_id} {self.span} {self.started_at:%Y-%m-%d %H:%M}: {self.requests}"
