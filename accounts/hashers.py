"""Passwords hashed by the legacy backend (bare bcrypt), kept safe at rest.

Django's wrapped-hasher pattern: each legacy bcrypt hash is hashed again with
Argon2 by a data migration, so no weak hash stays in the table, and the old
password still works (bcrypt it with the stored salt, then check Argon2). The
first sign-in stores a plain Argon2 hash in its place.
"""

import bcrypt
from django.contrib.auth.hashers import Argon2PasswordHasher

# How passlib stored them: no Django "algorithm$" prefix.
LEGACY_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# "$2b$12$" and the 22 characters of bcrypt's salt; then 31 of its digest.
BCRYPT_SETTING_LENGTH = 29
BCRYPT_HASH_LENGTH = 60


class Argon2WrappedBCryptPasswordHasher(Argon2PasswordHasher):
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
