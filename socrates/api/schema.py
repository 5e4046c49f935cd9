"""The OpenAPI description every view shares: each operation lists the errors
it can answer, all in the one error format (socrates.api.exceptions)."""

from django.utils import translation
from drf_spectacular import openapi
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import get_lib_doc_excludes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from socrates.api.serializers import (
    LeanModelSerializer,
    ModelSerializer,
    Serializer,
    StrictJSONTypes,
)


class ErrorSerializer(Serializer):
    detail = serializers.CharField(help_text="One sentence saying what went wrong.")
    code = serializers.CharField(help_text="A stable, machine-readable error code.")
    fields = serializers.DictField(
        required=False, help_text="For validation errors: each offending field's messages."
    )
    errors = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Errors of no single field."
    )
    request_id = serializers.CharField(
        required=False, help_text="For server errors: the id to quote (also X-Request-ID)."
    )

    class Meta:
        ref_name = "Error"


ERRORS = {
    400: "The input is invalid: `fields` names each offending field or parameter.",
    401: "Not signed in, or the credentials or token are invalid.",
    403: "Signed in, but not allowed to do this.",
    404: "No such resource (or not visible to you).",
    409: "Conflicts with the current state; nothing was changed.",
    413: "The request body is too large.",
    415: "The body's media type is not one this operation reads, or it is malformed.",
    429: "Too many requests: retry after `Retry-After` seconds.",
    503: "A database is unavailable: retry after `Retry-After` seconds.",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


def decimal_pattern(field: serializers.DecimalField) -> str:
    """What DRF reads as a decimal written as a string: at least one digit
    (drf-spectacular's own pattern lets "", "-" and "." through), no sign when
    the field's minimum is not negative, and, for a maximum of one digit (a
    score up to 1), nothing above it: a string has no ``maximum`` keyword."""
    unsigned = field.min_value is not None and field.min_value >= 0
    sign = "" if unsigned else "-?"
    whole = max(field.max_whole_digits, 1)
    places = field.decimal_places
    fraction = rf"\.\d{{1,{places}}}"
    ceiling = field.max_value
    if unsigned and ceiling is not None and ceiling == int(ceiling) and 1 <= ceiling <= 9:
        below = rf"[0-{int(ceiling) - 1}](?:\.\d{{0,{places}}})?"
        return rf"^(?:{below}|{int(ceiling)}(?:\.0{{0,{places}}})?|{fraction})$"
    return rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|{fraction})$"


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and "pattern" in schema:
            schema["pattern"] = decimal_pattern(field)
        elif (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and "pattern" not in schema
            and "format" not in schema
            and not any(hasattr(validator, "regex") for validator in field.validators)
        ):
            # DRF trims the value before refusing a blank one: " " is as
            # empty as "", which minLength alone does not say.
            schema["pattern"] = r"\S"
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            error = OpenApiResponse(ErrorSerializer, description=ERRORS[status])
            responses.setdefault(
                str(status), self._get_response_for_code(error, str(status), ["application/json"])
            )
        return responses

    def _error_statuses(self) -> list[int]:
        statuses = [400, 503]
        if not self._is_open_to_anyone() or self.view.authentication_classes:
            statuses += [401, 403]
        if self.method in BODY_METHODS:
            # A login with wrong credentials, or an account that is disabled.
            statuses += [401, 403, 409, 413, 415]
        elif self.method == "DELETE":
            statuses.append(409)
        if "{" in self.path or self._is_paginated_list():
            statuses.append(404)
        if self.view.get_throttles():
            statuses.append(429)
        return sorted(set(statuses))

    def _is_open_to_anyone(self) -> bool:
        return all(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )

    def _is_paginated_list(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None


def shared_doc_excludes() -> list[type]:
    """Classes whose docstrings say how the code works, not what a component
    is: a serializer without a docstring of its own gets no description
    rather than one of these (drf-spectacular's setting GET_LIB_DOC_EXCLUDES)."""
    return [
        *get_lib_doc_excludes(),
        StrictJSONTypes,
        Serializer,
        ModelSerializer,
        LeanModelSerializer,
    ]


class CachedSchemaGenerator(SchemaGenerator):
    """The public schema, generated once per process for each API version and
    language: it changes only with the code, and generating it takes about
    half a second that every ``GET /api/schema/`` would otherwise spend."""

    _public_schemas: dict = {}

    def get_schema(self, request=None, public=False):
        if not public:
            # Filtered by what the requesting user may see: not shared.
            return super().get_schema(request, public)
        key = (self.api_version, translation.get_language())
        if key not in self._public_schemas:
            self._public_schemas[key] = super().get_schema(request, public)
        return self._public_schemas[key]
