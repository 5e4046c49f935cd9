"""Columns in socrates_specs that hold a user id from socrates_auth.

There can be no foreign key across databases, so every such column is a
``UserRefField``: one type that validates the id on write and that clean-up
code finds by introspection (``user_ref_fields``).
"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from socrates.error_codes import ErrorCode
from socrates.errors import DomainError


class UserRefField(models.UUIDField):
    description = "Id of a user in socrates_auth (no foreign key: other database)"

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
