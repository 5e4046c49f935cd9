import time

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS

from socrates.db import errors
from socrates.db.sockets import has_unread

from .creation import DatabaseCreation
from .schema import DatabaseSchemaEditor

# How long a connection may have been idle and still be trusted on a silent
# socket (below).
TRUSTED_IDLE_SECONDS = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
    creation_class = DatabaseCreation

    def get_new_connection(self, conn_params):
        # Statements prepared on the last server session died with it
        # (socrates.db.prepared).
        self.prepared_statements: set[str] = set()
        self._checked_at = time.monotonic()
        try:
            return super().get_new_connection(conn_params)
        except base.Database.OperationalError as error:
            # A restart refuses sessions for a moment on its way down and up;
            # nothing was sent yet, so trying once more after a short wait is
            # safe, and it turns most of a restart's 503s into answers.
            # A replica is not waited for: its reads go to the primary.
            delay = settings.DATABASE_CONNECT_RETRY_DELAY_MS / 1000
            if not delay or self.is_replica or not errors.is_unavailable(error):
                raise
            time.sleep(delay)
            return super().get_new_connection(conn_params)

    @property
    def is_replica(self) -> bool:
        return bool((self.settings_dict.get("TEST") or {}).get("MIRROR"))

    def is_usable(self):
        # Django's health check sends SELECT 1 before a request's first query:
        # a round trip on every request. A server ending a session (shutdown,
        # restart, pg_terminate_backend, idle_session_timeout) first writes
        # the reason to its socket, and a session that does not LISTEN gets
        # nothing else unasked between statements: on a connection in steady
        # use, a silent socket is a live session. A connection idle for longer
        # may have been dropped without a word (a host gone, a firewall's idle
        # timeout), which only a round trip finds; so may anything waiting on
        # the socket, which Django's check reads and judges. As with SELECT 1,
        # a session in a failed transaction is not usable.
        if (
            self.connection is None
            or self.connection.closed
            or self.connection.info.transaction_status
            not in (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS)
        ):
            return False
        now = time.monotonic()
        idle, self._checked_at = now - self._checked_at, now
        if idle < TRUSTED_IDLE_SECONDS and not has_unread(self.connection):
            return True
        return super().is_usable()
