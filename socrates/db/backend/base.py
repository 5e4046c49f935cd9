import select

from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS

from .schema import DatabaseSchemaEditor


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def get_new_connection(self, conn_params):
        # Statements prepared on the last server session died with it
        # (socrates.db.prepared).
        self.prepared_statements: set[str] = set()
        return super().get_new_connection(conn_params)

    def is_usable(self):
        # Django's health check sends SELECT 1 before a request's first query:
        # a round trip on every request. A server ending a session (shutdown,
        # restart, pg_terminate_backend) first writes the reason to its
        # socket, and between statements nothing else arrives unasked on a
        # session that does not LISTEN: a silent socket is a live session.
        # Anything waiting there is left to Django's check to read and judge.
        # A connection lost without a word hangs SELECT 1 as it would the
        # request's own query; keepalives bound both. As with SELECT 1, a
        # session in a failed transaction is not usable.
        if self.connection.closed or self.connection.info.transaction_status not in (
            TRANSACTION_STATUS_IDLE,
            TRANSACTION_STATUS_INTRANS,
        ):
            return False
        waiting, _, _ = select.select([self.connection], [], [], 0)
        return not waiting or super().is_usable()
