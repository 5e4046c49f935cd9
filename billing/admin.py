"""The Django admin for billing.

Subscriptions and invoices change through billing.services, so the admin
follows the API's rules and writes the same audit log; LLM usage is read-only.
Who may see and change what follows the admin permission codes
(``accounts.models.DJANGO_ADMIN_PERMISSIONS``).
"""

from django.contrib import admin

from accounts.services import AuditContext
from billing import selectors, services
from billing.models import APIKey, APIKeyStatus, Invoice, LLMUsage, Subscription
from collaboration.services import ActivityContext
from socrates.admin import ReadOnlyAdmin, ServiceBackedAdmin


class BillingAdmin(ServiceBackedAdmin):
    ordering = ["-created_at"]
    date_hierarchy = "created_at"

    def action_context(self, request) -> AuditContext:
        return AuditContext.from_request(request)

    def has_delete_permission(self, request, obj=None):
        # Billing rows are history: they change state, they are not deleted.
        return False


SUBSCRIPTION_FIELDS = [
    "user_id",
    "plan_name",
    "plan_type",
    "status",
    "price_usd",
    "billing_cycle_start",
    "billing_cycle_end",
    "auto_renew",
    "stripe_customer_id",
    "stripe_subscription_id",
    "features",
    "metadata",
]


@admin.register(Subscription)
class SubscriptionAdmin(BillingAdmin):
    list_display = ["user_id", "plan_name", "status", "price_usd", "billing_cycle_end"]
    list_filter = ["plan_name", "status", "plan_type", "auto_renew"]
    search_fields = ["user_id", "stripe_customer_id", "stripe_subscription_id"]
    fields = SUBSCRIPTION_FIELDS

    def get_readonly_fields(self, request, obj=None):
        # The subscriber never changes (billing.services.update_subscription).
        return ["user_id"] if obj else []

    def save_model(self, request, obj, form, change):
        context = self.action_context(request)
        if change:
            services.update_subscription(
                context=context,
                subscription=Subscription.objects.get(pk=obj.pk),
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
            return
        data = {name: form.cleaned_data[name] for name in SUBSCRIPTION_FIELDS}
        self.saved_as(obj, services.create_subscription(context=context, **data))


INVOICE_FIELDS = [
    "user_id",
    "subscription",
    "invoice_number",
    "amount_usd",
    "currency",
    "description",
    "line_items",
    "due_date",
    "stripe_invoice_id",
    "metadata",
]


@admin.register(Invoice)
class InvoiceAdmin(BillingAdmin):
    """An invoice is written once; after that only its status moves (along
    billing.services.INVOICE_TRANSITIONS)."""

    list_display = ["invoice_number", "user_id", "amount_usd", "currency", "status", "due_date"]
    list_filter = ["status", "currency"]
    search_fields = ["invoice_number", "user_id", "stripe_invoice_id"]
    raw_id_fields = ["subscription"]
    change_fields = ["status", *INVOICE_FIELDS, "issued_date", "paid_date"]

    def get_fields(self, request, obj=None):
        return self.change_fields if obj else INVOICE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.change_fields if name != "status"] if obj else []

    def save_model(self, request, obj, form, change):
        context = self.action_context(request)
        if change:
            if "status" in form.changed_data:
                services.change_invoice_status(
                    context=context, invoice=obj, status=form.cleaned_data["status"]
                )
            return
        data = {name: form.cleaned_data[name] for name in INVOICE_FIELDS}
        self.saved_as(obj, services.create_invoice(context=context, **data))


@admin.register(LLMUsage)
class LLMUsageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user_id",
        "model_name",
        "operation_type",
        "total_tokens",
        "cost_usd",
        "status",
    ]
    list_filter = ["status"]
    search_fields = ["model_name", "operation_type", "user_id"]
    ordering = ["-created_at"]
    date_hierarchy = "created_at"


class APIKeyStatusFilter(admin.SimpleListFilter):
    """By the status a key is shown with (an active key past its expiry is
    expired), as the API filters."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return APIKeyStatus.choices

    def queryset(self, request, queryset):
        if self.value() not in APIKeyStatus.values:
            return queryset
        return selectors.api_keys_in_status(queryset, self.value())


@admin.register(APIKey)
class APIKeyAdmin(ServiceBackedAdmin):
    """Keys are made by their owners through the API, the only place the full
    key is ever shown; here they are read and revoked. The hash is never shown."""

    list_display = [
        "name",
        "user_id",
        "key_preview",
        "current_status",
        "scope",
        "usage_count",
        "last_used_at",
        "expires_at",
    ]
    list_filter = [APIKeyStatusFilter]
    search_fields = ["name", "key_preview", "user_id"]
    ordering = ["-created_at"]
    date_hierarchy = "created_at"
    fields = [
        "name",
        "user_id",
        "key_preview",
        "current_status",
        "scope",
        "rate_limit",
        "usage_count",
        "last_used_at",
        "expires_at",
        "metadata",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def action_context(self, request) -> ActivityContext:
        return ActivityContext.from_request(request)

    @admin.display(description="status", ordering="status")
    def current_status(self, api_key: APIKey) -> str:
        return api_key.current_status

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("billing.change_apikey")

    @admin.action(description="Revoke the selected keys", permissions=["revoke"])
    def revoke(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda context, api_key: services.revoke_api_key(context=context, api_key=api_key),
            "Revoked",
        )
