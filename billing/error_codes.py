from enum import StrEnum


class BillingErrorCode(StrEnum):
    PLAN_LIMIT_REACHED = "plan_limit_reached"
    DAILY_LIMIT_REACHED = "daily_limit_reached"
    RATE_LIMITED = "rate_limited"
    API_KEY_INVALID = "api_key_invalid"
    API_KEY_REVOKED = "api_key_revoked"
    API_KEY_EXPIRED = "api_key_expired"
    API_KEY_SCOPE = "api_key_scope"
    ALREADY_REVOKED = "already_revoked"
    DUPLICATE_INVOICE_NUMBER = "duplicate_invoice_number"
    INVOICE_STATUS_TRANSITION = "invoice_status_transition"
    SUBSCRIPTION_OF_ANOTHER_USER = "subscription_of_another_user"
