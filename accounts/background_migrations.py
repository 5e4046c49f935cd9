"""Accounts' background migrations (``socrates.background_migrations``),
registered in ``AccountsConfig.ready``."""

from django.db.models import Q, QuerySet

from accounts.hashers import LEGACY_BCRYPT_PREFIXES, Argon2WrappedBCryptPasswordHasher
from accounts.models import BackgroundMigrationProgress, User
from socrates.background_migrations import BackgroundMigration


def bare_bcrypt_hashes() -> Q:
    """Users whose password is still a hash the legacy backend wrote."""
    legacy = Q()
    for prefix in LEGACY_BCRYPT_PREFIXES:
        legacy |= Q(password__startswith=prefix)
    return legacy


class WrapLegacyBcryptHashes(BackgroundMigration):
    """Wraps every bare bcrypt hash in Argon2 (``accounts.hashers``), so that no
    weak hash stays at rest; the old password still signs in, before and after.

    One Argon2 hash per user (a few tenths of a second): computed outside the
    batch's transaction, so no user's row is locked while it runs. Queued by
    migration 0008 where such hashes exist.
    """

    name = "wrap_legacy_bcrypt_hashes"
    progress_model = BackgroundMigrationProgress
    fields = ("password",)

    def rows(self) -> QuerySet:
        return User.objects.filter(bare_bcrypt_hashes())

    def prepare(self, rows: list[tuple]) -> list[tuple]:
        hasher = Argon2WrappedBCryptPasswordHasher()
        wrapped = []
        for pk, password in rows:
            try:
                wrapped.append((pk, password, hasher.wrap(password)))
            except ValueError:
                # Malformed: it matches no password (User.check_password), and
                # wrapping it would not make it one.
                continue
        return wrapped

    def apply(self, prepared: list[tuple]) -> int:
        # Only where unchanged meanwhile: a sign-in may have rehashed it.
        return sum(
            User.objects.filter(pk=pk, password=password).update(password=wrapped)
            for pk, password, wrapped in prepared
        )
