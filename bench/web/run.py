"""The web benchmark, start to finish (``python -m bench``; ``--help``).

1. A fresh pair of benchmark databases beside the configured ones (names
   ``socrates_bench_auth``/``_specs``; never the development pair): the
   time of ``run_migrations_safe`` against psql applying the same DDL.
2. One block of data by COPY (bench.web.dataset).
3. The three servers with statement counting: every endpoint's JSON compared
   across them, and its statements per request.
4. The load: for each endpoint, each server in turn (the order rotating from
   round to round), a warm-up in the first round, then ``--rounds`` rounds;
   medians. Memory per worker afterwards.
5. Nine more blocks (ten times the data), then the project list and both
   message pages again, counted and loaded.
6. ``bench/results/latest.md`` and ``latest.png``; the databases are dropped.
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import django
import psycopg2

from bench import RESULTS
from bench.servers.counting import HEADER
from bench.web import dataset, load, report
from bench.web.servers import BASE_DIR, WORKERS, Server, three_servers

NAMES = {"auth": "socrates_bench_auth", "specs": "socrates_bench_specs"}
DDL_NAMES = {"auth": "socrates_bench_ddl_auth", "specs": "socrates_bench_ddl_specs"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    title: str
    request: load.Request
    reads: bool = True
    # Vacuumed before each server's turn, so that none inherits the dead rows
    # of the writes before it.
    vacuum: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: str
    user: str
    password: str

    @classmethod
    def of_settings(cls) -> "PostgresServer":
        """The server of the configured databases (after ``django.setup()``)."""
        from django.conf import settings

        config = settings.DATABASES["auth"]
        return cls(
            config["HOST"], config["PORT"] or "5432", config["USER"], config["PASSWORD"] or ""
        )

    def url(self, database: str) -> str:
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        return f"postgresql://{credentials}@{quote(self.host, safe='')}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        return psycopg2.connect(self.url(database))

    def recreate(self, *names: str) -> None:
        connection = self.connect()
        connection.autocommit = True
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()

    def vacuum(self, database: str, tables: tuple[str, ...]) -> None:
        connection = self.connect(database)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        connection.close()

    def checkpoint(self) -> None:
        connection = self.connect()
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        connection.close()

    def migrate(self, *, auth: str, specs: str) -> float:
        """``run_migrations_safe`` of the pair named; the seconds it took."""
        return timed_run(
            [sys.executable, "manage.py", "run_migrations_safe"],
            {"DATABASE_URL_AUTH": self.url(auth), "DATABASE_URL_SPECS": self.url(specs)},
        )

    def drop(self, *names: str) -> None:
        connection = self.connect()
        connection.autocommit = True
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


def timed_run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, cwd=BASE_DIR, env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def time_migrations(postgres: PostgresServer) -> dict[str, float]:
    """A fresh run_migrations_safe of the benchmark pair, and psql applying
    the DDL that sqlmigrate prints for the same migrations to another pair."""
    postgres.recreate(*NAMES.values(), *DDL_NAMES.values())
    env = {f"DATABASE_URL_{alias.upper()}": postgres.url(name) for alias, name in NAMES.items()}
    migrate = timed_run([sys.executable, "manage.py", "run_migrations_safe"], env)
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run(
            [sys.executable, "-m", "bench.web.ddl", directory],
            cwd=BASE_DIR,
            env={**os.environ, **env},
            check=True,
        )
        psql = sum(
            timed_run(
                [
                    "psql",
                    "--quiet",
                    "--no-psqlrc",
                    "--single-transaction",
                    "--set",
                    "ON_ERROR_STOP=1",
                    "--output",
                    "/dev/null",
                    "--file",
                    f"{directory}/{alias}.sql",
                    postgres.url(name),
                ],
                {},
            )
            for alias, name in DDL_NAMES.items()
        )
    postgres.drop(*DDL_NAMES.values())
    return {"run_migrations_safe": migrate, "psql": psql}


def fill(postgres: PostgresServer, blocks: range) -> float:
    from django.contrib.auth.hashers import make_password

    started = time.perf_counter()
    with ExitStack() as stack:
        auth, specs = (
            stack.enter_context(_committed(postgres.connect(NAMES[alias])))
            for alias in ("auth", "specs")
        )
        dataset.fill(auth, specs, blocks=blocks, password_hash=make_password(dataset.PASSWORD))
    # As autovacuum would, but now rather than during a measurement: statistics
    # for the planner, and hint bits set (the first reader of a freshly copied
    # page would otherwise write it).
    for alias, tables in dataset.filled_tables().items():
        postgres.vacuum(NAMES[alias], tables)
    # And the copied pages written out now, not by a checkpoint during a
    # measurement (which slowed every commit of the write endpoint).
    postgres.checkpoint()
    return time.perf_counter() - started


@contextmanager
def _committed(connection):
    try:
        yield connection
        connection.commit()
    finally:
        connection.close()


def sign_in(port: int) -> str:
    body = json.dumps({"login": "bench0", "password": dataset.PASSWORD}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login/",
        body,
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["access"]


def drf_cursor(position: str) -> str:
    """DRF's CursorPagination cursor for the page after ``position``."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


def endpoints(token: str) -> list[Endpoint]:
    subjects = dataset.Subjects()
    bearer = ("Authorization", f"Bearer {token}")
    messages = (
        f"/api/v1/projects/{subjects.owned_project_id}/sessions/{subjects.big_session_id}/messages/"
    )
    write = json.dumps({"key": subjects.versioned_key, "value": "A value written under load."})
    # A new version of the same key of each of the user's projects in turn.
    writes = [f"/api/v1/projects/{p}/specifications/" for p in subjects.owned_project_ids]
    return [
        Endpoint(
            "projects",
            "project list (page of 50)",
            load.Request("GET", "/api/v1/projects/", *bearer),
        ),
        Endpoint(
            "project",
            "one project (shared through a team)",
            load.Request("GET", f"/api/v1/projects/{subjects.team_project_id}/", *bearer),
        ),
        Endpoint("messages", "messages, first page", load.Request("GET", messages, *bearer)),
        Endpoint(
            "deep",
            "messages, a page 1,000,000 deep",
            load.Request(
                "GET",
                f"{messages}?cursor={quote(drf_cursor(subjects.deep_message_position))}",
                *bearer,
            ),
        ),
        Endpoint(
            "write",
            "POST a specification version",
            load.Request("POST", writes[0], *bearer, body=write, more_paths=tuple(writes[1:])),
            reads=False,
            vacuum=("specifications", "activity_logs", "projects"),
        ),
        Endpoint(
            "search",
            "knowledge-base search",
            load.Request(
                "GET", f"/api/v1/knowledge-base/search/?q={subjects.search_word}", *bearer
            ),
            # Each search counts its hits on their chunks.
            vacuum=("document_chunks",),
        ),
        Endpoint(
            "api_key",
            "one project, by API key",
            load.Request(
                "GET",
                f"/api/v1/projects/{subjects.team_project_id}/",
                "X-API-Key",
                subjects.api_key,
            ),
        ),
    ]


# Fields of a new row that differ from server to server by nature.
VOLATILE = {"id", "version", "created_at", "updated_at"}


def _comparable(body: bytes, port: int, reads: bool):
    text = body.decode(errors="replace").replace(f"127.0.0.1:{port}", "HOST")
    try:
        document = json.loads(text)
    except ValueError:
        # An error page: reported as a JSON mismatch, with the server's log.
        return {"not JSON": text[:200]}
    if not reads and isinstance(document, dict):
        return {key: value for key, value in document.items() if key not in VOLATILE}
    return document


def probe(servers: list[Server], chosen: list[Endpoint]) -> dict:
    """Each endpoint a few times per server: status, statements (the fewest:
    a worker's first request also sets its connections up), and whether the
    JSON is the project's."""
    findings = {}
    for endpoint in chosen:
        request = endpoint.request
        documents = {}
        for server in servers:
            counts = []
            for _ in range(2 * WORKERS + 2):
                http_request = urllib.request.Request(
                    f"http://127.0.0.1:{server.port}{request.path}",
                    request.body.encode() or None,
                    {request.header: request.header_value, "Content-Type": "application/json"},
                    method=request.method,
                )
                try:
                    with urllib.request.urlopen(http_request) as response:
                        status, body = response.status, response.read()
                        headers = response.headers
                except urllib.error.HTTPError as error:
                    status, body, headers = error.code, error.read(), error.headers
                if headers.get(HEADER):
                    counts.append(int(headers[HEADER]))
            documents[server.name] = _comparable(body, server.port, endpoint.reads)
            findings[endpoint.name, server.name] = {
                "status": status,
                "queries": min(counts, default=None),
                "same_json": None,
            }
        for server in servers:
            findings[endpoint.name, server.name]["same_json"] = (
                documents[server.name] == documents["project"]
            )
    return findings


def loaded(
    servers: list[Server],
    chosen: list[Endpoint],
    *,
    rounds: int,
    seconds: float,
    warmup: float,
    postgres: PostgresServer,
) -> dict:
    measures: dict[tuple[str, str], list[load.Measure]] = {}
    for round_number in range(rounds):
        # The servers in alternating order: each goes first in some round.
        order = servers[round_number % len(servers) :] + servers[: round_number % len(servers)]
        for endpoint in chosen:
            for server in order:
                if endpoint.vacuum:
                    postgres.vacuum(NAMES["specs"], endpoint.vacuum)
                if round_number == 0 and warmup:
                    load.drive(server.port, endpoint.request, warmup)
                measure = load.drive(server.port, endpoint.request, seconds)
                measures.setdefault((endpoint.name, server.name), []).append(measure)
                print(
                    f"round {round_number + 1} {endpoint.name:>9} {server.name:>7}: "
                    f"{measure.requests_per_second:8.1f} req/s  p50 {measure.p50_ms:6.2f} ms"
                    f"  p99 {measure.p99_ms:6.2f} ms  failed {measure.failed}",
                    flush=True,
                )
    return {key: _median(values) for key, values in measures.items()}


def _median(values: list[load.Measure]) -> load.Measure:
    return load.Measure(
        statistics.median(v.requests_per_second for v in values),
        statistics.median(v.p50_ms for v in values),
        statistics.median(v.p99_ms for v in values),
        sum(v.failed for v in values),
    )


def measure(
    servers: list[Server], chosen: list[Endpoint], arguments, postgres: PostgresServer
) -> tuple[dict, dict, dict]:
    """The endpoints' statements and JSON (servers counting), then their load
    (servers not counting) and the memory of each server's workers after it."""
    with serving(servers, count_queries=True):
        probed = probe(servers, chosen)
    with serving(servers, count_queries=False):
        measures = loaded(
            servers,
            chosen,
            rounds=arguments.rounds,
            seconds=arguments.seconds,
            warmup=arguments.warmup,
            postgres=postgres,
        )
        memory = {server.name: server.worker_rss_mib() for server in servers}
    return probed, measures, memory


@contextmanager
def serving(servers: list[Server], *, count_queries: bool):
    try:
        for server in servers:
            server.start(count_queries=count_queries)
        yield servers
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="of load per measure")
    parser.add_argument("--warmup", type=float, default=2, help="seconds, first round only")
    parser.add_argument("--scale", type=int, default=10, help="blocks of data in the last part")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
    django.setup()
    from django.conf import settings

    postgres = PostgresServer.of_settings()
    RESULTS.mkdir(exist_ok=True)
    facts = {"arguments": vars(arguments), "generator": load.generator()}
    with _committed(postgres.connect()) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts["postgres"] = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    try:
        print("== migrations", flush=True)
        facts["migrations"] = time_migrations(postgres)
        print("== data", flush=True)
        facts["fill_seconds"] = fill(postgres, range(1))
        servers = three_servers(
            auth_url=postgres.url(NAMES["auth"]),
            specs_url=postgres.url(NAMES["specs"]),
            secret_key=settings.SECRET_KEY,
        )
        for server in servers:
            # The run outlasts the default 30-minute access token.
            server.env["ACCESS_TOKEN_LIFETIME_MINUTES"] = "600"
        with serving(servers[:1], count_queries=False):
            chosen = endpoints(sign_in(servers[0].port))
        facts["probe"], facts["load"], facts["rss_mib"] = measure(
            servers, chosen, arguments, postgres
        )
        if arguments.scale > 1:
            print(f"== {arguments.scale} times the data", flush=True)
            facts["scaled_fill_seconds"] = fill(postgres, range(1, arguments.scale))
            scaled = [e for e in chosen if e.name in ("projects", "messages", "deep")]
            facts["scaled_probe"], facts["scaled_load"], _ = measure(
                servers, scaled, arguments, postgres
            )
    finally:
        if not arguments.keep:
            postgres.drop(*NAMES.values(), *DDL_NAMES.values())
    report.write(facts, chosen, servers)


if __name__ == "__main__":
    main()
