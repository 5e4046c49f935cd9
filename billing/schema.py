"""OpenAPI description of API-key authentication (registered by BillingConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from billing.authentication import HEADER


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "billing.authentication.APIKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": HEADER}
