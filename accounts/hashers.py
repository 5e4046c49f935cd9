"""Passwords hashed by the legacy backend (bare bcrypt), kept safe at rest.

Django's wrapped-hasher pattern: each legacy bcrypt hash is hashed again with
Argon2 by a data migration, so no weak hash stays in the table, and the old
password still works (bcrypt it with the stored salt, then check Argon2). The
first sign-in stores a plain Argon2 hash in its place.

A wrong password must cost the same whatever account it is tried on, or the
time of a failed sign-in would tell which accounts are legacy ones: every
failure that has not already run bcrypt runs one at the legacy backend's cost
(``LEGACY_BCRYPT_ROUNDS``), so each costs one bcrypt and one Argon2 hash.
Django's own hasher upgrades leave this gap open (``verify_password`` only
hardens the runtime when the hasher did not change).
"""

import bcrypt
from django.conf import settings
from django.contrib.auth import hashers

# How passlib stored them: no Django "algorithm$" prefix.
LEGACY_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# "$2b$12$" and the 22 characters of bcrypt's salt; then 31 of its digest.
BCRYPT_SETTING_LENGTH = 29
BCRYPT_HASH_LENGTH = 60


def spend_legacy_bcrypt_time(password: str) -> None:
    """The bcrypt work a wrapped legacy hash costs, for a check that failed without it."""
    setting = b"$2b$%02d$" % settings.LEGACY_BCRYPT_ROUNDS + b"." * 22
    bcrypt.hashpw(password.encode()[:72], setting)


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Django's Argon2, whose failures cost what a wrapped legacy hash's do."""

    def verify(self, password, encoded):
        if super().verify(password, encoded):
            return True
        spend_legacy_bcrypt_time(password)
        return False


class Argon2WrappedBCryptPasswordHasher(hashers.Argon2PasswordHasher):
    """``argon2_bcrypt$<variant>:<cost>:<bcrypt salt>$<Argon2 of the bcrypt hash>``.

    bcrypt's alphabet has no ":", so its setting sits in one ``$`` field.
    """

    algorithm = "argon2_bcrypt"

    def wrap(self, bcrypt_hash: str) -> str:
        """Raises ValueError for anything but a well-formed bcrypt hash."""
        if len(bcrypt_hash) != BCRYPT_HASH_LENGTH:
            raise ValueError("not a bcrypt hash")
        setting = bcrypt_hash[:BCRYPT_SETTING_LENGTH]
        _, variant, cost, salt = setting.split("$")
        wrapped = super().encode(bcrypt_hash, self.salt())
        return wrapped.replace(
            f"{self.algorithm}$", f"{self.algorithm}${variant}:{cost}:{salt}$", 1
        )

    def _unwrap(self, encoded: str) -> tuple[bytes, str]:
        algorithm, setting, argon2_part = encoded.split("$", 2)
        variant, cost, salt = setting.split(":")
        return f"${variant}${cost}${salt}".encode(), f"{algorithm}${argon2_part}"

    def verify(self, password, encoded):
        setting, argon2_hash = self._unwrap(encoded)
        # bcrypt reads at most 72 bytes, as the legacy backend did.
        bcrypt_hash = bcrypt.hashpw(password.encode()[:72], setting).decode()
        return super().verify(bcrypt_hash, argon2_hash)

    def decode(self, encoded):
        return super().decode(self._unwrap(encoded)[1])

    def must_update(self, encoded):
        return True
