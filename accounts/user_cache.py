"""The users of tokens, sessions and API keys, kept in memory while PostgreSQL
says they are unchanged: a request by a kept user sends no statement to the
auth database.

What makes it correct is notifications, not time. Every change to a user's row
or sign-in generation, by this project or by any other program, notifies
``socrates_user_changes`` at its commit (the triggers of migration 0007). Each
process LISTENs on a connection of its own and, before trusting a kept user,
reads what has arrived (psycopg2 reads its socket: no round trip) and drops
the users named. So a user signed out everywhere, suspended, deleted or given
a new password is refused from the first request that starts after the
commit, as without the cache. Nothing that could have been missed is trusted:
a new listening connection starts with nothing kept, and a user is kept only
when read while listening, outside any transaction (whose own uncommitted
changes notify nobody until it commits). Behind a pooler that shares server
sessions, LISTEN can't work: ``DATABASE_DEDICATED_SESSIONS=false`` keeps no user.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from uuid import UUID

import psycopg2
from django.conf import settings
from django.db import connections

CHANNEL = "socrates_user_changes"
# The payload of a TRUNCATE: every user.
EVERYONE = "*"
# Without all of them enabled when listening begins (a database not migrated
# yet), nothing is kept.
TRIGGERS = [
    "users_notify_change",
    "users_notify_truncate",
    "user_token_generations_notify_change",
    "user_token_generations_notify_truncate",
]
# A process keeps at most this many users, the least recently used leaving first.
CAPACITY = 10_000
# After failing to listen (a server down), the seconds before trying again.
RETRY_SECONDS = 5

Row = tuple[tuple, list[str]]


class UserCache:
    def __init__(self, alias: str):
        self.alias = alias
        self._lock = threading.Lock()
        self._rows: OrderedDict[str, Row] = OrderedDict()
        self._listener = None
        # Bumped whenever a row being loaded may be stale already: a
        # notification read (perhaps of that user), or the listener lost.
        self._epoch = 0
        self._retry_at = 0.0

    def row(self, user_id, load: Callable[[], Row | None]) -> Row | None:
        """The user's row, kept or loaded by ``load``."""
        key = _key(user_id)
        if (
            key is None
            or not settings.DATABASE_DEDICATED_SESSIONS
            or connections[self.alias].in_atomic_block
        ):
            return load()
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
        if self._listener is None:
            if time.monotonic() < self._retry_at:
                return None
            try:
                self._listener = psycopg2.connect(**connections[self.alias].get_connection_params())
                self._listener.autocommit = True
                with self._listener.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_trigger"
                        " WHERE tgname = ANY(%s) AND tgenabled <> 'D'",
                        [TRIGGERS],
                    )
                    if cursor.fetchone()[0] != len(TRIGGERS):
                        # A database not yet migrated: nobody would notify.
                        raise psycopg2.OperationalError("the change triggers are missing")
                    cursor.execute(f"LISTEN {CHANNEL}")
            except psycopg2.Error:
                self._forget()
                self._retry_at = time.monotonic() + RETRY_SECONDS
                return None
        try:
            self._listener.poll()
        except psycopg2.Error:
            self._forget()
            return None
        notifies = self._listener.notifies
        if notifies:
            self._epoch += 1
        while notifies:
            user = notifies.pop(0).payload
            if user == EVERYONE:
                self._rows.clear()
            else:
                self._rows.pop(user, None)
        return self._epoch

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
