"""Errors that business rules raise, whoever calls them (API, admin, commands).

The API's exception handler turns each into its status code and the common
error body; the Django admin shows the message.
"""

from socrates.error_codes import ErrorCode


class DomainError(Exception):
    status_code = 400
    code = ErrorCode.INVALID

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class Unauthenticated(DomainError):
    status_code = 401
    code = ErrorCode.NOT_AUTHENTICATED


class NotAllowed(DomainError):
    status_code = 403
    code = ErrorCode.PERMISSION_DENIED


class NotFound(DomainError):
    status_code = 404
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    status_code = 409
    code = ErrorCode.CONFLICT
