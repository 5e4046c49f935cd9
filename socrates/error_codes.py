"""The error codes every app shares; each app adds its own in ``<app>/error_codes.py``.

A code is part of the API: clients branch on it, so it never changes once shipped.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "invalid"
    BAD_REQUEST = "bad_request"
    NOT_AUTHENTICATED = "not_authenticated"
    PERMISSION_DENIED = "permission_denied"
    ACCESS_LEVEL_TOO_LOW = "access_level_too_low"
    CSRF_FAILED = "csrf_failed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    SERVER_ERROR = "server_error"
    UNAVAILABLE = "unavailable"
    UNKNOWN_USER = "unknown_user"
