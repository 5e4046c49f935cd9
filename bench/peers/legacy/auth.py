"""Who makes a request: a JWT access token (the project's simplejwt settings and
``ActiveUserJWTAuthentication``), else a platform API key (``X-API-Key``, the
project's ``APIKeyAuthentication``), tried in that order as DRF tries them."""

import hashlib
import os
import uuid
from datetime import UTC, datetime
from typing import Annotated

import jwt
from fastapi import Depends, Request
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.peers.legacy.db import AuthDb, SpecsDb
from bench.peers.legacy.errors import ApiError
from bench.peers.legacy.models import APIKey, Subscription, User

SECRET_KEY = os.environ["SECRET_KEY"]
ALGORITHM = "HS256"
# simplejwt's claims: the user, the token's type and id, the password digest
# (CHECK_REVOKE_TOKEN), and the project's sign-in generation.
USER_ID_CLAIM = "user_id"
REVOKE_TOKEN_CLAIM = "hash_password"
GENERATION_CLAIM = "gen"

INVALID_TOKEN = ApiError(401, "Given token not valid for any token type", "token_not_valid")

# The plans whose daily API requests are limited (billing/tiers.py); the rest
# (team, enterprise) are unlimited. No active subscription means free.
TIER_RANK = {"free": 0, "starter": 0, "pro": 1, "professional": 1, "team": 2, "enterprise": 3}
REQUESTS_PER_DAY = {0: 1_000, 1: 100_000, 2: None, 3: None}

# billing/services.py COUNT_KEY_USE, as is: the key's minute window, the user's
# day window, and the key's use, in one statement (outside any transaction).
# Colons of a cast are escaped: text() would read ":per_minute:" as a parameter.
COUNT_KEY_USE = text(
    r"""
WITH minute AS (
    INSERT INTO api_request_windows AS w (subject_id, span, started_at, requests)
    VALUES (:key_id, 'minute', date_trunc('minute', now()), 1)
    ON CONFLICT (subject_id, span) DO UPDATE SET
        requests = CASE WHEN w.started_at = EXCLUDED.started_at THEN w.requests + 1 ELSE 1 END,
        started_at = EXCLUDED.started_at
    RETURNING requests
), day AS (
    INSERT INTO api_request_windows AS w (subject_id, span, started_at, requests)
    SELECT :user_id, 'day', date_trunc('day', now(), 'UTC'), 1
    WHERE :per_minute\:\:integer IS NULL OR (SELECT requests FROM minute) <= :per_minute
    ON CONFLICT (subject_id, span) DO UPDATE SET
        requests = CASE WHEN w.started_at = EXCLUDED.started_at THEN w.requests + 1 ELSE 1 END,
        started_at = EXCLUDED.started_at
    RETURNING requests
), used AS (
    UPDATE api_keys SET usage_count = usage_count + 1, last_used_at = now(), updated_at = now()
    WHERE id = :key_id AND status = 'active'
      AND (SELECT requests FROM day) IS NOT NULL
      AND (:per_day\:\:integer IS NULL OR (SELECT requests FROM day) <= :per_day)
    RETURNING usage_count
)
SELECT (SELECT requests FROM minute), (SELECT requests FROM day), (SELECT usage_count FROM used)
"""
)


def user_with_generation(db: Session, user_id) -> User | None:
    """The user and their sign-in generation, in one query (a LEFT JOIN)."""
    return db.scalars(select(User).where(User.id == user_id).limit(1)).first()


def _access_token_claims(raw: str) -> dict:
    try:
        claims = jwt.decode(raw, SECRET_KEY, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.InvalidTokenError:
        raise INVALID_TOKEN from None
    if "jti" not in claims or claims.get("token_type") != "access":
        raise INVALID_TOKEN
    return claims


def _jwt_user(db: Session, raw: str) -> User:
    claims = _access_token_claims(raw)
    if USER_ID_CLAIM not in claims:
        raise ApiError(401, "The token names no user.", "token_not_valid")
    try:
        user_id = uuid.UUID(str(claims[USER_ID_CLAIM]))
    except ValueError:
        raise ApiError(401, "User not found.", "user_not_found") from None
    user = user_with_generation(db, user_id)
    if user is None:
        raise ApiError(401, "User not found.", "user_not_found")
    if not user.can_sign_in:
        raise ApiError(401, f"This account is {user.status}.", "account_disabled")
    password_digest = hashlib.md5(user.hashed_password.encode()).hexdigest().upper()
    if (
        claims.get(GENERATION_CLAIM, 0) != user.generation
        or claims.get(REVOKE_TOKEN_CLAIM) != password_digest
    ):
        raise ApiError(
            401,
            "This session has ended (signed out everywhere, or the password changed).",
            "token_revoked",
        )
    return user


def _scope_allows(scope: list[str] | None, method: str, path: str) -> bool:
    """billing/keys.py scope_allows."""
    granted = set(scope or ())
    if "admin" in granted:
        return True
    rest = path.removeprefix("/api/v1/") if path.startswith("/api/v1/") else None
    family = (rest.split("/", 1)[0] or None) if rest is not None else None
    reading = method in {"GET", "HEAD", "OPTIONS"}
    if family in {"admin", "api-keys", "auth"}:
        return reading and bool(granted & {"read", "write"})
    if ("read" in granted and reading) or "write" in granted:
        return True
    return f"{family}:write" in granted or (reading and f"{family}:read" in granted)


def _api_key_user(request: Request, db: Session, specs: Session, secret: str) -> User:
    active_plans = func.array(
        select(Subscription.plan_name)
        .where(Subscription.status == "active", Subscription.user_id == APIKey.user_id)
        .scalar_subquery()
    )
    found = specs.execute(
        select(APIKey, active_plans)
        .where(APIKey.key_hash == hashlib.sha256(secret.encode()).hexdigest())
        .limit(1)
    ).first()
    if found is None:
        raise ApiError(401, "Unknown API key.", "api_key_invalid")
    api_key, plans = found
    if api_key.status == "revoked":
        raise ApiError(401, "This API key has been revoked.", "api_key_revoked")
    if api_key.status == "expired" or (
        api_key.expires_at is not None and api_key.expires_at <= datetime.now(UTC)
    ):
        raise ApiError(401, "This API key has expired.", "api_key_expired")
    user = user_with_generation(db, api_key.user_id)
    if user is None or not user.can_sign_in:
        raise ApiError(401, "The account of this API key may not sign in.", "api_key_invalid")
    if not _scope_allows(api_key.scope, request.method, request.url.path):
        raise ApiError(
            403,
            f"This API key's scope ({', '.join(api_key.scope or ()) or 'none'}) "
            f"does not allow {request.method} here.",
            "api_key_scope",
        )
    tier = max((TIER_RANK[name] for name in plans), default=0)
    per_day = REQUESTS_PER_DAY[tier]
    minute, day, usage_count = specs.execute(
        COUNT_KEY_USE,
        {
            "key_id": str(api_key.id),
            "user_id": str(api_key.user_id),
            "per_minute": api_key.rate_limit,
            "per_day": per_day,
        },
    ).one()
    if usage_count is None:
        # Over a limit, or the key withdrawn meanwhile: the project answers
        # 429 with Retry-After or 401; the benchmark's key has no limits.
        if api_key.rate_limit is not None and minute > api_key.rate_limit:
            raise ApiError(429, "Request was throttled.", "rate_limited")
        if per_day is not None and day > per_day:
            raise ApiError(429, "Request was throttled.", "daily_limit_reached")
        raise ApiError(401, "This API key has been revoked.", "api_key_revoked")
    return user


def authenticated(request: Request, db: AuthDb, specs: SpecsDb) -> User:
    """The caller, or a 401. ``specs`` is touched (a connection checked out)
    only for an API key."""
    header = request.headers.get("authorization")
    if header is not None:
        parts = header.split()
        if parts and parts[0] == "Bearer":
            if len(parts) != 2:
                raise ApiError(
                    401,
                    "Authorization header must contain two space-delimited values",
                    "bad_authorization_header",
                )
            return _jwt_user(db, parts[1])
    secret = request.headers.get("x-api-key")
    if secret:
        return _api_key_user(request, db, specs, secret)
    raise ApiError(401, "Authentication credentials were not provided.", "not_authenticated")


CurrentUser = Annotated[User, Depends(authenticated)]
