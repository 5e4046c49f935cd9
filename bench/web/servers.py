"""The three servers, each under gunicorn with the same worker count."""

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PEER_VENV = BASE_DIR / ".venv-peer"
WORKERS = os.cpu_count() or 2


@dataclass
class Server:
    name: str
    title: str
    port: int
    command: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, *, count_queries: bool) -> None:
        env = {
            **os.environ,
            **self.env,
            "PYTHONPATH": str(BASE_DIR),
            "BENCH_COUNT_QUERIES": "1" if count_queries else "0",
        }
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(BASE_DIR / "bench" / "results" / f"{self.name}.log", "a"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.title} exited at start: see bench/results/{self.name}.log"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.title} did not listen on port {self.port} within 60 s")

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
        self.process = None

    def worker_rss_mib(self) -> float:
        """The largest resident set of the master's workers, in MiB."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return max(sizes)


def gunicorn(python_env: Path, port: int, application: str, *options: str) -> list[str]:
    return [
        str(python_env / "bin" / "gunicorn"),
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        # Three masters at once: none needs the (shared by default) control socket.
        "--no-control-socket",
        *options,
        application,
    ]


def three_servers(*, auth_url: str, specs_url: str, secret_key: str) -> list[Server]:
    project_env = {
        "DJANGO_SETTINGS_MODULE": "bench.servers.project_settings",
        "DATABASE_URL_AUTH": auth_url,
        "DATABASE_URL_SPECS": specs_url,
        "SECRET_KEY": secret_key,
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    peer_env = {"BENCH_DSN_AUTH": auth_url, "BENCH_DSN_SPECS": specs_url, "SECRET_KEY": secret_key}
    venv = BASE_DIR / ".venv"
    return [
        Server(
            "project",
            "this project (Django)",
            8801,
            # As deployed: the production config, which collects the static files first.
            gunicorn(
                venv,
                8801,
                "bench.servers.project:application",
                *("--config", str(BASE_DIR / "socrates" / "gunicorn.conf.py")),
            ),
            project_env,
        ),
        Server(
            "peer",
            "legacy stack (FastAPI + SQLAlchemy)",
            8802,
            gunicorn(
                PEER_VENV,
                8802,
                "bench.peers.legacy.app:app",
                "--worker-class",
                "uvicorn_worker.UvicornWorker",
            ),
            peer_env,
        ),
        Server(
            "floor",
            "raw floor (WSGI + psycopg2)",
            8803,
            gunicorn(venv, 8803, "bench.peers.floor:application"),
            peer_env,
        ),
    ]
