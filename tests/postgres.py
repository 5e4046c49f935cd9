"""Real PostgreSQL for tests that need more than the test databases.

The migration-runner tests run ``manage.py`` in a subprocess against scratch
databases on the same server as the test databases, and against servers that
fail in the ways a production server can (down, wrong password).
"""

import os
import socket
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg2
from django.conf import settings
from django.db import connections

BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str = ""

    @classmethod
    def of_test_databases(cls) -> "Server":
        """The server itself, past any pooler in front of it: tests that use
        it create databases and roles, hold locks and end sessions."""
        config = settings.DATABASE_DIRECT_SERVERS.get("auth") or connections["auth"].settings_dict
        return cls(
            host=config["HOST"],
            port=int(config["PORT"] or 5432),
            user=config["USER"],
            password=config["PASSWORD"] or "",
        )

    def url(self, database: str, *, password: str | None = None, user: str | None = None) -> str:
        password = self.password if password is None else password
        credentials = quote(user or self.user, safe="")
        if password:
            credentials += ":" + quote(password, safe="")
        return f"postgresql://{credentials}@{quote(self.host, safe='')}:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        connection = psycopg2.connect(
            dbname=database,
            user=self.user,
            password=self.password or None,
            host=self.host,
            port=self.port,
        )
        connection.autocommit = True
        return connection

    def execute(self, sql: str, params=(), database: str = "postgres"):
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def database_exists(self, name: str) -> bool:
        return bool(self.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]))

    def tables(self, database: str) -> set[str]:
        rows = self.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", database=database
        )
        return {name for (name,) in rows}

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class ScratchPair:
    """Names for a pair of databases that do not exist yet, and their URLs."""

    server: Server
    auth: str
    specs: str

    def env(self, **overrides) -> dict[str, str]:
        return {
            "DATABASE_URL_AUTH": self.server.url(self.auth),
            "DATABASE_URL_SPECS": self.server.url(self.specs),
            **overrides,
        }


@contextmanager
def scratch_pair(server: Server, prefix: str = ""):
    """``prefix`` "test_" names a pair that pytest-django takes as the test
    databases of the pair without it (``--reuse-db``)."""
    token = uuid.uuid4().hex[:10]
    pair = ScratchPair(
        server, auth=f"{prefix}scratch_{token}_auth", specs=f"{prefix}scratch_{token}_specs"
    )
    try:
        yield pair
    finally:
        server.drop_database(pair.auth)
        server.drop_database(pair.specs)


@dataclass
class Completed:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def manage_command(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def subprocess_env(env: dict[str, str]) -> dict[str, str]:
    """The suite's environment with ``env`` over it.

    On a pooled leg the suite has direct URLs too, which commands such as
    the runner use instead of the pooler. A test that points a command at
    another server or role (one that is down, or refuses) must not have that
    bypassed, so an inherited direct URL only stays while the URL it stands
    beside names the same server and role as the suite's.
    """
    inherited = dict(os.environ)
    for name, url in env.items():
        direct = f"{name}_DIRECT"
        if (
            direct in inherited
            and direct not in env
            and _server_of(url) != _server_of(os.environ.get(name, ""))
        ):
            del inherited[direct]
    return {**inherited, "PYTHONWARNINGS": "ignore", **env}


def _server_of(url: str) -> str:
    return urlsplit(url).netloc


def run_manage(*args: str, env: dict[str, str], timeout: int = 120) -> Completed:
    result = subprocess.run(
        manage_command(*args),
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=BASE_DIR,
        check=False,
    )
    return Completed(result.returncode, result.stdout, result.stderr)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_at_once(*works) -> list[str]:
    """Run each callable in its own thread, with its own connections; return
    "ok" or the error's repr for each, in the order they finished."""
    outcomes: list[str] = []

    def run(work) -> None:
        try:
            work()
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
