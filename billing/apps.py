from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing import schema  # noqa: F401  (registers the OpenAPI auth scheme)
        from billing.models import Subscription
        from billing.selectors import subscriptions_within_reach
        from socrates.api.reach import register_reach

        register_reach(Subscription, subscriptions_within_reach)
