"""From measured costs per request to what a deployment needs (docs/SCALING.md).

Every input is a figure of ``capacity.json``; the few that are choices, not
measurements, are the constants below.
"""

import math
from dataclasses import dataclass

from bench.web.run import NAMES

# The share of a resource kept busy at the rate sized for: the rest absorbs
# bursts and the loss of a node.
TARGET_UTILISATION = 0.6
# A pooler's server connections are sized so that on average half are busy:
# a request waits for one only when a burst doubles the mean.
POOL_UTILISATION = 0.5
# Cores of one read replica (a choice; the reads' cores divide by it).
REPLICA_CORES = 8
RATES = (1_000, 10_000)
PROBE = "db:postgres"


@dataclass(frozen=True)
class Costs:
    """One request's costs (means over a measured window)."""

    requests: int
    rps: float
    app_cpu_ms: float
    auth_cpu_ms: float
    specs_cpu_ms: float
    background_cpu_ms: float
    pgbouncer_cpu_ms: float
    auth_statements: float
    specs_statements: float
    auth_cache_statements: float
    auth_exec_ms: float
    specs_exec_ms: float
    wal_bytes: float
    wal_fpi: float
    # Time the server spent running this request's statements or idle inside
    # its transactions, per database (what a transaction-mode pooler holds a
    # server connection for), and the request's whole time; both from the
    # run of one connection at a time, where no request queues.
    auth_hold_ms: float | None = None
    specs_hold_ms: float | None = None
    service_ms: float | None = None
    # Client backends per database at most during the loaded window.
    auth_sessions: int = 0
    specs_sessions: int = 0

    @property
    def db_cpu_ms(self) -> float:
        return self.auth_cpu_ms + self.specs_cpu_ms + self.background_cpu_ms

    @property
    def per_core(self) -> float:
        """Requests per second one core serves, app and database together."""
        return 1e3 / (self.app_cpu_ms + self.db_cpu_ms + self.pgbouncer_cpu_ms)


def server_cpu(result: dict, group: str) -> tuple[float, float, float]:
    """(auth, specs, everything else) CPU seconds of a server's processes."""
    roles = result["cpu"].get(group, {})
    auth = roles.get(f"db:{NAMES['auth']}", 0.0)
    specs = roles.get(f"db:{NAMES['specs']}", 0.0)
    rest = sum(
        v
        for k, v in roles.items()
        if k not in (PROBE, f"db:{NAMES['auth']}", f"db:{NAMES['specs']}")
    )
    return auth, specs, rest


def costs(loaded: dict, unloaded: dict | None = None, *, server: str = "primary") -> Costs:
    n = max(loaded["requests"], 1)
    group = "postgres" if server == "primary" else "standby"
    auth_cpu, specs_cpu, rest = server_cpu(loaded, group)
    databases = loaded["servers"][server]["databases"]
    auth, specs = databases.get(NAMES["auth"], {}), databases.get(NAMES["specs"], {})
    sessions = loaded["sessions"].get(server, {})
    hold = {}
    service = None
    if unloaded:
        m = max(unloaded["requests"], 1)
        for alias in ("auth", "specs"):
            stats = unloaded["servers"][server]["databases"].get(NAMES[alias], {})
            hold[alias] = (stats.get("active_ms", 0) + stats.get("idle_in_transaction_ms", 0)) / m
        service = unloaded["seconds"] * 1e3 / m
    return Costs(
        requests=loaded["requests"],
        rps=loaded["rps"],
        app_cpu_ms=sum(loaded["cpu"]["app"].values()) / n * 1e3,
        auth_cpu_ms=auth_cpu / n * 1e3,
        specs_cpu_ms=specs_cpu / n * 1e3,
        background_cpu_ms=rest / n * 1e3,
        pgbouncer_cpu_ms=sum(loaded["cpu"].get("pgbouncer", {}).values()) / n * 1e3,
        auth_statements=auth.get("statements", 0) / n,
        specs_statements=specs.get("statements", 0) / n,
        auth_cache_statements=auth.get("cache_statements", 0) / n,
        auth_exec_ms=auth.get("exec_ms", 0) / n,
        specs_exec_ms=specs.get("exec_ms", 0) / n,
        wal_bytes=loaded["servers"][server]["wal_bytes"] / n,
        wal_fpi=(auth.get("wal_fpi", 0) + specs.get("wal_fpi", 0)) / n,
        auth_hold_ms=hold.get("auth"),
        specs_hold_ms=hold.get("specs"),
        service_ms=service,
        auth_sessions=sessions.get(NAMES["auth"], {}).get("most", 0),
        specs_sessions=sessions.get(NAMES["specs"], {}).get("most", 0),
    )


def weighted(route_costs: dict[str, Costs], weights: dict[str, int]) -> dict[str, float]:
    """The mix's mean costs predicted from the routes measured alone."""
    total = sum(weights.values())
    fields = ("app_cpu_ms", "auth_cpu_ms", "specs_cpu_ms", "background_cpu_ms", "wal_bytes")
    return {
        field: sum(getattr(route_costs[name], field) * w for name, w in weights.items()) / total
        for field in fields
        if all(name in route_costs for name in weights)
    }


@dataclass(frozen=True)
class Replication:
    """The pooled app reading from a standby: where the mix's database CPU went."""

    primary: Costs
    standby: Costs
    # CPU seconds the standby's startup process spends replaying one MB of WAL,
    # keeping up with the write load and catching up with a backlog.
    replay_cpu_per_mb: float
    catch_up_cpu_per_mb: float
    catch_up_mb_per_s: float
    lag: dict


def replication(replica: dict) -> Replication:
    writes = replica["writes"]
    replayed = writes["servers"]["standby"]["wal_bytes"]
    startup = writes["cpu"]["standby"].get("startup", 0.0)
    mix = replica["mix"]
    backlog = replica.get("catch_up") or {"bytes": 0, "seconds": 1, "startup_cpu": 0}
    megabytes = backlog["bytes"] / 1e6
    return Replication(
        primary=costs(mix["loaded"], mix.get("unloaded")),
        standby=costs(mix["loaded"], mix.get("unloaded"), server="standby"),
        replay_cpu_per_mb=startup / (replayed / 1e6) if replayed else 0.0,
        catch_up_cpu_per_mb=backlog["startup_cpu"] / megabytes if megabytes else 0.0,
        catch_up_mb_per_s=megabytes / backlog["seconds"],
        lag=writes.get("lag", {}),
    )


def cores(rate: float, ms: float, utilisation: float = TARGET_UTILISATION) -> float:
    return rate * ms / 1e3 / utilisation


def plan(rate: float, dedicated: Costs, pooled: Costs, replicated: Replication | None) -> dict:
    """What ``rate`` requests per second of the mix need, each figure by its formula."""
    sized = {
        "rate": rate,
        # One node, dedicated sessions (no pooler): the user cache and prepared statements on.
        "dedicated": {
            "app_cores": cores(rate, dedicated.app_cpu_ms),
            "workers": cores(rate, dedicated.service_ms or 0),
            "db_cores": cores(rate, dedicated.db_cpu_ms),
            "auth_statements_per_s": rate * dedicated.auth_statements,
            "specs_statements_per_s": rate * dedicated.specs_statements,
            "wal_mb_per_s": rate * dedicated.wal_bytes / 1e6,
        },
        # Behind PgBouncer in transaction mode: both off.
        "pooled": {
            "app_cores": cores(rate, pooled.app_cpu_ms),
            "workers": cores(rate, pooled.service_ms or 0),
            "pgbouncer_cores": cores(rate, pooled.pgbouncer_cpu_ms),
            "auth_pool": math.ceil(cores(rate, pooled.auth_hold_ms or 0, POOL_UTILISATION)),
            "specs_pool": math.ceil(cores(rate, pooled.specs_hold_ms or 0, POOL_UTILISATION)),
            "db_cores": cores(rate, pooled.db_cpu_ms),
            "auth_db_cores": cores(rate, pooled.auth_cpu_ms),
            "auth_statements_per_s": rate * pooled.auth_statements,
            "specs_statements_per_s": rate * pooled.specs_statements,
            "wal_mb_per_s": rate * pooled.wal_bytes / 1e6,
        },
    }
    if replicated:
        primary, standby = replicated.primary, replicated.standby
        read_cores = cores(rate, standby.auth_cpu_ms + standby.specs_cpu_ms)
        sized["replicated"] = {
            "app_cores": cores(rate, primary.app_cpu_ms),
            "pgbouncer_cores": cores(rate, primary.pgbouncer_cpu_ms),
            "auth_pool": math.ceil(cores(rate, primary.auth_hold_ms or 0, POOL_UTILISATION)),
            "specs_pool": math.ceil(cores(rate, primary.specs_hold_ms or 0, POOL_UTILISATION)),
            "auth_primary_cores": cores(rate, primary.auth_cpu_ms),
            "specs_primary_cores": cores(rate, primary.specs_cpu_ms + primary.background_cpu_ms),
            "replica_read_cores": read_cores,
            "replicas": math.ceil(read_cores / REPLICA_CORES) + 1,
            "wal_mb_per_s": rate * primary.wal_bytes / 1e6,
            # One process replays everything a standby receives: the share of
            # its fastest pace (catching up) that the WAL takes.
            "replay_share": rate * primary.wal_bytes / 1e6 / replicated.catch_up_mb_per_s
            if replicated.catch_up_mb_per_s
            else None,
            "auth_primary_statements_per_s": rate * primary.auth_statements,
            "auth_cache_statements_per_s": rate * primary.auth_cache_statements,
        }
    return sized


def ceilings(dedicated: Costs, pooled: Costs, replicated: Replication | None) -> dict:
    """Requests per second of the mix at which each single thing is full."""
    found = {
        "auth_per_primary_core_pooled": TARGET_UTILISATION * 1e3 / pooled.auth_cpu_ms
        if pooled.auth_cpu_ms
        else None,
        "auth_per_primary_core_dedicated": TARGET_UTILISATION * 1e3 / dedicated.auth_cpu_ms
        if dedicated.auth_cpu_ms
        else None,
    }
    if replicated:
        primary = replicated.primary
        found["specs_per_primary_core"] = (
            TARGET_UTILISATION * 1e3 / (primary.specs_cpu_ms + primary.background_cpu_ms)
        )
        found["auth_per_primary_core_replicated"] = TARGET_UTILISATION * 1e3 / primary.auth_cpu_ms
        if replicated.catch_up_mb_per_s and primary.wal_bytes:
            # Each standby's startup process, at the pace it catches up at.
            found["replay"] = replicated.catch_up_mb_per_s * 1e6 / primary.wal_bytes
    return found
