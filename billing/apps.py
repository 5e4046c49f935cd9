from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing import schema  # noqa: F401  (registers the OpenAPI auth scheme)
