"""How requests prove who they are: JWT access tokens, and sessions for the admin."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts import services
from accounts.api.throttling import login_attempt_allowed
from socrates.errors import DomainError


class ActiveUserJWTAuthentication(JWTAuthentication):
    """simplejwt checks ``is_active`` only; a suspended or deleted status counts too."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not user.can_sign_in:
            raise AuthenticationFailed(f"This account is {user.status}.", code="account_disabled")
        return user


class LoginBackend(ModelBackend):
    """Sign-in for the Django admin's login form: the API's rules and throttles.

    A session also ends when its user may no longer sign in.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        if request is not None and not login_attempt_allowed(
            Request(request, parsers=[FormParser()]), login_field="username"
        ):
            raise PermissionDenied("too many sign-in attempts")
        try:
            return services.authenticate(username, password)
        except DomainError:
            return None

    def user_can_authenticate(self, user):
        return user.can_sign_in
