"""Serializers of billing."""

from datetime import datetime

from rest_framework import serializers

from billing import keys
from billing.models import APIKey, APIKeyStatus, Invoice, InvoiceStatus, LLMUsage, Subscription
from billing.selectors import UsageGroup
from billing.services import MAX_RATE_LIMIT
from billing.tiers import Tier
from socrates.api.serializers import ModelSerializer, QuerySerializer, Serializer
from socrates.api.validation import check_query_values

# API keys and the plan -------------------------------------------------------------


class APIKeySerializer(ModelSerializer):
    """A key as listed: its hash is never shown, only its last characters."""

    status = serializers.ChoiceField(
        choices=APIKeyStatus.choices, source="current_status", read_only=True
    )

    class Meta:
        model = APIKey
        fields = [
            "id",
            "name",
            "key_preview",
            "status",
            "scope",
            "rate_limit",
            "usage_count",
            "last_used_at",
            "expires_at",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class APIKeyCreateSerializer(Serializer):
    name = serializers.CharField(min_length=1, max_length=255)
    scope = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(keys.SCOPES)),
        default=[keys.READ],
        min_length=1,
        max_length=len(keys.SCOPES),
    )
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the key stops working: a moment in the future (a past one is a 400).",
    )
    rate_limit = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_RATE_LIMIT,
        help_text="Requests per minute.",
    )
    metadata = serializers.JSONField(required=False, allow_null=True)


class IssuedKeySerializer(APIKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The full key: shown this once, never again."
    )

    class Meta(APIKeySerializer.Meta):
        fields = ["key", *APIKeySerializer.Meta.fields]

    def to_representation(self, issued):
        return {"key": issued.secret, **APIKeySerializer(issued.api_key).data}


class PlanSerializer(Serializer):
    tier = serializers.ChoiceField(choices=[tier.label for tier in Tier], source="tier.label")
    plan_names = serializers.ListField(child=serializers.CharField())
    limits = serializers.DictField(
        child=serializers.IntegerField(allow_null=True), help_text="null: unlimited."
    )
    usage = serializers.DictField(child=serializers.IntegerField())


# Subscriptions and invoices ----------------------------------------------------------


class SubscriptionSerializer(ModelSerializer):
    class Meta:
        model = Subscription
        fields = [
            "id",
            "user_id",
            "plan_name",
            "plan_type",
            "status",
            "price_usd",
            "billing_cycle_start",
            "billing_cycle_end",
            "stripe_customer_id",
            "stripe_subscription_id",
            "features",
            "auto_renew",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "price_usd": {"min_value": 0},
            "billing_cycle_end": {"help_text": "After `billing_cycle_start` (else a 400)."},
        }


class SubscriptionChangeSerializer(SubscriptionSerializer):
    """A subscription changes everything but its subscriber."""

    class Meta(SubscriptionSerializer.Meta):
        read_only_fields = ["user_id", *SubscriptionSerializer.Meta.read_only_fields]


class InvoiceSerializer(ModelSerializer):
    subscription = serializers.PrimaryKeyRelatedField(
        queryset=Subscription.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "invoice_number",
            "user_id",
            "subscription",
            "amount_usd",
            "currency",
            "status",
            "description",
            "line_items",
            "issued_date",
            "due_date",
            "paid_date",
            "stripe_invoice_id",
            "metadata",
            "created_at",
            "updated_at",
        ]
        # A new invoice is a draft; its status moves by POST .../status/.
        read_only_fields = ["status", "issued_date", "paid_date", "created_at", "updated_at"]
        extra_kwargs = {
            "invoice_number": {"min_length": 1, "validators": []},
            "amount_usd": {"min_value": 0},
            "currency": {"help_text": "An ISO 4217 code in capitals, e.g. USD."},
        }


class InvoiceStatusSerializer(Serializer):
    status = serializers.ChoiceField(
        choices=InvoiceStatus.choices,
        help_text="draft → sent → paid or overdue; overdue → paid; "
        "draft, sent or overdue → cancelled.",
    )


# LLM usage ---------------------------------------------------------------------------


class LLMUsageSerializer(ModelSerializer):
    project = serializers.UUIDField(
        source="project_id",
        required=False,
        allow_null=True,
        help_text="A project you can see, or none.",
    )

    class Meta:
        model = LLMUsage
        fields = [
            "id",
            "user_id",
            "project",
            "model_name",
            "operation_type",
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "cost_usd",
            "latency_ms",
            "status",
            "error_message",
            "metadata",
            "created_at",
        ]
        read_only_fields = ["user_id", "total_tokens", "created_at"]
        extra_kwargs = {
            "model_name": {"min_length": 1},
            "input_tokens": {"min_value": 0},
            "output_tokens": {"min_value": 0},
            "cost_usd": {"min_value": 0},
            "latency_ms": {"min_value": 0},
        }


class UsageSummaryQuerySerializer(QuerySerializer):
    group_by = serializers.ChoiceField(
        choices=[group.value for group in UsageGroup], default=UsageGroup.MODEL
    )
    since = serializers.DateTimeField(
        required=False, help_text="From this moment (included); not after `to` (else a 400)."
    )
    to = serializers.DateTimeField(required=False, help_text="Up to this moment (excluded).")
    user = serializers.UUIDField(
        required=False, help_text="Another user's usage (needs metrics_view)."
    )
    all = serializers.BooleanField(
        default=False, help_text="Everyone's usage (needs metrics_view)."
    )

    def get_fields(self):
        # ``from`` is a Python keyword: declared as ``since``, named ``from``.
        fields = super().get_fields()
        fields["from"] = fields.pop("since")
        return fields

    def validate(self, data):
        check_query_values(data)
        if "from" in data and "to" in data and data["from"] > data["to"]:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        return data


class UsageGroupField(serializers.CharField):
    def to_representation(self, value):
        return value.strftime("%Y-%m") if isinstance(value, datetime) else str(value)


class UsageSummarySerializer(Serializer):
    group = UsageGroupField(
        allow_null=True,
        help_text="The model name, project id, month (YYYY-MM, UTC) or user id; "
        "null for usage outside any project.",
    )
    calls = serializers.IntegerField()
    input_tokens = serializers.IntegerField(source="input_sum")
    output_tokens = serializers.IntegerField(source="output_sum")
    total_tokens = serializers.IntegerField(source="total_sum")
    cost_usd = serializers.DecimalField(source="cost_sum", max_digits=20, decimal_places=6)
