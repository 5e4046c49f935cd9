from django.urls import path
from rest_framework.routers import SimpleRouter

from billing.api import views

app_name = "billing"

router = SimpleRouter(use_regex_path=False)
router.register("api-keys", views.APIKeyViewSet, basename="api-key")
router.register("billing/subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("billing/invoices", views.InvoiceViewSet, basename="invoice")
router.register("usage", views.LLMUsageViewSet, basename="llm-usage")

urlpatterns = [
    path("billing/plan/", views.PlanView.as_view(), name="plan"),
    *router.urls,
]

# Entries of the API root (socrates.urls).
root_links = {
    "api-keys": "billing:api-key-list",
    "plan": "billing:plan",
    "subscriptions": "billing:subscription-list",
    "invoices": "billing:invoice-list",
    "usage": "billing:llm-usage-list",
}
