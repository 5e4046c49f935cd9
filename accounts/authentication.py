"""How requests prove who they are: JWT access tokens, and sessions for the admin."""

from django.contrib.auth.backends import ModelBackend
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.models import User
from accounts.services import find_user_by_login


class ActiveUserJWTAuthentication(JWTAuthentication):
    """simplejwt checks ``is_active`` only; a suspended or deleted status counts too."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not user.can_sign_in:
            raise AuthenticationFailed(f"This account is {user.status}.", code="account_disabled")
        return user


class LoginBackend(ModelBackend):
    """Sign-in by e-mail or username (the Django admin's login form uses this).

    The same rule as the API decides who may sign in, and a session ends when
    its user is suspended.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = find_user_by_login(username)
        if user is None:
            User().set_password(password)  # as slow as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user):
        return user.can_sign_in
