"""Reads of accounts data shared by services, authentication and views."""

from accounts.models import User


def find_user_by_login(login: str) -> User | None:
    """Login names are an e-mail or a username, either in any case (both are
    unique ignoring case, served by their UPPER() indexes)."""
    lookup = {"email__iexact": login} if "@" in login else {"username__iexact": login}
    return User.objects.filter(**lookup).first()


def user_with_generation(user_id) -> User | None:
    """The user with their sign-in generation, in one query."""
    return User.objects.select_related("token_generation").filter(pk=user_id).first()
