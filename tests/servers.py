"""The app under gunicorn, started as in production (socrates/gunicorn.conf.py, which
collects the static files first), for tests that need real processes."""

import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.postgres import BASE_DIR, free_port, run_manage, subprocess_env

# collectstatic runs first: seconds on a loaded machine.
STARTUP_SECONDS = 60
CONFIG = BASE_DIR / "socrates" / "gunicorn.conf.py"
PASSWORD = "Served-Passw0rd-42"


def manage(*args: str, env: dict[str, str]) -> str:
    """``manage.py`` in a subprocess; the test fails with its output unless it succeeds."""
    result = run_manage(*args, env=env)
    if result.exit_code != 0:
        pytest.fail(f"manage.py {args[0]} exited {result.exit_code}:\n{result.output}")
    return result.stdout


@contextmanager
def gunicorn(env: dict[str, str], log: Path, *options: str) -> Iterator[str]:
    """Serves the app on a free loopback port until the block ends; yields its URL.
    The static files go beside the log unless ``env`` says where."""
    with app_node(env, log, *options) as node:
        yield node.url


@dataclass
class AppNode:
    url: str
    process: subprocess.Popen

    def kill(self) -> None:
        """The node's master and workers at once, as when its machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def app_node(env: dict[str, str], log: Path, *options: str, host: str = "127.0.0.1"):
    """gunicorn on ``host`` (any 127.x address is this machine's) in a process
    group of its own, which ``AppNode.kill`` ends."""
    port = free_port()
    env = {"STATIC_ROOT": str(log.parent / "static"), **env}
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "--config", str(CONFIG)),
                *("-b", f"{host}:{port}", "--graceful-timeout", "5"),
                # Its default path is one per user: two runs at once would share it.
                "--no-control-socket",
                *options,
            ],
            env=subprocess_env(env),
            cwd=BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_answering(host, port, process, log)
            yield AppNode(f"http://{host}:{port}", process)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_answering(host: str, port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited {process.returncode}:\n{log.read_text()}")
        # Any answer will do, an error or a redirect included (never followed):
        # the tests judge the answers.
        # A worker booting on a loaded machine may take longer than a
        # short timeout, and a probe given up on is a request it still serves.
        connection = http.client.HTTPConnection(host, port, timeout=STARTUP_SECONDS)
        try:
            connection.request("GET", "/admin/login/")
            connection.getresponse()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


class Client:
    """Requests to a served app, each on a connection of its own (so that any
    worker or node may answer); JSON in and out."""

    def __init__(self, url: str):
        address = urlsplit(url)
        self.host, self.port = address.hostname, address.port

    def request(self, method: str, path: str, body=None, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            payload = json.dumps(body) if body is not None else None
            connection.request(
                method, path, payload, {"Content-Type": "application/json", **(headers or {})}
            )
            response = connection.getresponse()
            return response.status, response.getheader("Retry-After"), response.read()
        finally:
            connection.close()


def signed_in_headers(client: "Client", username: str) -> dict[str, str]:
    """Registers ``username`` and signs in: the headers of its requests."""
    account = {"email": f"{username}@example.org", "username": username, "password": PASSWORD}
    status, _, body = client.request("POST", "/api/v1/auth/register/", account)
    assert status == 201, body
    status, _, body = client.request(
        "POST", "/api/v1/auth/login/", {"login": username, "password": PASSWORD}
    )
    assert status == 200, body
    return {"Authorization": f"Bearer {json.loads(body)['access']}"}


class Looping:
    """A client that repeats one request until stopped, counting the answers
    (0 for none: a connection refused or dropped)."""

    NO_ANSWER = 0

    def __init__(self, client: Client, path: str, headers: dict[str, str]):
        self.client, self.path, self.headers = client, path, headers
        self.statuses: Counter[int] = Counter()
        self.unavailable_without_retry_after = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, retry_after, _ = self.client.request("GET", self.path, headers=self.headers)
            except OSError:
                status, retry_after = self.NO_ANSWER, None
                time.sleep(0.05)
            self.statuses[status] += 1
            if status == 503 and not retry_after:
                self.unavailable_without_retry_after += 1

    def since(self, earlier: Counter[int]) -> Counter[int]:
        return self.statuses - earlier

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.statuses.total() < count and time.monotonic() < deadline:
            time.sleep(0.05)


def migrated_app_env(cluster, **settings: str) -> dict[str, str]:
    """The two databases created on ``cluster`` and migrated; the environment
    of an app served from them as in production (HTTP on loopback)."""
    for name in ("socrates_auth", "socrates_specs"):
        cluster.server.execute(f'CREATE DATABASE "{name}"')
    env = {
        "DATABASE_URL_AUTH": cluster.server.url("socrates_auth"),
        "DATABASE_URL_SPECS": cluster.server.url("socrates_specs"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "HTTPS": "false",
        **settings,
    }
    manage("run_migrations_safe", env=env)
    return env
