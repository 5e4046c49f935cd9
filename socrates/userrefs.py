"""Columns in socrates_specs that hold a user id from socrates_auth.

There can be no foreign key across databases, so every such column is a
``UserRefField``: one type that validates the id on write and that clean-up
code finds by introspection (``user_ref_fields``).
"""

from enum import StrEnum

from django.apps import apps
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models

from socrates.error_codes import ErrorCode
from socrates.errors import DomainError


class OnUserDelete(StrEnum):
    """What becomes of a row when the user its column names is deleted: the
    ``on_delete`` of a reference that no foreign key can carry."""

    DELETE = "delete the row"
    SET_NULL = "set the column to NULL"
    HAND_ON = "hand the row on"
    KEEP = "keep the id, for history"


class UserRefField(models.UUIDField):
    """``on_user_delete`` is required (system check socrates.E003). A rule is
    applied by one SQL statement over ``%(users)s``, an array of deleted user
    ids (``socrates.user_deletion``): a plain DELETE or UPDATE unless ``sql``
    gives another; ``HAND_ON`` names whom the rows pass to (``hand_on_to``)
    and its statement, and ``after`` the columns ("table.column") handed on
    first. None of this is schema, so migrations do not carry it."""

    description = "Id of a user in socrates_auth (no foreign key: other database)"

    def __init__(
        self,
        *args,
        on_user_delete: OnUserDelete | None = None,
        hand_on_to: str = "",
        sql: str = "",
        after: tuple[str, ...] = (),
        **kwargs,
    ):
        self.on_user_delete = on_user_delete
        self.hand_on_to = hand_on_to
        self.sql = sql
        self.after = after
        super().__init__(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_deletion_rule()]

    def _check_deletion_rule(self) -> list[checks.Error]:
        if self.on_user_delete is None:
            problem = "declares no on_user_delete: what becomes of its rows when the user goes?"
        elif self.on_user_delete is OnUserDelete.SET_NULL and not self.null:
            problem = "cannot be set to NULL (null=False) when its user is deleted."
        elif (self.on_user_delete is OnUserDelete.HAND_ON) != bool(self.hand_on_to):
            problem = "names hand_on_to exactly when it hands its rows on (HAND_ON)."
        elif self.on_user_delete is OnUserDelete.HAND_ON and not self.sql:
            problem = "hands its rows on (HAND_ON) without the sql that does it."
        elif self.on_user_delete is OnUserDelete.KEEP and self.sql:
            problem = "keeps its rows (KEEP) and yet gives sql to run."
        else:
            return []
        return [
            checks.Error(
                f"{self.model._meta.label}.{self.name} {problem}", obj=self, id="socrates.E003"
            )
        ]

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value is None:
            return
        if not is_active_user(value):
            raise ValidationError(
                "No active user with id %(value)s.",
                code=ErrorCode.UNKNOWN_USER,
                params={"value": value},
            )


def is_active_user(user_id) -> bool:
    return apps.get_model("accounts", "User").objects.active().filter(pk=user_id).exists()


def require_active_user(user_id, *, field: str) -> None:
    """A user id taken from a request names an active user, or a 400 names the field."""
    if not is_active_user(user_id):
        raise DomainError(
            f"No active user with id {user_id}.", field=field, code=ErrorCode.UNKNOWN_USER
        )


def user_ref_fields() -> list[UserRefField]:
    """Every user-id column of every installed model, in a stable order."""
    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, UserRefField)
    ]
