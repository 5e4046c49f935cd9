"""The users of tokens, sessions and API keys, kept in memory while PostgreSQL
says they are unchanged: a request by a kept user sends no statement to the
auth database.

What makes it correct is notifications, not expiry. Every change to a user's
row or sign-in generation, by this project or by any other program, notifies
``socrates_user_changes`` at its commit (the triggers of migration 0007, which
fire in replication sessions too). Each process LISTENs on a connection of
its own and, before trusting a kept user, reads everything that has arrived
on it (no round trip while there is nothing to read) and drops the users
named. So a user signed out everywhere, suspended, deleted or given a new
password is refused once PostgreSQL has delivered the notification of that
commit, which it sends as the commit ends.

Nothing that could have been missed is trusted. A new listening connection
starts with nothing kept; a user is kept only when read while listening,
outside any transaction (whose own uncommitted changes notify nobody until it
commits); and once a second the listener asks the server whether the triggers
are still there and enabled, a round trip that also finds a connection lost
without a word (a failover). Behind a pooler that shares server sessions,
LISTEN can't work: ``DATABASE_DEDICATED_SESSIONS=false`` keeps no user.
"""

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from uuid import UUID

import psycopg2
from django.conf import settings
from django.db import connections

from socrates.db.prepared import Fetched
from socrates.db.sockets import has_unread

CHANNEL = "socrates_user_changes"
# The payload of a TRUNCATE: every user.
EVERYONE = "*"
# Nothing is kept unless all of them are there and fire always (ENABLE ALWAYS).
TRIGGERS_ALIVE = """
    SELECT count(*) = 4 FROM pg_trigger
    WHERE tgenabled = 'A' AND (tgrelid, tgname) IN (
        ('users'::regclass, 'users_notify_change'),
        ('users'::regclass, 'users_notify_truncate'),
        ('user_token_generations'::regclass, 'user_token_generations_notify_change'),
        ('user_token_generations'::regclass, 'user_token_generations_notify_truncate'))
"""
# How often the listener checks the triggers and its own connection.
CHECK_SECONDS = 1.0
# A process keeps at most this many users, the least recently used leaving first.
CAPACITY = 10_000
# After failing to listen (a server down), the seconds before trying again.
RETRY_SECONDS = 5
# A connection lost without a word is found within this many seconds.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,
}


class Unheard(Exception):
    """The listener can't vouch for what it kept."""


class UserCache:
    def __init__(self, alias: str):
        self.alias = alias
        self._lock = threading.Lock()
        self._rows: OrderedDict[str, Fetched] = OrderedDict()
        self._listener = None
        self._listener_pid = 0
        self._checked_at = 0.0
        # Bumped whenever a row being loaded may be stale already: a
        # notification read (perhaps of that user), or the listener lost.
        self._epoch = 0
        self._retry_at = 0.0

    def row(self, user_id, load: Callable[[], Fetched | None]) -> Fetched | None:
        """The user's row, kept or loaded by ``load``."""
        key = _key(user_id)
        connection = connections[self.alias]
        if key is None or not settings.DATABASE_DEDICATED_SESSIONS or connection.in_atomic_block:
            return load()
        # Where this process may not use the database (a test outside its
        # database marks), neither may its listener.
        connection.ensure_connection()
        with self._lock:
            epoch = self._listen()
            if epoch is not None and key in self._rows:
                self._rows.move_to_end(key)
                return self._rows[key]
        # Read after listening began: a change committed later is notified,
        # and one notified meanwhile (to another thread) bumps the epoch.
        found = load()
        if found is not None and epoch is not None:
            with self._lock:
                if self._epoch == epoch:
                    self._rows[key] = found
                    if len(self._rows) > CAPACITY:
                        self._rows.popitem(last=False)
        return found

    def close(self) -> None:
        """Forgets every user and stops listening, until the next request."""
        with self._lock:
            self._forget()
            self._retry_at = 0.0

    def _listen(self) -> int | None:
        """Drops the users notified since last time; None when not listening
        (nothing kept may be trusted)."""
        if self._listener is not None and self._listener_pid != os.getpid():
            # Forked: the socket is the parent's, whose notifications it reads.
            self._listener = None
            self._forget()
        if self._listener is None:
            if time.monotonic() < self._retry_at:
                return None
            try:
                self._connect()
            except (psycopg2.Error, OSError, Unheard):
                self._forget()
                self._retry_at = time.monotonic() + RETRY_SECONDS
                return None
        try:
            if time.monotonic() - self._checked_at >= CHECK_SECONDS:
                self._check()
            self._read_notifications()
        except (psycopg2.Error, OSError, Unheard):
            # Listening again from the next request, with nothing kept.
            self._forget()
            return None
        return self._epoch

    def _connect(self) -> None:
        self._listener = psycopg2.connect(
            **{**connections[self.alias].get_connection_params(), **KEEPALIVES}
        )
        self._listener_pid = os.getpid()
        self._listener.autocommit = True
        self._check()
        with self._listener.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")

    def _check(self) -> None:
        with self._listener.cursor() as cursor:
            cursor.execute(TRIGGERS_ALIVE)
            if not cursor.fetchone()[0]:
                # A database not migrated yet, or triggers turned off: nobody
                # would notify.
                raise Unheard
        self._checked_at = time.monotonic()

    def _read_notifications(self) -> None:
        # One poll() reads what one read of the socket holds: a backlog, or
        # the end of a connection the server closed, takes several.
        self._listener.poll()
        while has_unread(self._listener):
            self._listener.poll()
        notifies = self._listener.notifies
        if notifies:
            self._epoch += 1
        while notifies:
            user = notifies.pop(0).payload
            if user == EVERYONE:
                self._rows.clear()
            else:
                self._rows.pop(user, None)

    def _forget(self) -> None:
        self._rows.clear()
        self._epoch += 1
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def _key(user_id) -> str | None:
    """The user's id as the triggers write it; None for no valid id."""
    try:
        return str(user_id if isinstance(user_id, UUID) else UUID(str(user_id)))
    except ValueError:
        return None
