"""The app under gunicorn, started as in production (socrates/gunicorn.conf.py, which
collects the static files first), for tests that need real processes."""

import http.client
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.postgres import BASE_DIR, free_port, run_manage, subprocess_env

# collectstatic runs first: seconds on a loaded machine.
STARTUP_SECONDS = 60
CONFIG = BASE_DIR / "socrates" / "gunicorn.conf.py"


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
    port = free_port()
    env = {"STATIC_ROOT": str(log.parent / "static"), **env}
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "--config", str(CONFIG)),
                *("-b", f"127.0.0.1:{port}", "--graceful-timeout", "5"),
                # Its default path is one per user: two runs at once would share it.
                "--no-control-socket",
                *options,
            ],
            env=subprocess_env(env),
            cwd=BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_answering(port, process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited {process.returncode}:\n{log.read_text()}")
        # Any answer will do, an error or a redirect included (never followed):
        # the tests judge the answers.
        # A worker booting on a loaded machine may take longer than a
        # short timeout, and a probe given up on is a request it still serves.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STARTUP_SECONDS)
        try:
            connection.request("GET", "/admin/login/")
            connection.getresponse()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")
