"""``bench/results/latest.md`` (tables and ratios) and ``latest.png`` (chart)."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime

from bench import RESULTS
from bench.web.servers import BASE_DIR, PEER_VENV, WORKERS

# Targets of issue 10, for every read endpoint.
PEER_TARGET = 1.5
FLOOR_TARGET = 0.6
DEEP_TARGET = 1.2
SCALE_TOLERANCE = 1.2


def _versions() -> str:
    def of(python: str, modules: str) -> str:
        code = (
            f"import importlib.metadata as m; print(', '.join(f'{{n}} {{m.version(n)}}' "
            f"for n in {modules!r}.split()))"
        )
        return subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()

    project = of(
        str(BASE_DIR / ".venv/bin/python"),
        "Django djangorestframework djangorestframework-simplejwt psycopg2-binary gunicorn",
    )
    peer = of(
        str(PEER_VENV / "bin/python"),
        "fastapi SQLAlchemy pydantic uvicorn psycopg2-binary gunicorn",
    )
    return f"project: {project}; peer: {peer}"


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}×" if denominator else "–"


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def write(facts: dict, endpoints, servers) -> None:
    names = [server.name for server in servers]
    lines = [
        "# Web benchmark: this project, its legacy peer, a raw floor",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
        f"{facts['postgres']}; {_versions()}.",
        f"Each server: gunicorn, {WORKERS} workers, on loopback; load by {facts['generator']} "
        f"({facts['arguments']['rounds']} rounds of {facts['arguments']['seconds']:g} s per "
        "endpoint and server, servers in rotating order, warm-up first; medians).",
        "",
        "Servers: " + "; ".join(f"**{s.name}** = {s.title}" for s in servers) + ".",
        "",
        "## Throughput and latency",
        "",
        _table(facts["load"], facts["probe"], endpoints, names),
        "",
        "Resident memory per worker after the load: "
        + ", ".join(f"{name} {facts['rss_mib'][name]:.0f} MiB" for name in names)
        + ".",
        "",
        "## Targets",
        "",
        *_targets(facts, endpoints),
        "",
        "## Migrations from empty",
        "",
        "`run_migrations_safe` of both databases: "
        f"{facts['migrations']['run_migrations_safe']:.1f} s; psql applying the DDL "
        "`sqlmigrate` prints for the same migrations: "
        f"{facts['migrations']['psql']:.1f} s (DDL only: no data migrations, no history).",
        "",
        f"Data: one block by COPY in {facts['fill_seconds']:.0f} s.",
    ]
    if "scaled_load" in facts:
        scale = facts["arguments"]["scale"]
        lines += [
            "",
            f"## {scale} times the data ({scale - 1} more blocks filled in "
            f"{facts['scaled_fill_seconds']:.0f} s)",
            "",
            _scaled_table(facts, endpoints, names),
        ]
    online = RESULTS / "online_migration.md"
    if online.exists():
        # Its own run (make bench-online): the last one's figures, demoted a level.
        lines += ["", "#" + online.read_text().strip()]
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(_jsonable(facts), indent=2) + "\n")
    _chart(facts, endpoints, names)
    print((RESULTS / "latest.md").read_text())


def _table(load, probe, endpoints, names) -> str:
    rows = [
        "| endpoint | "
        + " | ".join(f"{n} req/s" for n in names)
        + " | project / peer | project / floor | p50 ms ("
        + " / ".join(names)
        + ") | p99 ms ("
        + " / ".join(names)
        + ") | SQL per request ("
        + " / ".join(names)
        + ") | same JSON |",
        "|---|" + "---:|" * (len(names) + 5) + "---|",
    ]
    for endpoint in endpoints:
        measures = {n: load[endpoint.name, n] for n in names}
        project = measures["project"].requests_per_second
        rows.append(
            f"| {endpoint.title} | "
            + " | ".join(f"{measures[n].requests_per_second:,.0f}" for n in names)
            + f" | {_ratio(project, measures['peer'].requests_per_second)}"
            + f" | {_ratio(project, measures['floor'].requests_per_second)}"
            + " | "
            + " / ".join(f"{measures[n].p50_ms:.1f}" for n in names)
            + " | "
            + " / ".join(f"{measures[n].p99_ms:.1f}" for n in names)
            + " | "
            + " / ".join(str(probe[endpoint.name, n]["queries"]) for n in names)
            + " | "
            + (
                "yes"
                if all(probe[endpoint.name, n]["same_json"] for n in names)
                else "**no**: "
                + ", ".join(n for n in names if not probe[endpoint.name, n]["same_json"])
            )
            + " |"
        )
    failed = sum(m.failed for m in load.values())
    if failed:
        rows.append(f"\n**{failed} requests failed under load** (non-2xx or socket errors).")
    return "\n".join(rows)


def _targets(facts, endpoints) -> list[str]:
    load = facts["load"]
    lines = []
    for endpoint in endpoints:
        if not endpoint.reads:
            continue
        project = load[endpoint.name, "project"].requests_per_second
        peer = project / max(load[endpoint.name, "peer"].requests_per_second, 1e-9)
        floor = project / max(load[endpoint.name, "floor"].requests_per_second, 1e-9)
        lines.append(
            f"- {endpoint.title}: {_mark(peer >= PEER_TARGET)} {peer:.2f}× the peer "
            f"(≥ {PEER_TARGET}×), {_mark(floor >= FLOOR_TARGET)} {floor:.2f}× the floor "
            f"(≥ {FLOOR_TARGET}×)"
        )
    first, deep = load["messages", "project"].p50_ms, load["deep", "project"].p50_ms
    lines.append(
        f"- a page 1,000,000 messages deep: {_mark(deep <= DEEP_TARGET * first)} "
        f"p50 {deep:.1f} ms against {first:.1f} ms for the first page "
        f"({_ratio(deep, first)}, ≤ {DEEP_TARGET}×)"
    )
    if "scaled_load" in facts:
        for name in ("projects", "messages", "deep"):
            before = load[name, "project"].p50_ms
            after = facts["scaled_load"][name, "project"].p50_ms
            same_sql = (
                facts["probe"][name, "project"]["queries"]
                == facts["scaled_probe"][name, "project"]["queries"]
            )
            lines.append(
                f"- {name} with {facts['arguments']['scale']} times the data: "
                f"{_mark(after <= SCALE_TOLERANCE * before)} "
                f"p50 {after:.1f} ms against {before:.1f} ms ({_ratio(after, before)}); "
                f"{_mark(same_sql)} the same SQL per request"
            )
    return lines


def _scaled_table(facts, endpoints, names) -> str:
    rows = [
        "| endpoint | server | req/s 1× → 10× | p50 ms 1× → 10× | SQL 1× → 10× |",
        "|---|---|---:|---:|---:|",
    ]
    for endpoint in endpoints:
        if (endpoint.name, "project") not in facts["scaled_load"]:
            continue
        for n in names:
            before, after = facts["load"][endpoint.name, n], facts["scaled_load"][endpoint.name, n]
            rows.append(
                f"| {endpoint.title} | {n} | {before.requests_per_second:,.0f} → "
                f"{after.requests_per_second:,.0f} | {before.p50_ms:.1f} → {after.p50_ms:.1f} | "
                f"{facts['probe'][endpoint.name, n]['queries']} → "
                f"{facts['scaled_probe'][endpoint.name, n]['queries']} |"
            )
    return "\n".join(rows)


def _chart(facts, endpoints, names) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (throughput, latency) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    width = 0.8 / len(names)
    positions = range(len(endpoints))
    for index, name in enumerate(names):
        offsets = [p + (index - (len(names) - 1) / 2) * width for p in positions]
        throughput.bar(
            offsets,
            [facts["load"][e.name, name].requests_per_second for e in endpoints],
            width,
            label=name,
        )
        latency.bar(
            offsets, [facts["load"][e.name, name].p50_ms for e in endpoints], width, label=name
        )
    throughput.set_ylabel("requests per second")
    latency.set_ylabel("p50 latency, ms")
    latency.set_xticks(list(positions), [e.title for e in endpoints], rotation=20, ha="right")
    throughput.legend()
    throughput.set_title(f"Web benchmark, {os.cpu_count()} CPUs, {WORKERS} workers each")
    figure.tight_layout()
    figure.savefig(RESULTS / "latest.png", dpi=100)


def _jsonable(facts: dict) -> dict:
    def convert(value):
        if isinstance(value, dict):
            return {
                " ".join(k) if isinstance(k, tuple) else k: convert(v) for k, v in value.items()
            }
        if hasattr(value, "__dataclass_fields__"):
            return value.__dict__
        return value

    return convert(facts)
