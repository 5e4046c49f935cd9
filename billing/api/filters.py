"""Filters of billing."""

import django_filters

from billing.models import Invoice, LLMUsage, Subscription
from socrates.api.filters import FilterSet

# Subscriptions and invoices ----------------------------------------------------------


class SubscriptionFilter(FilterSet):
    class Meta:
        model = Subscription
        fields = ["user_id", "status", "plan_name"]


class InvoiceFilter(FilterSet):
    # By id, so that a subscription nobody shows you is simply not matched.
    subscription = django_filters.UUIDFilter(field_name="subscription_id")
    issued_after = django_filters.IsoDateTimeFilter(field_name="issued_date", lookup_expr="gte")
    issued_before = django_filters.IsoDateTimeFilter(field_name="issued_date", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_date", lookup_expr="lt")

    class Meta:
        model = Invoice
        fields = ["user_id", "status", "subscription", "currency"]


# LLM usage ---------------------------------------------------------------------------


class LLMUsageFilter(FilterSet):
    project = django_filters.UUIDFilter(field_name="project_id")

    class Meta:
        model = LLMUsage
        fields = ["model_name", "operation_type", "status", "project"]
