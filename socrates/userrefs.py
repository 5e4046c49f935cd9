"""Columns in socrates_specs that hold a user id from socrates_auth.

There can be no foreign key across databases, so every such column is a
``UserRefField``: one type that validates the id on write and that clean-up
code finds by introspection (``user_ref_fields``).
"""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from socrates.error_codes import ErrorCode


class UserRefField(models.UUIDField):
    description = "Id of a user in socrates_auth (no foreign key: other database)"

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value is None:
            return
        user_model = apps.get_model("accounts", "User")
        if not user_model.objects.active().filter(pk=value).exists():
            raise ValidationError(
                "No active user with id %(value)s.",
                code=ErrorCode.UNKNOWN_USER,
                params={"value": value},
            )


def user_ref_fields() -> list[UserRefField]:
    """Every user-id column of every installed model, in a stable order."""
    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, UserRefField)
    ]
