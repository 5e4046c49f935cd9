"""Request ids, response logging, and a clear 503 when a database is down."""

import logging
import re
import time
import uuid

from django.core.exceptions import MiddlewareNotUsed

from socrates.api.errors import database_unavailable_response, is_database_unavailable
from socrates.db import replicas
from socrates.logs import RequestContext, current_request

logger = logging.getLogger("socrates.request")

# A caller's own id is kept when it is safe to echo and to log.
_CALLER_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Gives each request an id (``X-Request-ID`` in and out) and logs its outcome:
    4xx at INFO, 5xx at ERROR, with the id, method and path on every line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = offered if _CALLER_REQUEST_ID.match(offered) else uuid.uuid4().hex
        context = current_request.set(
            RequestContext(request.request_id, request.method, request.path)
        )
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            self._log(response, time.monotonic() - started)
        finally:
            current_request.reset(context)
        return response

    @staticmethod
    def _log(response, seconds: float) -> None:
        status = response.status_code
        if status < 400 or getattr(response, "_has_been_logged", False):
            return
        # Django logs an unhandled exception with its traceback (and marks the
        # response); a 5xx answered without one is logged here, with the id.
        level = logging.ERROR if status >= 500 else logging.INFO
        logger.log(level, "%s %s (%.0f ms)", status, response.reason_phrase, seconds * 1000)
        response._has_been_logged = True


class DatabaseUnavailableMiddleware:
    """A database that is down answers 503 everywhere, not only in API views:
    the admin gets a page that says so, the API its JSON error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            return database_unavailable_response(request, exception)
        return None


class ReplicaReadsMiddleware:
    """Routes a request's reads to replicas (socrates.db.replicas) and, after
    it wrote, records where the primary's WAL stands for the caller. Gone from
    the stack when no replica is configured."""

    def __init__(self, get_response):
        if not replicas.replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        reads = replicas.RequestReads(request)
        token = replicas.current_reads.set(reads)
        try:
            response = self.get_response(request)
            replicas.record_positions(reads)
        finally:
            replicas.current_reads.reset(token)
        return response
