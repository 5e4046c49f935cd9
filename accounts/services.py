"""Account rules: credentials, the refresh-token lifecycle, and audited admin actions.

Everything here runs against the ``auth`` database. Views and the Django
admin call these functions; none of them touches a request beyond the
``AuditContext`` it is given.
"""

import base64
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from uuid import UUID

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
    validate_password,
)
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import F, ProtectedError
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken as JWTRefreshToken
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.error_codes import AccountsErrorCode
from accounts.hashers import spend_legacy_bcrypt_time
from accounts.models import (
    AdminAuditLog,
    AdminRole,
    AdminUser,
    AuditAction,
    RefreshToken,
    TokenGeneration,
    User,
    UserDeletion,
    UserStatus,
    token_generation_of,
)
from accounts.selectors import find_user_by_login
from socrates.api.clients import client_ip
from socrates.db.transactions import atomic_for
from socrates.errors import Conflict, NotAllowed, NotFound, Unauthenticated
from socrates.pause import pause_point
from socrates.user_deletion import apply_user_deletion

# Fields of a user that an audit entry records before and after a change.
AUDITED_USER_FIELDS = (
    "email",
    "username",
    "name",
    "surname",
    "role",
    "status",
    "is_active",
    "is_verified",
)
AUDITED_ROLE_FIELDS = ("name", "description", "permissions")
# What an admin may not change on their own account: they could lock
# themselves out, or promote themselves.
SELF_LOCKOUT_FIELDS = frozenset({"status", "is_active", "role"})


logger = logging.getLogger(__name__)

# Credentials ---------------------------------------------------------------


def authenticate(*, login: str, password: str) -> User:
    """Every sign-in (API, Django admin, browsable API) is decided, and logged, here."""
    user = find_user_by_login(login)
    if user is None:
        # Hash anyway, and spend a failure's bcrypt work, so that response
        # time doesn't tell which logins exist.
        User().set_password(password)
        spend_legacy_bcrypt_time(password)
    if user is None or not user.check_password(password):
        logger.info("sign-in refused: invalid credentials")
        raise Unauthenticated(
            "Invalid login or password.", code=AccountsErrorCode.INVALID_CREDENTIALS
        )
    if not user.can_sign_in:
        logger.info("sign-in refused: user %s is %s", user.pk, user.status)
        raise NotAllowed(f"This account is {user.status}.", code=AccountsErrorCode.ACCOUNT_DISABLED)
    logger.info("signed in: user %s", user.pk)
    return user


PASSWORD_MIN_LENGTH = max(
    (
        validator.min_length
        for validator in get_default_password_validators()
        if isinstance(validator, MinimumLengthValidator)
    ),
    default=1,
)
# Hashing is deliberately slow: an unbounded password would be a cheap way to
# make the server spend seconds on one request.
PASSWORD_MAX_LENGTH = 4096


def register_user(
    *, email: str, username: str, password: str, name: str | None = None, surname: str | None = None
) -> User:
    with atomic_for(User):
        user = User.objects.create_user(
            email=email, username=username, password=password, name=name, surname=surname
        )
    logger.info("registered: user %s", user.pk)
    return user


def update_profile(*, user: User, **changes) -> User:
    """A user's own changes to their profile. A new e-mail address is unverified."""
    if "email" in changes and changes["email"] != user.email:
        changes["is_verified"] = False
    for name, value in changes.items():
        setattr(user, name, value)
    with atomic_for(User):
        user.save(update_fields=[*changes, "updated_at"])
    return user


def validate_new_password(password: str, user: User) -> None:
    """Django's password validators, with the user's own details in view.

    Raises django.core.exceptions.ValidationError.
    """
    validate_password(password, user=user)


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise Unauthenticated(
            "The current password is wrong.",
            field="current_password",
            code=AccountsErrorCode.WRONG_PASSWORD,
        )
    with atomic_for(User):
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        sign_out_everywhere(user=user)


def delete_own_account(*, user: User, password: str) -> None:
    if not user.check_password(password):
        raise Unauthenticated(
            "The password is wrong.", field="password", code=AccountsErrorCode.WRONG_PASSWORD
        )
    _delete_user(user)


def _delete_user(user: User) -> None:
    try:
        with atomic_for(User):
            user.delete()
    except ProtectedError:
        raise Conflict(
            "This account made admin changes recorded in the audit log, which must keep "
            "naming it; suspend the account instead.",
            code=AccountsErrorCode.HAS_AUDIT_ENTRIES,
        ) from None


# User deletions reaching socrates_specs ----------------------------------------


def remember_user_deletion(*, user_id: UUID, using: str) -> None:
    """Called inside the transaction that deletes the user (post_delete), so
    that the deletion is recorded with it: ``drain_user_deletions`` applies its
    rules in socrates_specs (the task enqueued at commit, ``accounts.signals``,
    or beat's periodic sweep of whatever that task missed)."""
    UserDeletion.objects.using(using).create(user_id=user_id)


DRAIN_BATCH = 100


def drain_user_deletions(*, batch: int = DRAIN_BATCH) -> int:
    """Applies the deletion rules of every pending user deletion, a batch at a
    time, and marks them drained; returns how many were drained.

    Each batch is locked (SKIP LOCKED: drainers running at once take
    different batches) while its rules run and commit in socrates_specs. A
    crash before the batch is marked leaves it pending; running it again
    changes nothing more (``socrates.user_deletion``). When a batch fails,
    its deletions go one by one, so that one that keeps failing holds back
    no other; it stays pending, and the first error is raised at the end.
    """
    drained = 0
    failed: dict[int, DatabaseError] = {}
    while True:
        pending = UserDeletion.objects.pending().exclude(pk__in=failed)
        try:
            done = _drain_batch(pending, batch)
        except _BatchFailed as failure:
            if len(failure.pks) == 1:
                failed[failure.pks[0]] = failure.error
                continue
            for pk in failure.pks:
                try:
                    drained += _drain_batch(pending.filter(pk=pk), 1)
                except _BatchFailed as alone:
                    failed[pk] = alone.error
            continue
        if not done:
            break
        drained += done
    if failed:
        raise next(iter(failed.values()))
    return drained


class _BatchFailed(Exception):
    def __init__(self, pks: list[int], error: DatabaseError):
        super().__init__(str(error))
        self.pks = pks
        self.error = error


def _drain_batch(pending, size: int) -> int:
    entries: list[UserDeletion] = []
    try:
        with atomic_for(UserDeletion):
            entries = list(
                pending.select_for_update(skip_locked=True).order_by("deleted_at")[:size]
            )
            if entries:
                apply_user_deletion(sorted({entry.user_id for entry in entries}))
                # Tests stop a worker here: the rules committed, the batch not marked.
                pause_point("user_deletion_rules_applied")
                UserDeletion.objects.filter(pk__in=[entry.pk for entry in entries]).update(
                    drained_at=timezone.now(), attempts=F("attempts") + 1, last_error=None
                )
    except DatabaseError as error:
        if not entries:
            raise
        # Outside the batch's transaction, which has rolled back.
        UserDeletion.objects.filter(pk__in=[entry.pk for entry in entries]).update(
            attempts=F("attempts") + 1, last_error=str(error)[:2000]
        )
        raise _BatchFailed([entry.pk for entry in entries], error) from error
    return len(entries)


# Refresh tokens and sign-in generations ------------------------------------

GENERATION_CLAIM = "gen"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: datetime
    refresh_expires_at: datetime


def _locked_user(user_id) -> User:
    """The user's row, locked until the transaction ends.

    Every sign-in change takes this lock first (issuing, rotating, signing out
    everywhere), so they never interleave and never deadlock.
    """
    return User.objects.select_for_update().get(pk=user_id)


def issue_tokens(*, user: User) -> TokenPair:
    with atomic_for(User):
        user = _locked_user(user.pk)
        # A sign-out everywhere or a suspension that won the lock is seen here.
        if not user.can_sign_in:
            raise NotAllowed(
                f"This account is {user.status}.", code=AccountsErrorCode.ACCOUNT_DISABLED
            )
        refresh = JWTRefreshToken.for_user(user)
        # Copied into the access token: both die when the generation moves on.
        refresh[GENERATION_CLAIM] = _current_generation(user)
        access = refresh.access_token
        refresh_expires_at = datetime_from_epoch(refresh["exp"])
        RefreshToken.objects.create(
            user=user, token=RefreshToken.digest(str(refresh)), expires_at=refresh_expires_at
        )
    return TokenPair(
        access=str(access),
        refresh=str(refresh),
        access_expires_at=datetime_from_epoch(access["exp"]),
        refresh_expires_at=refresh_expires_at,
    )


def _current_generation(user: User) -> int:
    return (
        TokenGeneration.objects.filter(user=user).values_list("generation", flat=True).first() or 0
    )


def is_current_generation(*, token: Token, user: User) -> bool:
    """Whether a token was issued in the user's current sign-in generation
    (``user`` loaded by ``user_with_generation``)."""
    return token.get(GENERATION_CLAIM, 0) == token_generation_of(user)


def rotate_refresh_token(*, token: str) -> TokenPair:
    """Exchange a live refresh token for a new pair, revoking it.

    A revoked token presented again means it leaked (or a client replays it):
    every sign-in of its user ends. Within the reuse interval after its
    rotation it instead gets the same successor, so that two tabs refreshing
    at once are not taken for an attack.
    """
    _verify_signature(token)
    digest = RefreshToken.digest(token)
    owner_id = RefreshToken.objects.filter(token=digest).values_list("user_id", flat=True).first()
    if owner_id is None:
        raise Unauthenticated("Unknown refresh token.", code=AccountsErrorCode.TOKEN_NOT_VALID)
    with atomic_for(User):
        # The user's lock first, then the token's: the order every sign-in change keeps.
        user = _locked_user(owner_id)
        record = RefreshToken.objects.select_for_update().filter(token=digest).first()
        if record is None:  # purged meanwhile
            raise Unauthenticated("Unknown refresh token.", code=AccountsErrorCode.TOKEN_NOT_VALID)
        record.user = user
        if record.is_revoked:
            successor = _recent_successor(token, record)
            if successor is not None:
                return successor
            sign_out_everywhere(user=record.user)
            reused = True
        elif record.user.can_sign_in:
            record.is_revoked, record.revoked_at = True, timezone.now()
            record.save(update_fields=["is_revoked", "revoked_at", "updated_at"])
            successor = issue_tokens(user=record.user)
            _remember_successor(token, successor)
            return successor
        else:
            reused = False
    # Raised outside the transaction, so that the reuse revocation is kept.
    if reused:
        raise Unauthenticated(
            "This refresh token has been revoked; presenting it again signed out every "
            "session of the account.",
            code=AccountsErrorCode.TOKEN_REVOKED,
        )
    raise NotAllowed(
        f"This account is {record.user.status}.", code=AccountsErrorCode.ACCOUNT_DISABLED
    )


# The successor waits in the (shared) cache for the reuse interval, encrypted
# with a key derived from the old token, which the server never stores: only
# a holder of the old token can read it.
def _successor_key(token: str) -> str:
    return f"refresh-successor:{RefreshToken.digest(token)}"


def _successor_cipher(token: str) -> Fernet:
    key = hashlib.sha256(b"refresh-successor\x00" + token.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _remember_successor(token: str, successor: TokenPair) -> None:
    interval = settings.REFRESH_REUSE_INTERVAL_SECONDS
    if interval <= 0:
        return
    plain = json.dumps(asdict(successor), default=datetime.isoformat).encode()
    cache.set(_successor_key(token), _successor_cipher(token).encrypt(plain), timeout=interval)


def _recent_successor(token: str, record: RefreshToken) -> TokenPair | None:
    interval = timedelta(seconds=settings.REFRESH_REUSE_INTERVAL_SECONDS)
    if record.revoked_at is None or timezone.now() - record.revoked_at > interval:
        return None
    sealed = cache.get(_successor_key(token))
    if sealed is None:
        return None
    try:
        fields = json.loads(_successor_cipher(token).decrypt(sealed))
    except InvalidToken:
        return None
    successor = TokenPair(
        access=fields["access"],
        refresh=fields["refresh"],
        access_expires_at=datetime.fromisoformat(fields["access_expires_at"]),
        refresh_expires_at=datetime.fromisoformat(fields["refresh_expires_at"]),
    )
    # Not if the user has since signed out (everywhere, or that successor).
    live = RefreshToken.objects.filter(
        token=RefreshToken.digest(successor.refresh), is_revoked=False
    )
    return successor if live.exists() else None


def revoke_refresh_token(*, token: str) -> None:
    """Log out: revoke one refresh token (revoking it twice is harmless)."""
    revoked = RefreshToken.objects.filter(token=RefreshToken.digest(token))
    if not revoked.exists():
        raise Unauthenticated(
            "Unknown refresh token.", field="refresh", code=AccountsErrorCode.TOKEN_NOT_VALID
        )
    revoked.revoke()


def sign_out_everywhere(*, user: User) -> None:
    """End every sign-in of the user at once: refresh tokens, access tokens
    and sessions (log out everywhere, suspension, password change, reuse)."""
    with atomic_for(User):
        _locked_user(user.pk)
        RefreshToken.objects.filter(user=user).revoke()
        bumped = TokenGeneration.objects.filter(user=user).update(generation=F("generation") + 1)
        if not bumped:
            TokenGeneration.objects.create(user=user, generation=1)


def purge_expired_refresh_tokens(*, now: datetime | None = None) -> int:
    # Revoked tokens stay until they expire: reuse detection needs them.
    deleted, _ = RefreshToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def _verify_signature(token: str) -> None:
    try:
        JWTRefreshToken(token)
    except TokenError as exc:
        raise Unauthenticated(
            str(exc), field="refresh", code=AccountsErrorCode.TOKEN_NOT_VALID
        ) from None


# Audited admin actions --------------------------------------------------------


@dataclass(frozen=True)
class AuditContext:
    actor: User
    ip_address: str | None = None
    user_agent: str | None = None

    @classmethod
    def from_request(cls, request) -> "AuditContext":
        user_agent = request.META.get("HTTP_USER_AGENT") or None
        return cls(
            actor=request.user,
            ip_address=client_ip(request),
            user_agent=user_agent[:500] if user_agent else None,
        )

    def record(self, action: str, resource_type: str, resource_id, **changes) -> AdminAuditLog:
        return AdminAuditLog.objects.create(
            admin=self.actor,
            action=action,
            resource_type=resource_type,
            resource_id=str(resource_id),
            # An empty reason says nothing: leave it out.
            changes={key: value for key, value in changes.items() if value not in (None, "")},
            ip_address=self.ip_address,
            user_agent=self.user_agent,
        )


def snapshot(instance, fields) -> dict:
    return {name: _json_value(getattr(instance, name)) for name in fields}


def _json_value(value):
    return value if isinstance(value, (str, int, float, bool, list, type(None))) else str(value)


def create_user(*, context: AuditContext, password: str | None, **fields) -> User:
    with atomic_for(User):
        user = User.objects.create_user(password=password, **fields)
        context.record(
            AuditAction.USER_CREATED, "user", user.pk, after=snapshot(user, AUDITED_USER_FIELDS)
        )
    return user


def update_user(*, context: AuditContext, user: User, reason: str = "", **changes) -> User:
    """Change a user as an admin. Leaving the active state signs the user out."""
    locked_out = SELF_LOCKOUT_FIELDS.intersection(changes)
    if locked_out and user.pk == context.actor.pk:
        field = sorted(locked_out)[0]
        raise NotAllowed(f"You cannot change the {field} of your own account.", field=field)
    _require_outranks(context.actor, user)
    before = snapshot(user, AUDITED_USER_FIELDS)
    for name, value in changes.items():
        setattr(user, name, value)
    after = snapshot(user, AUDITED_USER_FIELDS)
    if before == after:
        return user
    with atomic_for(User):
        user.save(update_fields=[*changes, "updated_at"])
        if not user.can_sign_in:
            sign_out_everywhere(user=user)
        context.record(
            _user_change_action(before, after),
            "user",
            user.pk,
            before=before,
            after=after,
            reason=reason,
        )
    return user


def _user_change_action(before: dict, after: dict) -> str:
    if _may_sign_in(after) and not _may_sign_in(before):
        return AuditAction.USER_ACTIVATED
    if after["status"] == UserStatus.SUSPENDED and before["status"] != UserStatus.SUSPENDED:
        return AuditAction.USER_SUSPENDED
    return AuditAction.USER_UPDATED


def _may_sign_in(fields: dict) -> bool:
    return fields["is_active"] and fields["status"] == UserStatus.ACTIVE


def _require_holds(actor: User, permissions, action: str) -> None:
    """Admins delegate and act only within what they hold themselves."""
    missing = set(permissions) - actor.held_admin_permissions
    if missing:
        raise NotAllowed(
            f"You cannot {action}: it needs {', '.join(sorted(missing))}, which you do not hold.",
            code=AccountsErrorCode.BEYOND_OWN_PERMISSIONS,
        )


def _require_outranks(actor: User, target: User) -> None:
    _require_holds(actor, target.admin_permissions(), "act on an admin with more permissions")


def suspend_user(*, context: AuditContext, user: User, reason: str = "") -> User:
    if user.status == UserStatus.SUSPENDED:
        raise Conflict("This user is already suspended.", code=AccountsErrorCode.ALREADY_SUSPENDED)
    return update_user(context=context, user=user, status=UserStatus.SUSPENDED, reason=reason)


def activate_user(*, context: AuditContext, user: User, reason: str = "") -> User:
    if user.can_sign_in:
        raise Conflict("This user is already active.", code=AccountsErrorCode.ALREADY_ACTIVE)
    return update_user(
        context=context, user=user, status=UserStatus.ACTIVE, is_active=True, reason=reason
    )


def delete_user(*, context: AuditContext, user: User) -> None:
    if user.pk == context.actor.pk:
        raise NotAllowed("Delete your own account from your profile instead.")
    _require_outranks(context.actor, user)
    with atomic_for(User):
        context.record(
            AuditAction.USER_DELETED, "user", user.pk, before=snapshot(user, AUDITED_USER_FIELDS)
        )
        _delete_user(user)


def create_role(*, context: AuditContext, **fields) -> AdminRole:
    _require_holds(context.actor, fields.get("permissions", []), "create this role")
    with atomic_for(User):
        role = AdminRole.objects.create(is_system_role=False, **fields)
        context.record(
            AuditAction.ROLE_CREATED,
            "admin_role",
            role.pk,
            after=snapshot(role, AUDITED_ROLE_FIELDS),
        )
    return role


def update_role(*, context: AuditContext, role: AdminRole, **changes) -> AdminRole:
    if role.is_system_role:
        raise NotAllowed("System roles cannot be changed.", code=AccountsErrorCode.SYSTEM_ROLE)
    _require_holds(
        context.actor, {*role.permissions, *changes.get("permissions", [])}, "change this role"
    )
    before = snapshot(role, AUDITED_ROLE_FIELDS)
    for name, value in changes.items():
        setattr(role, name, value)
    with atomic_for(User):
        role.save()
        context.record(
            AuditAction.ROLE_UPDATED,
            "admin_role",
            role.pk,
            before=before,
            after=snapshot(role, AUDITED_ROLE_FIELDS),
        )
    return role


def grant_role(
    *, context: AuditContext, user: User, role: AdminRole, reason: str = ""
) -> AdminUser:
    if user.pk == context.actor.pk:
        raise NotAllowed("Another admin must grant you a role.", code=AccountsErrorCode.SELF_GRANT)
    _require_holds(context.actor, role.permissions, f"grant {role}")
    with atomic_for(User):
        grant = AdminUser.objects.select_for_update().filter(user=user, role=role).first()
        before = _active_role_names(user)
        if grant is not None and grant.revoked_at is None:
            raise Conflict(
                f"{user} already has the role {role}.", code=AccountsErrorCode.ALREADY_GRANTED
            )
        if grant is None:
            grant = AdminUser(user=user, role=role)
        # The (user, role) pair is unique: a revoked grant is granted again.
        grant.revoked_at = None
        grant.granted_by_id = context.actor.pk
        grant.reason = reason or None
        grant.save()
        _record_role_change(context, AuditAction.ROLE_GRANTED, user, role, reason, before)
    return grant


def revoke_role(
    *, context: AuditContext, user: User, role: AdminRole, reason: str = ""
) -> AdminUser:
    with atomic_for(User):
        grant = AdminUser.objects.active().select_for_update().filter(user=user, role=role).first()
        if grant is None:
            raise NotFound(f"{user} does not have the role {role}.")
        _require_holds(context.actor, role.permissions, f"revoke {role}")
        before = _active_role_names(user)
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at", "updated_at"])
        _record_role_change(context, AuditAction.ROLE_REVOKED, user, role, reason, before)
    return grant


def _record_role_change(context, action, user, role, reason, roles_before) -> None:
    context.record(
        action,
        "user",
        user.pk,
        role=role.name,
        reason=reason,
        before={"roles": roles_before},
        after={"roles": _active_role_names(user)},
    )


def _active_role_names(user: User) -> list[str]:
    return sorted(AdminUser.objects.active().filter(user=user).values_list("role__name", flat=True))
