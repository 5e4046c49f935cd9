"""How requests prove who they are: JWT access tokens, and sessions for the
Django admin and the browsable API."""

from functools import lru_cache

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts import services
from accounts.error_codes import AccountsErrorCode
from accounts.selectors import user_with_generation
from accounts.throttles import login_attempt_allowed
from socrates.errors import DomainError

# Each process keeps the tokens it has checked, the least recently used
# dropped first: an active user's token is presented on every request.
KEPT_TOKENS = 10_000


@lru_cache(maxsize=KEPT_TOKENS)
def _signature_checked(raw_token: bytes) -> Token:
    # A token that fails raises, and is not kept.
    return JWTAuthentication().get_validated_token(raw_token)


class ActiveUserJWTAuthentication(JWTAuthentication):
    """An access token works while its user may sign in and its sign-in
    generation is current: one query loads the user and the generation, or
    none while the user is kept in memory (``accounts.user_cache``)."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        # Checking a token's signature and claims costs more than the rest of
        # a small request. Its claims are fixed by its signature, so a token
        # checked once is kept by its whole text, and only its expiry is
        # checked again; revocation is get_user's, on every request.
        token = _signature_checked(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())
        except TokenError:
            # Refused as any expired token is.
            return super().get_validated_token(raw_token)
        return token

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken("The token names no user.") from None
        user = user_with_generation(user_id)
        if user is None:
            raise AuthenticationFailed("User not found.", code=AccountsErrorCode.USER_NOT_FOUND)
        if not user.can_sign_in:
            raise AuthenticationFailed(
                f"This account is {user.status}.", code=AccountsErrorCode.ACCOUNT_DISABLED
            )
        if not services.is_current_generation(
            token=validated_token, user=user
        ) or validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed(
                "This session has ended (signed out everywhere, or the password changed).",
                code=AccountsErrorCode.TOKEN_REVOKED,
            )
        return user


class LoginBackend(ModelBackend):
    """Sign-in for the Django admin and the browsable API: the API's rules and
    throttles. A session ends when its user may no longer sign in, or when the
    user signs out everywhere (``User.get_session_auth_hash``)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        if request is not None and not login_attempt_allowed(
            Request(request, parsers=[FormParser()]), login_field="username"
        ):
            raise PermissionDenied("too many sign-in attempts")
        try:
            return services.authenticate(login=username, password=password)
        except DomainError:
            return None

    def user_can_authenticate(self, user):
        return user.can_sign_in

    def get_user(self, user_id):
        user = user_with_generation(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
