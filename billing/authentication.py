"""Requests that prove who they are with a platform API key (``X-API-Key``)."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts.selectors import user_with_generation
from billing import keys, selectors, services
from billing.error_codes import BillingErrorCode
from billing.models import APIKeyStatus
from billing.tiers import tier_of_plans

HEADER = "X-API-Key"


class LimitReached(exceptions.Throttled):
    """429 with ``Retry-After``, worded by the service that refused."""

    def __init__(self, refusal: services.RequestLimitReached):
        exceptions.APIException.__init__(self, refusal.message, refusal.code)
        self.wait = refusal.retry_after


class APIKeyAuthentication(BaseAuthentication):
    """The key is found by its hash, refused when revoked, expired or its user
    may not sign in, held to its scope, then counted (one statement)."""

    def authenticate(self, request):
        secret = request.META.get("HTTP_X_API_KEY")
        if not secret:
            return None
        api_key = selectors.api_key_for_secret(secret)
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                "Unknown API key.", code=BillingErrorCode.API_KEY_INVALID
            )
        status = api_key.current_status
        if status == APIKeyStatus.REVOKED:
            raise exceptions.AuthenticationFailed(
                "This API key has been revoked.", code=BillingErrorCode.API_KEY_REVOKED
            )
        if status == APIKeyStatus.EXPIRED:
            raise exceptions.AuthenticationFailed(
                "This API key has expired.", code=BillingErrorCode.API_KEY_EXPIRED
            )
        user = user_with_generation(api_key.user_id)
        if user is None or not user.can_sign_in:
            raise exceptions.AuthenticationFailed(
                "The account of this API key may not sign in.",
                code=BillingErrorCode.API_KEY_INVALID,
            )
        if not keys.scope_allows(api_key.scope, request.method, request.path_info):
            raise exceptions.PermissionDenied(
                f"This API key's scope ({', '.join(api_key.scope) or 'none'}) "
                f"does not allow {request.method} here.",
                code=BillingErrorCode.API_KEY_SCOPE,
            )
        try:
            services.count_api_key_use(api_key=api_key, tier=tier_of_plans(api_key.active_plans))
        except services.RequestLimitReached as refusal:
            raise LimitReached(refusal) from None
        except services.KeyWithdrawn as refusal:
            raise exceptions.AuthenticationFailed(refusal.message, code=refusal.code) from None
        return user, api_key

    def authenticate_header(self, request):
        return HEADER
