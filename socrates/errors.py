"""Errors that business rules raise, whoever calls them (API, admin, commands).

The API's exception handler turns each into its status code and the common
error body; the Django admin shows the message.
"""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class Unauthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class NotAllowed(DomainError):
    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
