"""Real Celery workers, for tests of the background work (socrates.celery).

A worker is ``celery -A socrates worker`` in a subprocess of its own session
(so that a test can kill it with its pool), on the broker the suite uses
(``CELERY_BROKER_URL``: the embedded Redis, or the machine's in CI), taking
tasks from a queue of the test's own, against the test databases, logging
JSON. What the worker must see has to be committed: ``committing`` gives the
test connections outside its transactions, and ``committed_rows`` removes
what they wrote.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from kombu import Exchange, Queue

from socrates.celery import app as celery_app
from tests.postgres import BASE_DIR, Server, subprocess_env

STARTUP_SECONDS = 60
ALIASES = ("auth", "specs")


def delete_queue(name: str) -> None:
    """The queue, its messages and its binding (declared first: the broker's
    client deletes only bindings its channel knows)."""
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    with celery_app.connection_for_write() as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        bound.delete()


@contextmanager
def queue_of_its_own() -> Iterator[str]:
    """Tasks this process enqueues go to a new queue until the block ends
    (then it is deleted): another test's messages never reach its worker."""
    before = celery_app.conf.task_default_queue
    name = f"test-{uuid.uuid4().hex[:12]}"
    celery_app.conf.task_default_queue = name
    try:
        yield name
    finally:
        celery_app.conf.task_default_queue = before
        delete_queue(name)


def database_env() -> dict[str, str]:
    """The test databases, for a process of the project."""
    server = Server.of_test_databases()
    return {
        "DATABASE_URL_AUTH": server.url(connections["auth"].settings_dict["NAME"]),
        "DATABASE_URL_SPECS": server.url(connections["specs"].settings_dict["NAME"]),
    }


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process, self.log = process, log

    def lines(self) -> list[dict]:
        """The JSON lines logged so far (Celery's banner and warnings aside)."""
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return found

    def messages(self, containing: str = "") -> list[str]:
        return [line["message"] for line in self.lines() if containing in line["message"]]

    def wait_for(self, containing: str, count: int = 1, seconds: float = 60) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(found := self.messages(containing)) < count:
            if self.process.poll() is not None and len(self.messages(containing)) < count:
                pytest.fail(f"the worker exited {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {count} x {containing!r} within {seconds}s:\n{self.tail()}")
            time.sleep(0.1)
        return found

    def tail(self) -> str:
        return self.log.read_text()[-6000:]

    def kill(self) -> None:
        """SIGKILL to the worker and its pool: nothing is acknowledged or cleaned up."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def worker(log: Path, *options: str, queue: str, **env: str) -> Iterator[Worker]:
    """A worker (prefork, one pool process) on ``queue`` until the block ends,
    then stopped as a deployment stops it (SIGTERM: a warm shutdown), or killed
    if it lingers. ``env`` adds to the test databases' environment."""
    env = {
        **database_env(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        **env,
    }
    with log.open("a") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "socrates", "worker"),
                *("--pool", "prefork", "--concurrency", "1"),
                *("--hostname", f"{queue}-{uuid.uuid4().hex[:6]}@%h"),
                # Nothing to wait for from other workers: a faster start.
                *("--without-mingle", "--without-gossip", "--without-heartbeat"),
                *options,
            ],
            env=subprocess_env(env),
            cwd=BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Worker(process, log)
    try:
        running.wait_for(" ready.", seconds=STARTUP_SECONDS)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            # A warm shutdown finishes and acknowledges the task under way at
            # once; an embedded beat would sleep on for seconds.
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=3)
        # A pool process outliving its parent would hold its transaction.
        running.kill()


@contextmanager
def committing() -> Iterator[None]:
    """Within the block, connections["auth"] and ["specs"] are connections of
    their own, outside the test's transactions: what they write commits."""
    inside = {alias: connections[alias] for alias in ALIASES}
    for alias in ALIASES:
        connections[alias] = connections.create_connection(alias)
    try:
        yield
    finally:
        for alias in ALIASES:
            connections[alias].close()
            connections[alias] = inside[alias]


@contextmanager
def rows_removed_afterwards() -> Iterator[None]:
    """Every row committed during the block removed at its end: specs emptied
    (as a transactional test's flush does), and in auth the users, deletions,
    task records, background migrations and throttle counters committed since
    it began."""
    with committing(), connections["auth"].cursor() as cursor:
        cursor.execute("SELECT now()")
        (started,) = cursor.fetchone()
    try:
        yield
    finally:
        with committing():
            with connections["specs"].cursor() as cursor:
                cursor.execute(
                    "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'django_migrations'"
                )
                (tables,) = cursor.fetchone()
                cursor.execute(f"TRUNCATE {tables} CASCADE")
            with connections["auth"].cursor() as cursor:
                for table, column in (
                    ("django_celery_results_taskresult", "date_created"),
                    ("background_migrations", "queued_at"),
                    ("user_deletions", "deleted_at"),
                    ("users", "created_at"),
                ):
                    cursor.execute(f"DELETE FROM {table} WHERE {column} >= %s", [started])
                # Throttle counters a request counted (only such tests commit them).
                cursor.execute("DELETE FROM django_cache")
