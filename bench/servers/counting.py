"""Counts the statements a process sends to PostgreSQL, the same way for all
three servers (each talks to it through psycopg2).

With ``BENCH_COUNT_QUERIES=1`` a server passes ``connect_kwargs()`` to
psycopg2 and answers each request with ``X-Bench-Queries``: every ``execute``
and every ``COMMIT``/``ROLLBACK`` it sends, on both databases, health
checks included. psycopg2 sends the ``BEGIN`` of a transaction itself, so a
transaction counts once, at its end. The load runs without it.
"""

import os

import psycopg2.extensions

ENABLED = os.environ.get("BENCH_COUNT_QUERIES") == "1"
HEADER = "X-Bench-Queries"

statements = 0


def _count() -> None:
    global statements
    statements += 1


class CountingCursor(psycopg2.extensions.cursor):
    def execute(self, query, vars=None):
        _count()
        return super().execute(query, vars)

    def executemany(self, query, vars_list):
        _count()
        return super().executemany(query, vars_list)


class CountingConnection(psycopg2.extensions.connection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cursor_factory = CountingCursor

    def commit(self):
        self._count_if_in_transaction()
        return super().commit()

    def rollback(self):
        self._count_if_in_transaction()
        return super().rollback()

    def _count_if_in_transaction(self) -> None:
        # Outside a transaction psycopg2 sends nothing.
        if self.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            _count()


def connect_kwargs() -> dict:
    """Extra keyword arguments for ``psycopg2.connect`` (none unless counting)."""
    if not ENABLED:
        return {}
    return {"connection_factory": CountingConnection, "cursor_factory": CountingCursor}


def counted_wsgi(application):
    """A WSGI application that adds ``X-Bench-Queries`` to every response."""
    if not ENABLED:
        return application

    def counted(environ, start_response):
        global statements
        statements = 0

        def start_counted(status, headers, exc_info=None):
            return start_response(status, [*headers, (HEADER, str(statements))], exc_info)

        return application(environ, start_counted)

    return counted
