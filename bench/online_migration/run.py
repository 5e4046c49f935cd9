"""A migration applied to a loaded app, safe form against unsafe form.

1. The web benchmark's scratch pair (``socrates_bench_auth``/``_specs``),
   migrated by ``run_migrations_safe`` and filled by its COPY (bench.web.dataset:
   1,000,000 ``conversation_history`` rows, 100,000 ``document_chunks``).
2. The project under gunicorn (bench.web.servers) driven by two wrk streams at
   once (bench.web.load): reads (a page of a session's messages, the
   knowledge-base search) and writes (POST a message to that session).
3. For each form: load before, during and after the migration. During it,
   another session holds a transaction open on ``conversation_history`` for
   HOLD_SECONDS as the migration starts, and ``pg_stat_activity`` is sampled
   every SAMPLE_SECONDS for the longest lock wait of any request.
   - safe (lock timeout 2000 ms, the default, then 500 ms): this package's
     migrations (a nullable column, an index built concurrently, a NOT VALID
     foreign key then its validation) through ``run_migrations_safe``, then
     unapplied for the next form;
   - unsafe: the same column and a plain CREATE INDEX, no lock timeout.
4. ``bench/results/online_migration.md`` (and ``.json``); the pair is dropped.
"""

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from functools import partial

import django

from bench import RESULTS, write_results
from bench.web import dataset, load
from bench.web.run import NAMES, PostgresServer, fill, serving, sign_in
from bench.web.servers import BASE_DIR, WORKERS, three_servers

HOLD_SECONDS = 10
SAMPLE_SECONDS = 0.05
STEADY_SECONDS = 8
DURING_SECONDS = 30
# The migration starts this long after the load and the holder.
HEAD_START_SECONDS = 1.0
RUNNER_APPLICATION = "bench-migration"
HOLDER_APPLICATION = "bench-holder"
SAMPLER_APPLICATION = "bench-sampler"

UNSAFE_STATEMENTS = (
    "ALTER TABLE conversation_history ADD COLUMN unsafe_reviewed_session_id uuid",
    "CREATE INDEX conversation_history_role_created_unsafe "
    "ON conversation_history (role, created_at)",
)

LOCK_WAITS_SQL = f"""
    SELECT coalesce(max(extract(epoch FROM clock_timestamp() - query_start)), 0)::float
    FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND datname = %s
      AND application_name NOT IN ('{RUNNER_APPLICATION}', '{HOLDER_APPLICATION}')
"""


@dataclass
class Phase:
    requests: int
    failed: int
    read_p50_ms: float
    read_p99_ms: float
    write_p50_ms: float
    write_p99_ms: float


@dataclass
class Outcome:
    form: str
    before: Phase
    during: Phase
    after: Phase
    migration_seconds: float
    longest_lock_wait_seconds: float
    retries: int
    migration_log: str


def streams(token: str) -> tuple[load.Request, load.Request]:
    subjects = dataset.Subjects()
    bearer = ("Authorization", f"Bearer {token}")
    messages = (
        f"/api/v1/projects/{subjects.owned_project_id}/sessions/{subjects.big_session_id}/messages/"
    )
    reads = load.Request(
        "GET",
        messages,
        *bearer,
        more_paths=(f"/api/v1/knowledge-base/search/?q={subjects.search_word}",),
    )
    message = {"role": "user", "content": "Written under load.", "message_type": "answer"}
    writes = load.Request("POST", messages, *bearer, body=json.dumps(message))
    return reads, writes


def drive_both(port: int, requests: tuple[load.Request, load.Request], seconds: float) -> Phase:
    measures: list[load.Measure] = [None, None]

    def drive(index: int) -> None:
        measures[index] = load.drive(port, requests[index], seconds)

    threads = [threading.Thread(target=drive, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read, write = measures
    return Phase(
        requests=round((read.requests_per_second + write.requests_per_second) * seconds),
        failed=read.failed + write.failed,
        read_p50_ms=read.p50_ms,
        read_p99_ms=read.p99_ms,
        write_p50_ms=write.p50_ms,
        write_p99_ms=write.p99_ms,
    )


class LockWaitSampler(threading.Thread):
    """The longest time any request has waited on a lock, sampled."""

    def __init__(self, postgres: PostgresServer, database: str):
        super().__init__(daemon=True)
        self.postgres, self.database = postgres, database
        self.longest = 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        connection = self.postgres.connect(self.database)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SET application_name = %s", [SAMPLER_APPLICATION])
            while not self.stopped.wait(SAMPLE_SECONDS):
                cursor.execute(LOCK_WAITS_SQL, [self.database])
                self.longest = max(self.longest, cursor.fetchone()[0])
        connection.close()


def hold_table(postgres: PostgresServer) -> None:
    """A transaction that read conversation_history, open for HOLD_SECONDS."""
    connection = postgres.connect(NAMES["specs"])
    with connection.cursor() as cursor:
        cursor.execute("SET application_name = %s", [HOLDER_APPLICATION])
        cursor.execute("SELECT id FROM conversation_history LIMIT 1")
        time.sleep(HOLD_SECONDS)
    connection.rollback()
    connection.close()


def bench_manage(postgres: PostgresServer, *args: str, **env: str) -> str:
    """manage.py with the benchmark's migrations installed, on the scratch pair."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.online_migration.settings",
            "DATABASE_URL_AUTH": postgres.url(NAMES["auth"]),
            "DATABASE_URL_SPECS": postgres.url(NAMES["specs"]),
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def migrate_safely(postgres: PostgresServer, *, lock_timeout_ms: int) -> tuple[int, str]:
    output = bench_manage(
        postgres,
        "run_migrations_safe",
        "--specs-only",
        "--json",
        PGAPPNAME=RUNNER_APPLICATION,
        MIGRATION_LOCK_TIMEOUT_MS=str(lock_timeout_ms),
    )
    (report,) = json.loads(output)["databases"]
    log = "\n".join(
        f"applied {entry['migration']} in {entry['seconds']:.1f} s "
        f"(waited {entry['waited']:.1f} s for locks, {entry['retries']} retries)"
        for entry in report["migrations"]
        if entry["migration"].startswith("online_migration.")
    )
    return report["lock_retries"], log


def migrate_unsafely(postgres: PostgresServer) -> tuple[int, str]:
    connection = postgres.connect(NAMES["specs"])
    connection.autocommit = True
    lines = []
    with connection.cursor() as cursor:
        cursor.execute("SET application_name = %s", [RUNNER_APPLICATION])
        for statement in UNSAFE_STATEMENTS:
            started = time.perf_counter()
            cursor.execute(statement)
            lines.append(f"{statement.split(' ON ')[0]}: {time.perf_counter() - started:.1f} s")
    connection.close()
    return 0, "\n".join(lines)


FORMS = (
    ("safe, lock timeout 2000 ms (default)", partial(migrate_safely, lock_timeout_ms=2000), True),
    ("safe, lock timeout 500 ms", partial(migrate_safely, lock_timeout_ms=500), True),
    ("unsafe", migrate_unsafely, False),
)


def under_load(
    form: str, migrate, unapply: bool, postgres: PostgresServer, port: int, requests
) -> Outcome:
    print(f"== {form}: before", flush=True)
    before = drive_both(port, requests, STEADY_SECONDS)
    print(f"== {form}: during", flush=True)
    sampler = LockWaitSampler(postgres, NAMES["specs"])
    sampler.start()
    result: dict = {}

    def migration() -> None:
        time.sleep(HEAD_START_SECONDS)
        holder = threading.Thread(target=hold_table, args=(postgres,))
        holder.start()
        time.sleep(0.5)
        started = time.perf_counter()
        result["retries"], result["log"] = migrate(postgres)
        result["seconds"] = time.perf_counter() - started
        holder.join()

    migrating = threading.Thread(target=migration)
    migrating.start()
    during = drive_both(port, requests, DURING_SECONDS)
    migrating.join()
    sampler.stopped.set()
    sampler.join()
    print(f"== {form}: after", flush=True)
    after = drive_both(port, requests, STEADY_SECONDS)
    if unapply:
        # The next form starts from the same schema.
        bench_manage(postgres, "migrate", "online_migration", "zero", "--database", "specs")
    return Outcome(
        form,
        before,
        during,
        after,
        migration_seconds=result["seconds"],
        longest_lock_wait_seconds=sampler.longest,
        retries=result["retries"],
        migration_log=result["log"],
    )


def markdown(outcomes: list[Outcome], facts: dict) -> str:
    lines = [
        "# A migration under load: safe form against unsafe form",
        "",
        f"{facts['rows']}; gunicorn with {WORKERS} workers, two wrk streams "
        f"({load.CONNECTIONS} connections each): reads (a session's messages, the "
        "knowledge-base search) and writes (POST a message). During the migration a "
        f"transaction holds `conversation_history` for {HOLD_SECONDS} s. "
        f"Machine load before the run: `{facts['uptime']}`.",
        "",
        "| form | phase | requests | failed | read p50 / p99 ms | write p50 / p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        for phase in ("before", "during", "after"):
            measured: Phase = getattr(outcome, phase)
            lines.append(
                f"| {outcome.form} | {phase} | {measured.requests} | {measured.failed} | "
                f"{measured.read_p50_ms:.0f} / {measured.read_p99_ms:.0f} | "
                f"{measured.write_p50_ms:.0f} / {measured.write_p99_ms:.0f} |"
            )
    lines += ["", "| form | migration s | longest lock wait of a request s | runner retries |"]
    lines.append("|---|---|---|---|")
    for outcome in outcomes:
        lines.append(
            f"| {outcome.form} | {outcome.migration_seconds:.1f} | "
            f"{outcome.longest_lock_wait_seconds:.1f} | {outcome.retries} |"
        )
    for outcome in outcomes:
        lines += ["", f"{outcome.form}:", "", "```", outcome.migration_log, "```"]
    return "\n".join(lines)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
    django.setup()
    from django.conf import settings

    postgres = PostgresServer.of_settings()
    facts = {"uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}
    RESULTS.mkdir(exist_ok=True)
    try:
        print("== migrations and data", flush=True)
        postgres.recreate(*NAMES.values())
        postgres.migrate(auth=NAMES["auth"], specs=NAMES["specs"])
        fill(postgres, range(1))
        facts["rows"] = (
            f"{dataset.MESSAGES:,} conversation_history rows, "
            f"{dataset.DOCUMENTS * dataset.CHUNKS_PER_DOCUMENT:,} document_chunks"
        )
        project = three_servers(
            auth_url=postgres.url(NAMES["auth"]),
            specs_url=postgres.url(NAMES["specs"]),
            secret_key=settings.SECRET_KEY,
        )[0]
        with serving([project], count_queries=False):
            requests = streams(sign_in(project.port))
            outcomes = [
                under_load(form, migrate, unapply, postgres, project.port, requests)
                for form, migrate, unapply in FORMS
            ]
    finally:
        postgres.drop(*NAMES.values())
    write_results("online_migration.md", markdown(outcomes, facts))
    (RESULTS / "online_migration.json").write_text(
        json.dumps({"facts": facts, "outcomes": [asdict(o) for o in outcomes]}, indent=2)
    )
