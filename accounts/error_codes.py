from enum import StrEnum


class AccountsErrorCode(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_DISABLED = "account_disabled"
    WRONG_PASSWORD = "wrong_password"
    HAS_AUDIT_ENTRIES = "has_audit_entries"
    USER_NOT_FOUND = "user_not_found"
    TOKEN_NOT_VALID = "token_not_valid"
    TOKEN_REVOKED = "token_revoked"
    BEYOND_OWN_PERMISSIONS = "beyond_own_permissions"
    ALREADY_SUSPENDED = "already_suspended"
    ALREADY_ACTIVE = "already_active"
    SYSTEM_ROLE = "system_role"
    SELF_GRANT = "self_grant"
    ALREADY_GRANTED = "already_granted"
