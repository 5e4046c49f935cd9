"""Load on loopback: wrk when the machine has it, a Python generator otherwise."""

import http.client
import itertools
import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import quantiles

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
CLIENT_TIMEOUT_SECONDS = 10
CONNECTIONS = 4


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    header: str
    header_value: str
    body: str = ""
    # More paths taken in turn after ``path``: writes spread over several rows.
    more_paths: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path, *self.more_paths)


@dataclass(frozen=True)
class Measure:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failed: int


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def drive(port: int, request: Request, seconds: float) -> Measure:
    if generator() == "wrk":
        return _wrk(port, request, seconds)
    return _python(port, request, seconds)


def _wrk(port: int, request: Request, seconds: float) -> Measure:
    env = {
        **os.environ,
        "BENCH_METHOD": request.method,
        "BENCH_BODY": request.body,
        "BENCH_HEADER": request.header,
        "BENCH_HEADER_VALUE": request.header_value,
        "BENCH_PATHS": " ".join(request.paths),
    }
    completed = subprocess.run(
        [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(CONNECTIONS),
            "--duration",
            f"{max(1, round(seconds))}s",
            # wrk gives up on a request after 2 s by default and counts it as
            # failed, though the server answers it: a request that waits out
            # a migration's lock timeout (2 s by default) is slow, not failed.
            "--timeout",
            f"{CLIENT_TIMEOUT_SECONDS}s",
            "--script",
            str(WRK_SCRIPT),
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    return Measure(
        summary["requests"] / summary["seconds"],
        summary["p50_ms"],
        summary["p99_ms"],
        summary["failed"],
    )


def _python(port: int, request: Request, seconds: float) -> Measure:
    """CONNECTIONS threads, each sending one request after another."""
    latencies: list[float] = []
    failed = 0
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    headers = {request.header: request.header_value, "Content-Type": "application/json"}

    def client() -> None:
        nonlocal failed
        paths = itertools.cycle(request.paths)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=CLIENT_TIMEOUT_SECONDS
            )
            try:
                connection.request(request.method, next(paths), request.body or None, headers)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except OSError:
                ok = False
            finally:
                connection.close()
            with lock:
                latencies.append(time.perf_counter() - started)
                failed += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cuts = quantiles(latencies, n=100)
    return Measure(len(latencies) / elapsed, cuts[49] * 1e3, cuts[98] * 1e3, failed)
