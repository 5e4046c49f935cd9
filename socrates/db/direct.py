"""Sessions of a command's own, past a transaction-mode pooler.

PgBouncer in transaction mode hands a server session to a client for one
transaction at a time: a session-level advisory lock or ``SET`` outlives
the transaction on a session another client gets next. The migration runner,
``migrate`` and the background migrations need both, so with
``DATABASE_URL_AUTH_DIRECT`` / ``DATABASE_URL_SPECS_DIRECT`` set they connect
to the server itself for their run, to the same database (the alias's name is
kept: a test database stays the test database), and back to the pooler after.

A command run inside a transaction (a test's) keeps its connection: a pooler
holds one server session for a whole transaction, and a new connection would
not see what the transaction has written.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connections

# What a direct URL replaces of an alias's settings: the server and the role.
DIRECT_KEYS = ("HOST", "PORT", "USER", "PASSWORD")


@contextmanager
def direct_connections():
    saved: dict[str, dict] = {}
    for alias, direct in settings.DATABASE_DIRECT_SERVERS.items():
        connection = connections[alias]
        if connection.in_atomic_block:
            continue
        connection.close()
        saved[alias] = {key: connection.settings_dict[key] for key in DIRECT_KEYS}
        connection.settings_dict.update({key: direct[key] for key in DIRECT_KEYS})
    try:
        yield
    finally:
        for alias, pooled in saved.items():
            connections[alias].close()
            connections[alias].settings_dict.update(pooled)
