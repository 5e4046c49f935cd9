"""What a platform API key is made of, and what its scope lets a request do."""

import hashlib
import secrets

from rest_framework.permissions import SAFE_METHODS

API_PREFIX = "/api/v1/"
KEY_PREFIX = "sk_"
PREVIEW_LENGTH = 4

READ = "read"
WRITE = "write"
ADMIN = "admin"

# The first path segment under /api/v1/ names a resource family; a scope
# such as ``projects:read`` narrows a key to one of them.
RESOURCE_FAMILIES = frozenset(
    {
        "activity",
        "analytics",
        "billing",
        "invitations",
        "knowledge-base",
        "notification-preferences",
        "projects",
        "teams",
        "usage",
    }
)
# Families where a key could raise its own powers or lock its owner out
# (new keys, passwords, sessions, admin roles): only an ``admin`` key writes there.
GUARDED_FAMILIES = frozenset({"admin", "api-keys", "auth"})

SCOPES = frozenset(
    {READ, WRITE, ADMIN}
    | {f"{family}:{access}" for family in RESOURCE_FAMILIES for access in (READ, WRITE)}
)


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    # A key holds 256 random bits, so a fast hash is as safe as a slow one
    # and keeps the lookup to one indexed equality.
    return hashlib.sha256(secret.encode()).hexdigest()


def family_of(path: str) -> str | None:
    if not path.startswith(API_PREFIX):
        return None
    return path[len(API_PREFIX) :].split("/", 1)[0] or None


def scope_allows(scope, method: str, path: str) -> bool:
    """Whether a key of ``scope`` may make this request (before the user's own
    rights, which apply as to any request of theirs)."""
    granted = set(scope or ())
    if ADMIN in granted:
        return True
    family = family_of(path)
    reading = method in SAFE_METHODS
    if family in GUARDED_FAMILIES:
        return reading and bool(granted & {READ, WRITE})
    if (READ in granted and reading) or WRITE in granted:
        return True
    return f"{family}:{WRITE}" in granted or (reading and f"{family}:{READ}" in granted)
