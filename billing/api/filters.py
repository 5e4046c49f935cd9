"""Filters of billing."""

import django_filters

from billing import selectors
from billing.models import APIKey, APIKeyStatus, Invoice, LLMUsage, Subscription
from socrates.api.filters import FilterSet


class APIKeyFilter(FilterSet):
    # By the status a key is shown with, not the stored one.
    status = django_filters.ChoiceFilter(choices=APIKeyStatus.choices, method="filter_status")

    class Meta:
        model = APIKey
        fields = ["status"]

    def filter_status(self, queryset, name, value):
        return selectors.api_keys_in_status(queryset, value)


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
