"""One error format for the whole API, and a 503 when a database is down.

Every error body has ``detail`` (one sentence) and ``code``; validation errors
add ``fields``, mapping each offending field to its messages, so that a client
always learns which field to fix.
"""

import psycopg2.errorcodes
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, IntegrityError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from socrates.api.errors import database_unavailable_response, is_database_unavailable
from socrates.api.renderers import JSONRenderer
from socrates.error_codes import ErrorCode
from socrates.errors import DomainError

# Errors are JSON (or the browsable API's page), whatever the endpoint's own
# formats: the schema endpoint would otherwise answer its errors in YAML, or
# as application/vnd.oai.openapi+json (a "json" format of another media type).
ERROR_MEDIA_TYPES = {"application/json", "text/html"}


def exception_handler(exc, context):
    if "request" in context:
        _render_errors_as_json(context["request"])
    if is_database_unavailable(exc):
        return database_unavailable_response(context["request"], exc)
    if isinstance(exc, IntegrityError) and _sqlstate(exc) == psycopg2.errorcodes.UNIQUE_VIOLATION:
        # A concurrent request won a race for a unique value (validation ran
        # before it committed): the state changed under this request.
        return Response(
            {
                "detail": "This conflicts with data saved meanwhile; retry.",
                "code": ErrorCode.CONFLICT,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, (IntegrityError, DataError)):
        # A check, a reference or a value the database refused: the input, not
        # the state. (Validation should have named the field; this is the net.)
        return Response(
            {"detail": "The database refused this input.", "code": ErrorCode.INVALID},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is too large.", "code": ErrorCode.TOO_LARGE},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["fields"] = {exc.field: [exc.message]}
        headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status_code == 401 else None
        return Response(body, status=exc.status_code, headers=headers)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail)
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        # simplejwt puts its own code beside the detail.
        code = response.data.get("code") or getattr(detail, "code", "error")
        response.data = {"detail": str(detail), "code": str(code)}
    return response


def _sqlstate(exc: Exception) -> str | None:
    return getattr(exc.__cause__, "pgcode", None)


def _render_errors_as_json(request) -> None:
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or renderer.media_type not in ERROR_MEDIA_TYPES:
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"


def _validation_body(detail) -> dict:
    if not isinstance(detail, dict):
        return {"detail": _first_message(detail), "code": ErrorCode.INVALID}
    fields = dict(detail)
    general = fields.pop("non_field_errors", [])
    if general:
        message = _first_message(general)
    elif fields:
        name = next(iter(fields))
        message = f"{name}: {_first_message(fields[name])}"
    else:
        message = "Invalid input."
    body = {"detail": message, "code": ErrorCode.INVALID, "fields": fields}
    if general:
        body["errors"] = general
    return body


def _first_message(value) -> str:
    while isinstance(value, (list, dict)):
        if not value:
            return "Invalid input."
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
    return str(value)
