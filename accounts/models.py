"""Users, refresh tokens, admin roles and the admin audit log (database ``auth``)."""

import hashlib
from itertools import chain

import bcrypt
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property

from accounts.hashers import LEGACY_BCRYPT_PREFIXES
from socrates.background_migrations import ProgressRecord
from socrates.db.models import (
    UNBOUNDED_VARCHAR,
    CreatedAtModel,
    TimestampedModel,
    TransactionNow,
    closed_set_check,
    defaults,
    indexes_on,
    varchar_array,
)


class UserQuerySet(models.QuerySet):
    def active(self):
        """Users who may sign in and whose tokens work."""
        return self.filter(is_active=True, status=UserStatus.ACTIVE)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        """An admin holding the super_admin role (every admin permission)."""
        fields.setdefault("role", UserRole.ADMIN)
        user = self.create_user(email, password, **fields)
        super_admin = AdminRole.objects.using(self._db).get(name="super_admin")
        AdminUser.objects.using(self._db).create(user=user, role=super_admin)
        return user


class UserRole(models.TextChoices):
    USER = "user"
    ADMIN = "admin"
    MODERATOR = "moderator"


class UserStatus(models.TextChoices):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class User(AbstractBaseUser, TimestampedModel):
    email = models.EmailField(max_length=255)
    password = models.CharField(max_length=255, db_column="hashed_password")
    # The legacy table has no last_login column.
    last_login = None
    name = models.CharField(max_length=100, null=True, blank=True)
    surname = models.CharField(max_length=100, null=True, blank=True)
    username = models.CharField(
        max_length=50,
        null=True,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9_-]{3,50}$",
                "3 to 50 characters: letters, digits, underscore and hyphen.",
            )
        ],
    )
    is_active = models.BooleanField(**defaults(True))
    is_verified = models.BooleanField(**defaults(False))
    role = models.CharField(max_length=20, choices=UserRole.choices, **defaults(UserRole.USER))
    status = models.CharField(
        max_length=20, choices=UserStatus.choices, **defaults(UserStatus.ACTIVE)
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        db_table = "users"
        constraints = [
            models.UniqueConstraint(fields=["email"], name="uq_users_email"),
            models.UniqueConstraint(fields=["username"], name="uq_users_username"),
            # E-mails and usernames are unique whatever their case; these also
            # serve login, which Django's ``__iexact`` writes as UPPER(column).
            models.UniqueConstraint(Upper("email"), name="uq_users_email_ci"),
            models.UniqueConstraint(Upper("username"), name="uq_users_username_ci"),
            closed_set_check("users", "role", UserRole),
            closed_set_check("users", "status", UserStatus),
        ]
        indexes = indexes_on("created_at", "is_active", "status")

    def __str__(self):
        return self.email

    def _get_session_auth_hash(self, secret=None):
        # Django's, with the sign-in generation mixed in: sessions end with
        # it, as tokens do. (Overridden below the public method so that
        # SECRET_KEY_FALLBACKS keep working.)
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{token_generation_of(self)}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def can_sign_in(self) -> bool:
        """Whether the user may log in, refresh, and use a live access token."""
        return self.is_active and self.status == UserStatus.ACTIVE

    def check_password(self, raw_password):
        if not self.password.startswith(LEGACY_BCRYPT_PREFIXES):
            return super().check_password(raw_password)
        # A bare bcrypt hash, as the legacy backend wrote them (migration 0006
        # wraps those at rest; another program may still write one): verify
        # it as that backend did, then store it again with the current hasher.
        try:
            matches = bcrypt.checkpw(raw_password.encode()[:72], self.password.encode())
        except ValueError:  # a malformed legacy hash matches nothing
            return False
        if not matches:
            return False
        self.set_password(raw_password)
        self.save(update_fields=["password", "updated_at"])
        return True

    def admin_permissions(self) -> set[str]:
        """The union of the permissions of the admin roles granted and not revoked."""
        grants = AdminRole.objects.filter(grants__user=self, grants__revoked_at__isnull=True)
        return set(chain.from_iterable(grants.values_list("permissions", flat=True)))

    @cached_property
    def held_admin_permissions(self) -> frozenset[str]:
        """``admin_permissions()`` read once per instance (a request's user)."""
        return frozenset(self.admin_permissions())

    # The Django admin: the users table has no is_staff or is_superuser
    # column. Staff are users whose role is admin; what each may do there is
    # decided by the same permission codes as the admin API.
    @property
    def is_staff(self) -> bool:
        return self.can_sign_in and self.role == UserRole.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff and self.held_admin_permissions >= ALL_ADMIN_PERMISSIONS

    def has_perm(self, perm, obj=None) -> bool:
        if not self.is_staff:
            return False
        needed = DJANGO_ADMIN_PERMISSIONS.get(perm)
        if not needed:
            return self.is_superuser
        return self.held_admin_permissions.issuperset(
            (needed,) if isinstance(needed, str) else needed
        )

    def has_module_perms(self, app_label) -> bool:
        return (
            any(
                self.has_perm(perm)
                for perm in DJANGO_ADMIN_PERMISSIONS
                if perm.startswith(f"{app_label}.")
            )
            or self.is_superuser
        )


class TokenGeneration(models.Model):
    """How many times all of a user's sign-ins have been ended.

    Every token and session carries the generation it was issued in; bumping
    it (log out everywhere, suspension, password change, token reuse) ends
    them all at once, checked in the same query that loads the user.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="token_generation"
    )
    generation = models.IntegerField(**defaults(0))

    class Meta:
        db_table = "user_token_generations"

    def __str__(self):
        return f"{self.user_id}: generation {self.generation}"


class UserDeletionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(drained_at__isnull=True)


class UserDeletion(models.Model):
    """A deleted user whose rows in socrates_specs await their rules
    (``socrates.user_deletion``): written in the transaction that deletes the
    user, so that no deletion is forgotten if the process dies before the
    other database is reached. Not a legacy table."""

    # The user is gone: a plain id, no foreign key.
    user_id = models.UUIDField()
    deleted_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    drained_at = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(**defaults(0))
    last_error = models.TextField(null=True, blank=True)

    objects = UserDeletionQuerySet.as_manager()

    class Meta:
        db_table = "user_deletions"
        indexes = [
            models.Index(
                fields=["deleted_at"],
                condition=models.Q(drained_at__isnull=True),
                name="ix_user_deletions_pending",
            )
        ]

    def __str__(self):
        return f"{self.user_id} deleted {self.deleted_at:%Y-%m-%d %H:%M}"


class BackgroundMigrationProgress(ProgressRecord):
    """Where each background migration of accounts' tables is
    (``accounts.background_migrations``), beside the rows it walks so that
    each batch commits with its position. Not a legacy table."""

    class Meta:
        db_table = "background_migrations"


def token_generation_of(user: User) -> int:
    """The user's current generation (0 until first bumped); select_related
    ``token_generation`` to read it without a query."""
    try:
        return user.token_generation.generation
    except TokenGeneration.DoesNotExist:
        return 0


class RefreshTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(is_revoked=False, expires_at__gt=timezone.now())

    def revoke(self) -> int:
        return self.filter(is_revoked=False).update(
            is_revoked=True, revoked_at=timezone.now(), updated_at=timezone.now()
        )


class RefreshToken(TimestampedModel):
    """A refresh token issued to a user; ``token`` holds its SHA-256, never the token."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="refresh_tokens", db_index=False
    )
    token = models.CharField(max_length=500)
    expires_at = models.DateTimeField()
    is_revoked = models.BooleanField(**defaults(False))
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RefreshTokenQuerySet.as_manager()

    class Meta:
        db_table = "refresh_tokens"
        constraints = [
            models.UniqueConstraint(fields=["token"], name="uq_refresh_tokens_token"),
        ]
        indexes = indexes_on("expires_at", "is_revoked", "updated_at", "user")

    @staticmethod
    def digest(token: str) -> str:
        # Tokens are long and random: a plain SHA-256 cannot be reversed.
        return hashlib.sha256(token.encode()).hexdigest()


class AdminPermission(models.TextChoices):
    """The one vocabulary of admin permission codes (BEHAVIOUR.md)."""

    USERS_VIEW = "users_view"
    USERS_SUSPEND = "users_suspend"
    USERS_DELETE = "users_delete"
    USERS_IMPERSONATE = "users_impersonate"
    BILLING_VIEW = "billing_view"
    INVOICES_EXPORT = "invoices_export"
    METRICS_VIEW = "metrics_view"
    AUDIT_LOG_VIEW = "audit_log_view"
    ADMIN_ROLES_MANAGE = "admin_roles_manage"


ALL_ADMIN_PERMISSIONS = frozenset(AdminPermission.values)

# Changing subscriptions and invoices: BEHAVIOUR.md has no billing_manage
# code, and this pair is what billing_admin holds and analytics_admin (which
# reads billing) does not.
BILLING_WRITE_PERMISSIONS = (AdminPermission.BILLING_VIEW, AdminPermission.INVOICES_EXPORT)

# The Django admin's permissions, each opened by one admin code (or a tuple of
# codes, all needed); anything else in the Django admin needs every code
# (super_admin).
DJANGO_ADMIN_PERMISSIONS = {
    "accounts.view_user": AdminPermission.USERS_VIEW,
    "accounts.view_refreshtoken": AdminPermission.USERS_VIEW,
    "accounts.add_user": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.change_user": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.delete_user": AdminPermission.USERS_DELETE,
    "accounts.suspend_user": AdminPermission.USERS_SUSPEND,
    "accounts.view_adminrole": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.add_adminrole": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.change_adminrole": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.view_adminuser": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.add_adminuser": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.change_adminuser": AdminPermission.ADMIN_ROLES_MANAGE,
    "accounts.view_adminauditlog": AdminPermission.AUDIT_LOG_VIEW,
    "billing.view_subscription": AdminPermission.BILLING_VIEW,
    "billing.add_subscription": BILLING_WRITE_PERMISSIONS,
    "billing.change_subscription": BILLING_WRITE_PERMISSIONS,
    "billing.view_invoice": AdminPermission.BILLING_VIEW,
    "billing.add_invoice": BILLING_WRITE_PERMISSIONS,
    "billing.change_invoice": BILLING_WRITE_PERMISSIONS,
    "billing.view_llmusage": AdminPermission.METRICS_VIEW,
    # A key acts as its user: seeing keys is seeing users, revoking one is
    # like suspending a way in.
    "billing.view_apikey": AdminPermission.USERS_VIEW,
    "billing.change_apikey": AdminPermission.USERS_SUSPEND,
}


ROLE_NAME_PATTERN = r"[a-z0-9_]+"
ROLE_NAME_RULE = "lower-case letters, digits and underscores"


class AdminRole(TimestampedModel):
    # Names appear in URLs (revoking a grant) and must not hide look-alikes.
    name = models.CharField(
        max_length=100,
        validators=[RegexValidator(f"^{ROLE_NAME_PATTERN}$", f"Use only {ROLE_NAME_RULE}.")],
    )
    description = models.TextField(null=True, blank=True)
    permissions = varchar_array(choices=AdminPermission.choices, null=False, blank=True)
    is_system_role = models.BooleanField(**defaults(False))

    class Meta:
        db_table = "admin_roles"
        required_db_features = UNBOUNDED_VARCHAR
        constraints = [
            models.UniqueConstraint(fields=["name"], name="uq_admin_roles_name"),
            # Legacy names predate the rule above; none may differ only in case.
            models.UniqueConstraint(Upper("name"), name="uq_admin_roles_name_ci"),
        ]
        indexes = indexes_on("is_system_role")

    def __str__(self):
        return self.name


class AdminGrantQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class AdminUser(TimestampedModel):
    """A grant of one admin role to one user; revoking keeps the row."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="admin_grants", db_index=False
    )
    role = models.ForeignKey(
        AdminRole, on_delete=models.PROTECT, related_name="grants", db_index=False
    )
    # A user of this same database, but the legacy schema has no foreign key.
    granted_by_id = models.UUIDField(null=True, blank=True)
    reason = models.TextField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AdminGrantQuerySet.as_manager()

    class Meta:
        db_table = "admin_users"
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="uq_admin_users_user_role"),
        ]
        indexes = indexes_on("granted_by_id", "revoked_at", "role")


class AuditAction(models.TextChoices):
    """What the application writes to ``admin_audit_logs.action`` (an open set:
    legacy rows hold other values)."""

    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_SUSPENDED = "user_suspended"
    USER_ACTIVATED = "user_activated"
    USER_DELETED = "user_deleted"
    ROLE_CREATED = "role_created"
    ROLE_UPDATED = "role_updated"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit entry."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("audit entries cannot be changed")

    def delete(self):
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")


class AdminAuditLog(CreatedAtModel):
    """One admin action. Append-only here, and in the database by a trigger
    (migration 0003), so that no program can rewrite history."""

    admin = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="audit_entries", db_index=False
    )
    action = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=100)
    resource_id = models.CharField(max_length=36)
    changes = models.JSONField(null=True, blank=True)
    ip_address = models.CharField(max_length=45, null=True, blank=True)
    user_agent = models.CharField(max_length=500, null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        db_table = "admin_audit_logs"
        indexes = [
            *indexes_on("action", "admin", "created_at"),
            models.Index(fields=["resource_type", "resource_id"]),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")
