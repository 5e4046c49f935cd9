"""How often a login name, an address or an account may try: the rates of the
API's views and of the admin's sign-in form (``accounts.authentication``)."""

import hashlib

from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle


class LoginNameThrottle(SimpleRateThrottle):
    """Limits attempts on one login name, from however many addresses.

    The view names the field that carries the login (``login_field``).
    """

    scope = "login_name"

    def get_cache_key(self, request, view):
        login = request.data.get(view.login_field) if hasattr(request.data, "get") else None
        if not isinstance(login, str) or not login.strip():
            return None
        # Hashed: any length or character is a valid cache key.
        ident = hashlib.sha256(login.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


LOGIN_THROTTLES = (ScopedRateThrottle, LoginNameThrottle)


class PasswordCheckAddressThrottle(SimpleRateThrottle):
    """Password checks of signed-in users (change password, delete account), per address."""

    scope = "password_check"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordCheckUserThrottle(SimpleRateThrottle):
    """The same per account, so that a stolen access token can't guess the
    password from many addresses."""

    scope = "password_check_user"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


PASSWORD_CHECK_THROTTLES = (PasswordCheckAddressThrottle, PasswordCheckUserThrottle)


class LoginAttempt:
    """What the throttles need to know of a login attempt outside DRF views."""

    throttle_scope = "login"

    def __init__(self, login_field: str):
        self.login_field = login_field


def login_attempt_allowed(drf_request, login_field: str) -> bool:
    """Counts one attempt against both login throttles (the admin's login form)."""
    attempt = LoginAttempt(login_field)
    return all(throttle().allow_request(drf_request, attempt) for throttle in LOGIN_THROTTLES)
