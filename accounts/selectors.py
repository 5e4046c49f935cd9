"""Reads of accounts data shared by services, authentication and views."""

from collections.abc import Mapping

from django.db import router
from django.db.models import QuerySet

from accounts.models import AdminPermission, AdminRole, TokenGeneration, User
from accounts.user_cache import UserCache
from socrates.db.prepared import PreparedStatement, columns_of


def find_user_by_login(login: str) -> User | None:
    """Login names are an e-mail or a username, either in any case (both are
    unique ignoring case, served by their UPPER() indexes)."""
    lookup = {"email__iexact": login} if "@" in login else {"username__iexact": login}
    return User.objects.filter(**lookup).first()


# Run for every authenticated request, so written once as SQL (composing it
# with the ORM, select_related, cost more than running it) and prepared.
USER_WITH_GENERATION = PreparedStatement(
    "user_with_generation",
    User,
    f"""
    SELECT {columns_of(User)}, user_token_generations.generation AS current_generation
    FROM users LEFT JOIN user_token_generations ON user_token_generations.user_id = users.id
    WHERE users.id = %s
    """,
    ("uuid",),
)


KEPT_USERS = UserCache(router.db_for_read(User))


def user_with_generation(user_id) -> User | None:
    """The user with their sign-in generation (``user.token_generation``,
    read without a query): in one query, or none while the user is kept
    unchanged in memory (``accounts.user_cache``)."""
    found = KEPT_USERS.row(user_id, lambda: USER_WITH_GENERATION.fetch([user_id]))
    if found is None:
        return None
    user = USER_WITH_GENERATION.instance(*found)
    generation = None
    if user.current_generation is not None:
        generation = TokenGeneration(user=user, generation=user.current_generation)
    # What select_related("token_generation") leaves: the row, or None for no row.
    User.token_generation.related.set_cached_value(user, generation)
    return user


def grantable_roles(user, url_keywords: Mapping) -> QuerySet[AdminRole]:
    """The admin roles a caller may name in a grant: every role, for those who
    manage roles; none for anyone else."""
    if AdminPermission.ADMIN_ROLES_MANAGE in user.held_admin_permissions:
        return AdminRole.objects.all()
    return AdminRole.objects.none()
