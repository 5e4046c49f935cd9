"""Turning database connection failures into one clear line.

libpq reports every connection failure as a bare ``OperationalError`` with no
SQLSTATE, so the kind of failure is read from its message. The message never
contains the password; callers add the masked URL (``masked_url``).
"""

from dataclasses import dataclass

import psycopg2.errorcodes
from django.db import InterfaceError


@dataclass(frozen=True)
class DatabaseProblem:
    kind: str
    summary: str


UNREACHABLE = "unreachable"
AUTHENTICATION_FAILED = "authentication_failed"
MISSING_DATABASE = "missing_database"
PERMISSION_DENIED = "permission_denied"
OTHER = "other"

_MESSAGE_MARKERS = (
    ("password authentication failed", AUTHENTICATION_FAILED, "password authentication failed"),
    ("no password supplied", AUTHENTICATION_FAILED, "the server wants a password and none is set"),
    ("does not exist", MISSING_DATABASE, "database does not exist"),
    ("permission denied", PERMISSION_DENIED, "permission denied"),
    ("not permitted to log in", PERMISSION_DENIED, "permission denied: role may not log in"),
    ("connection refused", UNREACHABLE, "connection refused (is the server running?)"),
    ("no such file or directory", UNREACHABLE, "no server listening on that socket"),
    ("timeout expired", UNREACHABLE, "connection timed out"),
    ("could not translate host name", UNREACHABLE, "unknown host"),
    # A server restarting refuses new sessions on its way down and up.
    ("the database system is shutting down", UNREACHABLE, "the server is shutting down"),
    ("the database system is starting up", UNREACHABLE, "the server is starting up"),
    ("not yet accepting connections", UNREACHABLE, "the server is starting up"),
    ("the database system is in recovery mode", UNREACHABLE, "the server is recovering"),
    ("too many clients already", UNREACHABLE, "no free connection slot"),
    ("too many connections", UNREACHABLE, "no free connection slot for this role or database"),
    ("remaining connection slots are reserved", UNREACHABLE, "no free connection slot"),
    # A session lost mid-way: the server stopped, crashed or the network broke.
    ("server closed the connection unexpectedly", UNREACHABLE, "the server closed the connection"),
    ("terminating connection", UNREACHABLE, "the server ended the session"),
    ("could not receive data from server", UNREACHABLE, "the connection was lost"),
    ("could not send data to server", UNREACHABLE, "the connection was lost"),
    ("connection reset", UNREACHABLE, "the connection was lost"),
    ("ssl syscall error", UNREACHABLE, "the connection was lost"),
    # PgBouncer's own refusals while it cannot reach or hand out a server.
    ("pgbouncer cannot connect to server", UNREACHABLE, "the pooler cannot reach the server"),
    ("no more connections allowed", UNREACHABLE, "the pooler is full"),
    ("query_wait_timeout", UNREACHABLE, "the pooler had no free server in time"),
    ("server login has been failing", UNREACHABLE, "the pooler cannot log in to the server"),
    ("server conn crashed", UNREACHABLE, "the pooler lost its server connection"),
)

# SQLSTATEs of a session the server ended or would not start: class 08
# (connection exceptions, PgBouncer's included), an administrator's or a
# crash's shutdown, a server not yet accepting sessions, no free slot.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
_UNAVAILABLE_SQLSTATES = {
    psycopg2.errorcodes.ADMIN_SHUTDOWN,
    psycopg2.errorcodes.CRASH_SHUTDOWN,
    psycopg2.errorcodes.CANNOT_CONNECT_NOW,
    psycopg2.errorcodes.TOO_MANY_CONNECTIONS,
}


# What a client told "the database is down" should wait before trying again.
RETRY_AFTER_SECONDS = 30


def is_unavailable(error: Exception) -> bool:
    """Whether a database error means the server can't be reached (a 503)."""
    return isinstance(error, InterfaceError) or describe(error).kind == UNREACHABLE


def describe(error: Exception) -> DatabaseProblem:
    """Classify a connection or permission error raised by psycopg2 or Django."""
    cause = error.__cause__ or error
    sqlstate = getattr(cause, "pgcode", None)
    if sqlstate == psycopg2.errorcodes.INSUFFICIENT_PRIVILEGE:
        return DatabaseProblem(PERMISSION_DENIED, f"permission denied: {_first_line(cause)}")
    if sqlstate in _UNAVAILABLE_SQLSTATES or str(sqlstate)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES:
        return DatabaseProblem(UNREACHABLE, _first_line(cause))
    if sqlstate:
        # The server ran a statement and refused it: its own words say why.
        # (Connection failures carry no SQLSTATE: those are read below.)
        return DatabaseProblem(OTHER, _first_line(cause))
    text = str(cause).lower()
    for marker, kind, summary in _MESSAGE_MARKERS:
        if marker in text:
            # A missing *role* also says "does not exist"; keep the server's words.
            if kind == MISSING_DATABASE and "role" in text:
                return DatabaseProblem(AUTHENTICATION_FAILED, _first_line(cause))
            return DatabaseProblem(kind, summary)
    return DatabaseProblem(OTHER, _first_line(cause))


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return text.removeprefix("FATAL:").strip()
