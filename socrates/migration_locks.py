"""Every migration applied under a lock timeout, and tried again while others hold its tables.

A DDL statement waiting for a lock queues every later query on its table
behind it: one long transaction elsewhere then stalls the app for as long as
it lasts. So each migration runs with ``lock_timeout``
(``MIGRATION_LOCK_TIMEOUT_MS``). When a lock is not granted in time, the
migration's transaction rolls back, releasing every lock it took, and after a
backoff with jitter the migration is tried again, up to
``MIGRATION_LOCK_RETRIES`` times; then ``LockNotGranted`` names the sessions
that held the lock. ``statement_timeout`` is off: once its locks are granted,
DDL runs as long as it needs (an index build on a big table).

A migration that is not atomic (``CREATE INDEX CONCURRENTLY`` must be)
commits statement by statement; a concurrent index build that times out
after its first phase leaves an INVALID index, which would make the next try
fail and which PostgreSQL would keep updating on every write. Such leftovers
are dropped (``DROP INDEX CONCURRENTLY``) before the migration is tried again
or given up on. Keep one operation in a non-atomic migration: a retry runs all
of its operations again.

``manage.py migrate`` applies migrations through ``LockRetryingExecutor``, and
``run_migrations_safe`` through ``migrate``.
"""

import random
import threading
import time
from dataclasses import dataclass

import psycopg2.errorcodes
from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.dispatch import Signal

EXIT_STATUS = 6

# Backoff doubles from MIGRATION_LOCK_RETRY_DELAY_MS up to this, so that ten
# retries span about a minute and a half, not hours.
MAX_DELAY_SECONDS = 10.0
QUERY_CHARS = 200
WATCH_POLL_SECONDS = 0.05

# Sent with ``event=`` a ``LockRetry`` or a ``MigrationApplied``; the sender is
# the database alias.
migration_progress = Signal()

BLOCKERS_SQL = f"""
    SELECT pid, coalesce(application_name, ''), coalesce(state, ''),
           extract(epoch FROM clock_timestamp() - xact_start)::float,
           left(regexp_replace(query, '\\s+', ' ', 'g'), {QUERY_CHARS})
    FROM pg_stat_activity
    WHERE pid = ANY(pg_blocking_pids(%s))
    ORDER BY xact_start NULLS LAST, pid
"""

INVALID_INDEXES_SQL = """
    SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid
"""


@dataclass(frozen=True)
class LockRetryPolicy:
    timeout_ms: int
    retries: int
    first_delay_ms: int

    @classmethod
    def from_settings(cls) -> "LockRetryPolicy":
        return cls(
            timeout_ms=settings.MIGRATION_LOCK_TIMEOUT_MS,
            retries=settings.MIGRATION_LOCK_RETRIES,
            first_delay_ms=settings.MIGRATION_LOCK_RETRY_DELAY_MS,
        )

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (from 1). The jitter keeps
        runs that were blocked together from asking again at the same instant."""
        ceiling = min(MAX_DELAY_SECONDS, self.first_delay_ms / 1000 * 2 ** (retry - 1))
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class Blocker:
    """A session holding (or queued before) a lock that a migration waited for."""

    pid: int
    application_name: str
    state: str
    transaction_seconds: float | None
    query: str

    def describe(self) -> str:
        name = f"'{self.application_name}'" if self.application_name else "no application_name"
        opened = (
            f"transaction open {self.transaction_seconds:.1f} s"
            if self.transaction_seconds is not None
            else "no transaction"
        )
        return f'pid {self.pid} ({name}, {self.state or "unknown state"}, {opened}): "{self.query}"'


@dataclass(frozen=True)
class LockRetry:
    migration: str
    retry: int
    retries: int
    timeout_ms: int
    delay: float
    blockers: tuple[Blocker, ...]

    def line(self) -> str:
        held_by = f" (held by {_pids(self.blockers)})" if self.blockers else ""
        return (
            f"{self.migration}: lock not granted within {self.timeout_ms} ms{held_by}; "
            f"retry {self.retry} of {self.retries} in {self.delay:.1f} s"
        )


@dataclass(frozen=True)
class MigrationApplied:
    migration: str
    backwards: bool
    seconds: float
    waited: float
    retries: int

    def line(self) -> str:
        verb = "unapplied" if self.backwards else "applied"
        return (
            f"{verb} {self.migration} in {self.seconds:.1f} s "
            f"(waited {self.waited:.1f} s for locks, {self.retries} retries)"
        )


class LockNotGranted(CommandError):
    def __init__(
        self,
        *,
        migration: str,
        atomic: bool,
        policy: LockRetryPolicy,
        waited: float,
        blockers: tuple[Blocker, ...],
        invalid_indexes: set[str],
    ):
        self.migration = migration
        self.blockers = blockers
        held_by = (
            "; ".join(blocker.describe() for blocker in blockers)
            if blockers
            else "sessions that ended before they could be named"
        )
        outcome = (
            "rolled back: nothing of it is applied"
            if atomic
            else "not atomic: any statement of it before the one that waited stays applied"
        )
        message = (
            f"{migration}: a lock was not granted within {policy.timeout_ms} ms in "
            f"{policy.retries + 1} tries over {waited:.1f} s ({outcome}). "
            f"Held by {held_by}."
        )
        if invalid_indexes:
            message += (
                f" INVALID index(es) left by its concurrent build, still locked: "
                f"{', '.join(sorted(invalid_indexes))} (DROP INDEX CONCURRENTLY each)."
            )
        super().__init__(message, returncode=EXIT_STATUS)


class BlockerWatch:
    """Who blocks a session, read from a second connection while it waits.

    Once the lock timeout ends the wait, ``pg_blocking_pids`` has nothing to
    say; the holders are sampled during it. The second connection opens only
    for a wait longer than ``first_look``: a migration that gets its locks at
    once costs no connection.
    """

    def __init__(self, connection, *, first_look: float):
        connection.ensure_connection()
        self.alias = connection.alias
        self.pid = connection.connection.get_backend_pid()
        self.first_look = first_look
        self.blockers: tuple[Blocker, ...] = ()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "BlockerWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self.first_look):
            return
        watcher = connections.create_connection(self.alias)
        try:
            with watcher.cursor() as cursor:
                while True:
                    cursor.execute(BLOCKERS_SQL, [self.pid])
                    found = tuple(Blocker(*row) for row in cursor.fetchall())
                    if found:
                        self.blockers = found
                    if self._done.wait(WATCH_POLL_SECONDS):
                        return
        except DatabaseError:
            # Naming the holders is a courtesy: the migration goes on without it.
            return
        finally:
            watcher.close()


class LockRetryingExecutor(MigrationExecutor):
    def __init__(
        self, connection, progress_callback=None, *, policy: LockRetryPolicy | None = None
    ):
        super().__init__(connection, progress_callback)
        self.policy = policy or LockRetryPolicy.from_settings()

    def migrate(self, targets, plan=None, state=None, fake=False, fake_initial=False):
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, false), "
                "set_config('statement_timeout', '0', false)",
                [f"{self.policy.timeout_ms}ms"],
            )
        try:
            return super().migrate(targets, plan, state, fake, fake_initial)
        finally:
            # The connection goes on serving (a test database's, a command's
            # post_migrate handlers) under the server's own settings. (In a
            # broken outer transaction, its rollback undoes the settings.)
            if not self.connection.needs_rollback:
                with self.connection.cursor() as cursor:
                    cursor.execute("RESET lock_timeout; RESET statement_timeout")

    def apply_migration(self, state, migration, fake=False, fake_initial=False):
        apply = super().apply_migration
        if fake:
            return apply(state, migration, fake=True)
        return self._with_lock_retries(
            migration,
            backwards=False,
            run=lambda fresh_state: apply(fresh_state, migration, fake_initial=fake_initial),
            state=state,
        )

    def unapply_migration(self, state, migration, fake=False):
        unapply = super().unapply_migration
        if fake:
            return unapply(state, migration, fake=True)
        return self._with_lock_retries(
            migration,
            backwards=True,
            run=lambda fresh_state: unapply(fresh_state, migration),
            state=state,
        )

    def _with_lock_retries(self, migration, *, backwards: bool, run, state):
        name = f"{migration.app_label}.{migration.name}"
        started = time.monotonic()
        invalid_before = set() if migration.atomic else self._invalid_indexes()
        invalid_left: set[str] = set()
        blockers: tuple[Blocker, ...] = ()
        first_look = min(0.2, self.policy.timeout_ms / 4000)
        for retry in range(self.policy.retries + 1):
            if retry:
                delay = self.policy.delay(retry)
                self._send(
                    LockRetry(
                        name, retry, self.policy.retries, self.policy.timeout_ms, delay, blockers
                    )
                )
                time.sleep(delay)
            attempt_started = time.monotonic()
            with BlockerWatch(self.connection, first_look=first_look) as watch:
                try:
                    if invalid_left:
                        invalid_left = self._drop_invalid_indexes(invalid_before)
                    if not invalid_left:
                        # Migration.apply changes the state it is given: each try
                        # starts from its own copy.
                        state_after = run(state.clone())
                        self._send(
                            MigrationApplied(
                                name,
                                backwards,
                                seconds=time.monotonic() - attempt_started,
                                waited=attempt_started - started,
                                retries=retry,
                            )
                        )
                        return state_after
                except DatabaseError as error:
                    if not is_lock_timeout(error):
                        raise
                    if not migration.atomic:
                        invalid_left = self._drop_invalid_indexes(invalid_before)
            blockers = watch.blockers or blockers
        raise LockNotGranted(
            migration=name,
            atomic=migration.atomic,
            policy=self.policy,
            waited=time.monotonic() - started,
            blockers=blockers,
            invalid_indexes=invalid_left,
        )

    def _invalid_indexes(self) -> set[str]:
        with self.connection.cursor() as cursor:
            cursor.execute(INVALID_INDEXES_SQL)
            return {name for (name,) in cursor.fetchall()}

    def _drop_invalid_indexes(self, invalid_before: set[str]) -> set[str]:
        """Drop the INVALID indexes that failed tries left; return those still locked."""
        for name in self._invalid_indexes() - invalid_before:
            try:
                with self.connection.cursor() as cursor:
                    cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            except DatabaseError as error:
                if not is_lock_timeout(error):
                    raise
        return self._invalid_indexes() - invalid_before

    def _send(self, event) -> None:
        migration_progress.send(sender=self.connection.alias, event=event)


def is_lock_timeout(error: Exception) -> bool:
    cause = error.__cause__ or error
    return getattr(cause, "pgcode", None) == psycopg2.errorcodes.LOCK_NOT_AVAILABLE


def _pids(blockers: tuple[Blocker, ...]) -> str:
    return ", ".join(
        f"pid {blocker.pid}"
        + (f" '{blocker.application_name}'" if blocker.application_name else "")
        for blocker in blockers
    )
