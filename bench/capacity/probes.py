"""What a run costs, read from /proc and from PostgreSQL's statistics.

- CPU: utime + stime of each process (``/proc/PID/stat``), by role: the
  gunicorn master and workers, each PostgreSQL server's processes (a client
  backend by the database its process title names, the rest by their title:
  walsender, startup, walwriter...), PgBouncer. Processes are sampled every
  ``SAMPLE_SECONDS``, so one that exits during a run (a connection reaching
  ``CONN_MAX_AGE``) counts with its last sample.
- PostgreSQL: ``pg_stat_statements`` (calls, execution and planning time, WAL
  records per database: counted as each statement ends),
  ``pg_stat_database`` (time sessions spent running statements and idle in a
  transaction: flushed by each backend at most once a second, so a window's
  ends are off by up to a second of activity each, in opposite directions)
  and ``pg_current_wal_lsn()``.
- Sessions: ``pg_stat_activity``'s client backends per database, each sample.

The probes' own sessions use the ``postgres`` database, whose backends and
statements are left out of every figure.
"""

import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.1
PROBE_DATABASE = "postgres"


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process, None once it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    # Fields 14 and 15 of proc(5); the list starts at field 3.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def title(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def postgres_role(pid: int, postmaster: int) -> str:
    """``db:NAME`` for a client backend, else what the process is."""
    if pid == postmaster:
        return "postmaster"
    words = title(pid).split()
    if len(words) < 2 or words[0] != "postgres:":
        # Forked a moment ago: its title is still the postmaster's command line.
        return "starting"
    # "postgres: USER DATABASE HOST(PORT) STATE" for a client backend.
    if len(words) >= 4 and "(" in words[3]:
        if words[1] == "walsender":
            return "walsender"
        return f"db:{words[2]}"
    if words[1] in ("io", "autovacuum", "background", "logical"):
        return " ".join(words[1:3])
    return words[1]


@dataclass
class Tracked:
    """A set of processes whose CPU is summed by role over a window."""

    name: str
    roots: list[int]
    # How to name a process; the roots' direct children are tracked too.
    role_of: object = None
    baseline: dict[int, float] = field(default_factory=dict)
    last: dict[int, tuple[str, float]] = field(default_factory=dict)

    def pids(self) -> list[int]:
        found = []
        for root in self.roots:
            found.append(root)
            found.extend(children(root))
        return found

    def sample(self) -> None:
        for pid in self.pids():
            cpu = process_cpu(pid)
            if cpu is None:
                continue
            role = self.role_of(pid) if self.role_of else self.name
            self.last[pid] = (role, cpu)

    def start(self) -> None:
        self.last = {}
        self.sample()
        self.baseline = {pid: cpu for pid, (_, cpu) in self.last.items()}

    def by_role(self) -> dict[str, float]:
        self.sample()
        totals: dict[str, float] = {}
        for pid, (role, cpu) in self.last.items():
            totals[role] = totals.get(role, 0.0) + cpu - self.baseline.get(pid, 0.0)
        return totals


def postgres_tracked(name: str, data_directory: Path) -> Tracked:
    postmaster = int((data_directory / "postmaster.pid").read_text().split()[0])
    return Tracked(name, [postmaster], role_of=lambda pid: postgres_role(pid, postmaster))


def quiesce(groups: list[Tracked], *, timeout: float = 180) -> None:
    """Waits until the processes use under 5 % of a core: workers booted, or
    the requests a finished load left queued answered."""

    def total() -> float:
        return sum(process_cpu(pid) or 0.0 for group in groups for pid in group.pids())

    deadline = time.monotonic() + timeout
    previous = total()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = total()
        if current - previous < 0.025:
            return
        previous = current
    raise RuntimeError("the processes did not become idle")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])
    idle = values[3] + values[4]
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


STATEMENTS_SQL = """
    SELECT d.datname, sum(s.calls)::bigint, sum(s.total_exec_time)::float,
           sum(s.total_plan_time)::float, sum(s.wal_records)::bigint, sum(s.wal_fpi)::bigint,
           coalesce(sum(s.calls) FILTER (WHERE s.query LIKE '%%django_cache%%'), 0)::bigint,
           coalesce(sum(s.total_exec_time + s.total_plan_time)
                    FILTER (WHERE s.query LIKE '%%django_cache%%'), 0)::float
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = ANY(%s)
    GROUP BY d.datname
"""
DATABASE_SQL = """
    SELECT datname, xact_commit + xact_rollback, active_time, idle_in_transaction_time
    FROM pg_stat_database WHERE datname = ANY(%s)
"""


EACH_STATEMENT_SQL = """
    SELECT d.datname, s.queryid, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160), s.calls,
           s.total_exec_time + s.total_plan_time
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = ANY(%s)
"""


@dataclass(frozen=True)
class Snapshot:
    statements: dict[str, tuple]
    databases: dict[str, tuple]
    wal_lsn: int
    each: dict[tuple, tuple]


class Server:
    """A PostgreSQL server's statistics, read on a session of the probe database."""

    def __init__(self, url: str, databases: tuple[str, ...]):
        self.connection = psycopg2.connect(url)
        self.connection.autocommit = True
        self.databases = list(databases)

    def snapshot(self, *, standby: bool = False) -> Snapshot:
        with self.connection.cursor() as cursor:
            cursor.execute(STATEMENTS_SQL, [self.databases])
            statements = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute(DATABASE_SQL, [self.databases])
            databases = {row[0]: row[1:] for row in cursor.fetchall()}
            lsn_function = "pg_last_wal_replay_lsn()" if standby else "pg_current_wal_lsn()"
            cursor.execute(f"SELECT {lsn_function} - '0/0'::pg_lsn")
            (wal_lsn,) = cursor.fetchone()
            cursor.execute(EACH_STATEMENT_SQL, [self.databases])
            each = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
        return Snapshot(statements, databases, int(wal_lsn or 0), each)

    def sessions(self) -> dict[str, tuple[int, int]]:
        """Client backends per database: (all, busy: running or in a transaction)."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT datname, count(*), count(*) FILTER (WHERE state <> 'idle')"
                " FROM pg_stat_activity WHERE backend_type = 'client backend'"
                " AND datname = ANY(%s) GROUP BY datname",
                [self.databases],
            )
            return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}

    def close(self) -> None:
        self.connection.close()


def statement_deltas(before: Snapshot, after: Snapshot) -> dict[str, dict[str, float]]:
    """Per database: statements, their execution and planning ms, WAL records
    and full-page images, session ms running statements and idle in a transaction."""
    deltas = {}
    for name in set(before.statements) | set(after.statements) | set(after.databases):
        zero = (0, 0.0, 0.0, 0, 0, 0, 0.0)
        s0, s1 = before.statements.get(name, zero), after.statements.get(name, zero)
        d0, d1 = before.databases.get(name, (0, 0.0, 0.0)), after.databases.get(name, (0, 0, 0))
        deltas[name] = {
            "statements": s1[0] - s0[0],
            "exec_ms": (s1[1] - s0[1]) + (s1[2] - s0[2]),
            "wal_records": s1[3] - s0[3],
            "wal_fpi": s1[4] - s0[4],
            # Of which the cache's table (throttle counters, refresh successors,
            # replica positions), while CACHE_URL is unset.
            "cache_statements": s1[5] - s0[5],
            "cache_exec_ms": s1[6] - s0[6],
            "transactions": d1[0] - d0[0],
            "active_ms": d1[1] - d0[1],
            "idle_in_transaction_ms": d1[2] - d0[2],
        }
    return deltas


def top_statements(before: Snapshot, after: Snapshot, count: int = 12) -> list[dict]:
    """The statements that took the most time in the window."""
    rows = []
    for key, (query, calls, total) in after.each.items():
        _, calls_before, total_before = before.each.get(key, (query, 0, 0.0))
        if calls > calls_before:
            rows.append(
                {
                    "database": key[0],
                    "query": query,
                    "calls": calls - calls_before,
                    "ms": total - total_before,
                }
            )
    return sorted(rows, key=lambda row: -row["ms"])[:count]


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS: the tracked processes' CPU, each server's sessions
    and, with a standby, its lag behind the primary."""

    def __init__(
        self,
        tracked: list[Tracked],
        servers: dict[str, Server],
        *,
        lag_urls: tuple[str, str] | None = None,
    ):
        super().__init__(daemon=True)
        self.tracked = tracked
        self.servers = servers
        self.sessions: dict[str, list[dict[str, tuple[int, int]]]] = {s: [] for s in servers}
        self.lag_urls = lag_urls
        self.lag: list[dict[str, float]] = []
        self.stopped = threading.Event()
        for group in tracked:
            group.start()

    def run(self) -> None:
        lag = _LagProbe(*self.lag_urls) if self.lag_urls else None
        while not self.stopped.wait(SAMPLE_SECONDS):
            for group in self.tracked:
                group.sample()
            for name, server in self.servers.items():
                self.sessions[name].append(server.sessions())
            if lag:
                self.lag.append(lag.sample())
        if lag:
            lag.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join()

    def session_summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per server and database: most and mean sessions, mean busy ones."""
        summary = {}
        for server, samples in self.sessions.items():
            names = {name for sample in samples for name in sample}
            summary[server] = {
                name: {
                    "most": max(s.get(name, (0, 0))[0] for s in samples),
                    "mean": statistics.fmean(s.get(name, (0, 0))[0] for s in samples),
                    "busy_mean": statistics.fmean(s.get(name, (0, 0))[1] for s in samples),
                }
                for name in names
            }
        return summary


class _LagProbe:
    """The standby's lag: its replay behind the primary's WAL in bytes, the age
    of the last transaction it replayed, and the primary's own replay_lag."""

    def __init__(self, primary_url: str, standby_url: str):
        self.primary = psycopg2.connect(primary_url)
        self.standby = psycopg2.connect(standby_url)
        self.primary.autocommit = self.standby.autocommit = True

    def sample(self) -> dict[str, float]:
        with self.standby.cursor() as cursor:
            cursor.execute(
                "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn,"
                " extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
            )
            replayed, replay_age = cursor.fetchone()
        with self.primary.cursor() as cursor:
            cursor.execute(
                "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn,"
                " (SELECT extract(epoch FROM replay_lag) FROM pg_stat_replication LIMIT 1)"
            )
            current, replay_lag = cursor.fetchone()
        return {
            "bytes": float(current - replayed),
            "replay_age_s": float(replay_age or 0.0),
            "replay_lag_s": float(replay_lag or 0.0),
        }

    def close(self) -> None:
        self.primary.close()
        self.standby.close()


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    return {"p50": at(0.5), "p99": at(0.99), "max": ordered[-1]}


def round_trip_ms(url: str, count: int = 2000) -> float:
    """The mean time of ``SELECT 1`` on a session to ``url``: one round trip."""
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute("SELECT 1")
        started = time.perf_counter()
        for _ in range(count):
            cursor.execute("SELECT 1")
            cursor.fetchone()
        elapsed = time.perf_counter() - started
    connection.close()
    return elapsed / count * 1e3
