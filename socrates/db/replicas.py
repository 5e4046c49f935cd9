"""Reads from streaming replicas, with read-your-writes by WAL position.

A replica alias is a database whose ``TEST["MIRROR"]`` names its primary
(settings build them from ``DATABASE_URL_AUTH_REPLICAS`` and
``DATABASE_URL_SPECS_REPLICAS``). With none configured, ``read_alias`` returns
the primary before looking at anything else: no request pays for this module.

Why a read served here never shows a caller less than they wrote:

- Only reads go to a replica, and only during a request, outside a
  transaction on the primary, from a caller already known (authentication's
  own reads, which decide whether a credential is still good, go to the
  primary), and never after the request has written to that database. Writes,
  ``select_for_update`` (a write to the router), migrations, the runner,
  LISTEN and advisory locks name the primary or ask for a write.
- After a request that wrote, the primary's ``pg_current_wal_insert_lsn()``,
  taken after the commit, is kept in the shared cache for the caller (a user,
  or an API key's owner) for longer than the worst lag allowed. A replica
  serves that caller only once its ``pg_last_wal_replay_lsn()`` is at or past
  it: the commit record lies before that position, so the rows are there.
- Replay positions only grow, so a position read earlier in this process is a
  lower bound: trusting it can send a read to the primary needlessly, never
  to a replica that lacks the write. A fresher one is read (one round trip)
  only when the kept one is behind what the caller needs.
- A replica that lags more than ``DATABASE_REPLICA_MAX_LAG_SECONDS`` (it has
  received WAL it has not replayed, and its last replayed transaction is that
  old), or whose session fails, is skipped until a later check finds it well.
"""

import functools
import logging
import random
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import Error, connections
from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger(__name__)

# How long a replica's position and health, once read, are trusted.
CHECK_INTERVAL_SECONDS = 1.0
POSITION_KEY = "replicas:written:{alias}:{user_id}"


@functools.cache
def replica_aliases() -> dict[str, tuple[str, ...]]:
    """Each primary's replicas, from the settings (read once: every read asks)."""
    replicas: dict[str, list[str]] = {}
    for alias, config in settings.DATABASES.items():
        primary = (config.get("TEST") or {}).get("MIRROR")
        if primary:
            replicas.setdefault(primary, []).append(alias)
    return {primary: tuple(aliases) for primary, aliases in replicas.items()}


def lsn(text: str | None) -> int | None:
    """A WAL position ("16/B374D848") as a number that compares."""
    if not text:
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass
class ReplicaState:
    checked_at: float = float("-inf")
    replayed: int | None = None
    usable: bool = False
    lag_seconds: float | None = None


class ReplicaHealth:
    """What this process last learned of each replica."""

    def __init__(self):
        self._states: dict[str, ReplicaState] = {}
        self._lock = threading.Lock()

    def state(self, alias: str) -> ReplicaState:
        with self._lock:
            return self._states.setdefault(alias, ReplicaState())

    def serves(self, alias: str, needed: int | None) -> bool:
        state = self.state(alias)
        stale = time.monotonic() - state.checked_at > CHECK_INTERVAL_SECONDS
        behind = needed is not None and (state.replayed is None or state.replayed < needed)
        if stale or (behind and state.usable):
            state = self.check(alias)
        return state.usable and (needed is None or (state.replayed or 0) >= needed)

    def mark_unusable(self, alias: str) -> ReplicaState:
        state = ReplicaState(checked_at=time.monotonic())
        with self._lock:
            self._states[alias] = state
        return state

    def check(self, alias: str) -> ReplicaState:
        """Reads the replica's replay position and lag; a failure marks it unusable."""
        state = ReplicaState(checked_at=time.monotonic())
        try:
            connection = connections[alias]
            connection.close_if_health_check_failed()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_last_wal_replay_lsn()::text,"
                    " pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),"
                    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
                )
                replayed, caught_up, lag = cursor.fetchone()
        except Error:
            connections[alias].close()
            return self.mark_unusable(alias)
        else:
            state.replayed = lsn(replayed)
            state.lag_seconds = 0.0 if caught_up else (float(lag) if lag is not None else None)
            state.usable = state.lag_seconds is not None and (
                state.lag_seconds <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
            )
        with self._lock:
            self._states[alias] = state
        return state


health = ReplicaHealth()


@dataclass
class RequestReads:
    """One request's routing: whom it serves, what it wrote, where it reads."""

    request: object
    written: set[str] = field(default_factory=set)
    chosen: dict[str, str] = field(default_factory=dict)
    needed: dict[str, int | None] | None = None

    def user_id(self):
        # DRF puts the authenticated user (an API key's owner included) on
        # the Django request; until then it is the session's lazy user, which
        # is known only once something has evaluated it.
        user = self.request.__dict__.get("user")
        if isinstance(user, SimpleLazyObject):
            user = user._wrapped
            if user is empty:
                return None
        return user.pk if getattr(user, "is_authenticated", False) else None

    def needed_position(self, primary: str, user_id) -> int | None:
        if self.needed is None:
            keys = {
                alias: POSITION_KEY.format(alias=alias, user_id=user_id)
                for alias in replica_aliases()
            }
            found = cache.get_many(list(keys.values()))
            self.needed = {alias: found.get(key) for alias, key in keys.items()}
        return self.needed.get(primary)


current_reads: ContextVar[RequestReads | None] = ContextVar("current_reads", default=None)


def read_alias(primary: str) -> str:
    """Where a read of ``primary``'s tables goes now."""
    replicas = replica_aliases().get(primary)
    if not replicas:
        return primary
    reads = current_reads.get()
    if reads is None or primary in reads.written or connections[primary].in_atomic_block:
        return primary
    if primary not in reads.chosen:
        user_id = reads.user_id()
        if user_id is None:
            return primary
        needed = reads.needed_position(primary, user_id)
        usable = [alias for alias in replicas if health.serves(alias, needed)]
        reads.chosen[primary] = _connected(random.sample(usable, len(usable))) or primary
    return reads.chosen[primary]


def _connected(aliases: list[str]) -> str | None:
    """The first replica whose session works: one killed since its last check
    costs this request nothing but the attempt."""
    for alias in aliases:
        connection = connections[alias]
        try:
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except Error:
            connection.close()
            health.mark_unusable(alias)
        else:
            return alias
    return None


def note_write(primary: str) -> None:
    reads = current_reads.get()
    if reads is not None:
        reads.written.add(primary)


def record_positions(reads: RequestReads) -> None:
    """After a request that wrote: where each written primary's WAL stands,
    for the caller's next reads."""
    user_id = reads.user_id()
    replicated = replica_aliases()
    written = [alias for alias in reads.written if alias in replicated]
    if user_id is None or not written:
        return
    positions = {}
    try:
        for alias in written:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
                key = POSITION_KEY.format(alias=alias, user_id=user_id)
                positions[key] = lsn(cursor.fetchone()[0])
    except Error as error:
        # The write is done: its answer stands. With no position kept, this
        # caller's next reads may lag by up to the allowed lag.
        logger.warning("could not read the WAL position after a write: %s", error)
        return
    # Kept past the worst lag a serving replica may have.
    cache.set_many(positions, timeout=settings.DATABASE_REPLICA_MAX_LAG_SECONDS + 10)
