"""``bench/results/capacity.md``: the measured costs, and the sizes they give."""

import os
import platform
from datetime import UTC, datetime

from bench import write_results
from bench.capacity import model


def _f(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _other_share(result: dict) -> float:
    """The machine's CPU that none of the measured processes used (other work)."""
    cpu = result["cpu"]
    mine = sum(sum(v for k, v in roles.items() if k != model.PROBE) for roles in cpu.values())
    mine += result["wrk_cpu"]
    return max(0.0, result["machine_busy"] - mine) / result["machine_total"]


def _catch_up(facts: dict) -> str:
    backlog = facts["replica"].get("catch_up") or {"bytes": 0, "seconds": 0}
    return f"{backlog['bytes'] / 1e6:.1f} MB of WAL ({backlog['seconds']:.2f} s)"


def _lag_row(label: str, values: dict, scale: float, digits: int) -> str:
    cells = " | ".join(_f(values[key] * scale, digits) for key in ("p50", "p99", "max"))
    return f"| {label} | {cells} |"


def route_table(mode: dict, titles: dict[str, str]) -> list[str]:
    columns = (
        "route",
        "req/s (2 cores, saturated)",
        "req/s per core",
        "app CPU ms",
        "DB CPU ms auth / specs / background",
        "statements auth (cache) / specs",
        "DB hold ms auth / specs",
        "one at a time ms",
        "WAL bytes (FPI)",
        "PgBouncer CPU ms",
        "other work on the machine",
    )
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    rows = {**mode["routes"], "mix": mode["mix"]}
    for name, result in rows.items():
        c = model.costs(result["loaded"], result.get("unloaded"))
        title = titles.get(name, "**the mix**")
        lines.append(
            f"| {title} | {_f(c.rps, 0)} | {_f(c.per_core, 0)} | {_f(c.app_cpu_ms)} | "
            f"{_f(c.auth_cpu_ms)} / {_f(c.specs_cpu_ms)} / {_f(c.background_cpu_ms)} | "
            f"{_f(c.auth_statements, 1)} ({_f(c.auth_cache_statements, 1)}) / "
            f"{_f(c.specs_statements, 1)} | {_f(c.auth_hold_ms)} / {_f(c.specs_hold_ms)} | "
            f"{_f(c.service_ms, 1)} | {_f(c.wal_bytes, 0)} ({_f(c.wal_fpi, 2)}) | "
            f"{_f(c.pgbouncer_cpu_ms)} | {_other_share(result['loaded']):.0%} |"
        )
    return lines


def write(facts: dict) -> None:
    arguments = facts["arguments"]
    mix_weights = facts["mix"]
    modes = facts["modes"]
    lines = [
        "# Capacity: what a request costs, measured",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"{facts['postgres']} (a cluster of its own: "
        + ", ".join(f"{k}={v}" for k, v in facts["cluster"].items())
        + f"). gunicorn `-c socrates/gunicorn.conf.py --workers {arguments['workers']}`, "
        f"DEBUG off; wrk with {arguments['connections']} connections, a {arguments['warmup']:g} s "
        f"warm-up, then {arguments['seconds']:g} s measured; then one connection for "
        f"{arguments['unloaded_seconds']:g} s. Load at the end: `{facts['uptime']}`.",
        "",
        "Per request: CPU from /proc (gunicorn master and workers; PostgreSQL's client "
        "backends by database, and its other processes as *background*); statements "
        "from pg_stat_statements (with BEGIN and COMMIT; *cache* = statements on "
        "`django_cache`); *DB hold* = pg_stat_database active + idle-in-transaction time, "
        "one connection at a time (what a transaction-mode pooler holds a server "
        "connection for); WAL from pg_current_wal_lsn(), full-page images from "
        "pg_stat_statements. *req/s per core* = 1000 ÷ (app + DB + PgBouncer CPU ms). "
        "*Other work* is the machine's CPU that no measured process used.",
        "",
        "Round trip of `SELECT 1`: "
        f"{facts['round_trip_ms']['direct']:.3f} ms straight to PostgreSQL, "
        f"{facts['round_trip_ms']['pgbouncer']:.3f} ms through PgBouncer.",
        "",
    ]
    route_costs = {}
    for name, mode in modes.items():
        workers = arguments["workers"]
        mix = model.costs(mode["mix"]["loaded"], mode["mix"].get("unloaded"))
        route_costs[name] = {
            route: model.costs(result["loaded"], result.get("unloaded"))
            for route, result in mode["routes"].items()
        }
        title = {
            "dedicated": "DATABASE_DEDICATED_SESSIONS=true, straight to PostgreSQL",
            "pooled": "DATABASE_DEDICATED_SESSIONS=false, through PgBouncer (transaction mode)",
        }.get(name, name)
        lines += [f"## {name}: {title}", "", *route_table(mode, facts["titles"]), ""]
        predicted = model.weighted(route_costs[name], mix_weights)
        if predicted:
            lines.append(
                "The mix predicted from the routes alone: app "
                f"{predicted['app_cpu_ms']:.2f} ms, DB auth {predicted['auth_cpu_ms']:.2f} / "
                f"specs {predicted['specs_cpu_ms']:.2f} / background "
                f"{predicted['background_cpu_ms']:.2f} ms, WAL {predicted['wal_bytes']:.0f} bytes."
            )
        lines += [
            f"Sessions at most during the mix: auth {mix.auth_sessions}, specs "
            f"{mix.specs_sessions} ({workers} workers: "
            f"{mix.auth_sessions / workers:g} and {mix.specs_sessions / workers:g} per worker). "
            f"Largest worker after the load: {mode['worker_rss_mib']:.0f} MiB.",
            "",
        ]
    lines += [
        "Mix, per 1,000 requests: " + ", ".join(f"{k} {v}" for k, v in mix_weights.items()) + ".",
        "",
    ]
    replicated = None
    if "replica" in facts:
        replicated = model.replication(facts["replica"])
        writes = facts["replica"]["writes"]
        lag = replicated.lag
        wal_rate = writes["servers"]["primary"]["wal_bytes"] / writes["seconds"]
        lines += [
            "## A streaming standby serving the pooled app's reads",
            "",
            f"Write load (POST a message and POST a specification, alternately), "
            f"{writes['rps']:.0f} req/s, {wal_rate / 1e3:.0f} kB/s of WAL; the standby "
            f"sampled every 100 ms ({lag.get('samples', 0)} samples):",
            "",
            "| lag | p50 | p99 | max |",
            "|---|---|---|---|",
            _lag_row("bytes not yet replayed", lag["bytes"], 1, 0),
            _lag_row("now() - pg_last_xact_replay_timestamp(), ms", lag["replay_age_s"], 1e3, 1),
            _lag_row("pg_stat_replication.replay_lag, ms", lag["replay_lag_s"], 1e3, 1),
            "",
            "Replay (the standby's startup process): "
            f"{replicated.replay_cpu_per_mb:.3f} CPU s per MB of WAL keeping up with that load; "
            f"with replay paused for the mix's {_catch_up(facts)} and resumed, it caught up at "
            f"{replicated.catch_up_mb_per_s:.1f} MB/s ({replicated.catch_up_cpu_per_mb:.3f} CPU s "
            "per MB).",
            "",
            "The mix with the standby configured (DATABASE_URL_*_REPLICAS):",
            "",
            "| server | DB CPU ms auth / specs / background | statements auth (cache) / specs"
            " | DB hold ms auth / specs | WAL bytes |",
            "|---|---|---|---|---|",
        ]
        for label, c in (("primary", replicated.primary), ("standby", replicated.standby)):
            lines.append(
                f"| {label} | {_f(c.auth_cpu_ms)} / {_f(c.specs_cpu_ms)} / "
                f"{_f(c.background_cpu_ms)} | "
                f"{_f(c.auth_statements, 1)} ({_f(c.auth_cache_statements, 1)}) / "
                f"{_f(c.specs_statements, 1)} | {_f(c.auth_hold_ms)} / {_f(c.specs_hold_ms)} | "
                f"{_f(c.wal_bytes, 0)} |"
            )
        p = replicated.primary
        lines += [
            "",
            f"App {p.app_cpu_ms:.2f} ms, PgBouncer {p.pgbouncer_cpu_ms:.2f} ms per request; "
            f"{p.rps:.0f} req/s; one at a time {_f(p.service_ms, 1)} ms.",
            "",
        ]
        mix = facts["replica"]["mix"]["loaded"]
        for server in ("primary", "standby"):
            lines += [
                f"Where the {server}'s statement time went in that mix (pg_stat_statements, "
                "execution + planning, per request of the mix):",
                "",
                "| database | statement | calls | ms |",
                "|---|---|---|---|",
            ]
            n = max(mix["requests"], 1)
            for row in mix["servers"][server].get("top", [])[:10]:
                query = row["query"].replace("|", "\\|")
                lines.append(
                    f"| {row['database'].rsplit('_', 1)[-1]} | `{query}` | "
                    f"{row['calls'] / n:.3f} | {row['ms'] / n:.3f} |"
                )
            lines.append("")
    if "dedicated" in modes and "pooled" in modes:
        dedicated = model.costs(
            modes["dedicated"]["mix"]["loaded"], modes["dedicated"]["mix"].get("unloaded")
        )
        pooled = model.costs(
            modes["pooled"]["mix"]["loaded"], modes["pooled"]["mix"].get("unloaded")
        )
        lines += ["## Sizes for the mix (bench.capacity.model)", ""]
        plans = [model.plan(rate, dedicated, pooled, replicated) for rate in model.RATES]
        lines += ["| figure | " + " | ".join(f"{p['rate']:,} req/s" for p in plans) + " |"]
        lines += ["|---|" + "---|" * len(plans)]
        for part in plans[0]:
            if part == "rate":
                continue
            for key in plans[0][part]:
                lines.append(
                    f"| {part}: {key} | " + " | ".join(_f(p[part][key], 1) for p in plans) + " |"
                )
        lines += ["", "Ceilings, requests per second of the mix:", ""]
        for key, value in model.ceilings(dedicated, pooled, replicated).items():
            lines.append(f"- {key}: {_f(value, 0)}")
    write_results("capacity.md", "\n".join(lines))
