"""JSON answers for everything under /api/ that DRF does not answer itself:
unknown routes, a bad Host header, unhandled exceptions, a database that is down."""

import logging
import sys

from django.db import Error
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

from socrates.db import errors
from socrates.error_codes import ErrorCode

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# The name of the last route under /api/ (socrates.urls), which is this 404.
NOT_FOUND_URL_NAME = "api-not-found"


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(status: int, detail: str, code: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, **extra}, status=status)


def database_unavailable_response(request, exception: Exception) -> HttpResponse:
    """503 with Retry-After: the API's JSON error, or a page that says so."""
    logger.error("database unavailable: %s", errors.describe(exception).summary)
    if is_api_request(request):
        response = error_response(
            503, "The service is temporarily unavailable.", ErrorCode.UNAVAILABLE
        )
    else:
        response = render(request, "503.html", status=503)
    response["Retry-After"] = str(errors.RETRY_AFTER_SECONDS)
    return response


def is_database_unavailable(exception: BaseException | None) -> bool:
    # Error, not DatabaseError: Django's InterfaceError (a lost connection) is
    # no DatabaseError.
    return isinstance(exception, Error) and errors.is_unavailable(exception)


@csrf_exempt
def api_not_found(request, unmatched_path=""):
    """The last route under /api/: no HTML page, and a hint for a missing slash."""
    detail = f"No API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != NOT_FOUND_URL_NAME:
            detail += f" Did you mean {request.path}/ (with the trailing slash)?"
    return error_response(404, detail, ErrorCode.NOT_FOUND)


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if is_api_request(request):
        return error_response(400, "Bad request.", ErrorCode.BAD_REQUEST)
    return defaults.bad_request(request, exception, template_name)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    # Called while the exception is handled. Views' exceptions reached
    # DatabaseUnavailableMiddleware; a middleware's (a session saved, a user
    # loaded on the way out) come here.
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        return database_unavailable_response(request, exception)
    if is_api_request(request):
        return error_response(
            500,
            "A server error occurred; it has been logged.",
            ErrorCode.SERVER_ERROR,
            request_id=getattr(request, "request_id", None),
        )
    return defaults.server_error(request, template_name)


def csrf_failure(request, reason=""):
    if is_api_request(request):
        return error_response(403, f"CSRF check failed: {reason}", ErrorCode.CSRF_FAILED)
    return csrf.csrf_failure(request, reason)
