"""The deployment of docs/SCALING.md as real processes on this machine.

For each database a PostgreSQL primary, a streaming standby built from it
with pg_basebackup, and a PgBouncer in transaction mode in front of the
primary; the machine's Redis as the shared cache; two gunicorn app nodes, on
127.0.0.2 and 127.0.0.3, behind HAProxy on 127.0.0.1. The app reaches the
primaries through the poolers only, and the standbys directly (a replica's
sessions hold no state either way, and the standby's lag is what is tested).
"""

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from deploy import haproxy, pgbouncer
from tests.clusters import PrivateCluster, private_cluster
from tests.postgres import BASE_DIR, free_port, subprocess_env
from tests.servers import AppNode, Client, app_node, manage, signed_in_headers
from tests.workers import Worker, worker

NODE_HOSTS = ("127.0.0.2", "127.0.0.3")
# Databases of the machine's Redis that nothing else here uses: the cache's
# and the broker's.
REDIS_URL = "redis://127.0.0.1:6379/13"
BROKER_URL = "redis://127.0.0.1:6379/12"
QUEUE = "topology"
MAX_LAG_SECONDS = 2


@dataclass
class Pooler:
    directory: Path
    address: str

    def restart(self) -> None:
        pgbouncer.restart(self.directory)


@dataclass
class Database:
    name: str
    primary: PrivateCluster
    standby: PrivateCluster
    pooler: Pooler

    def statements_served_by_standby(self, table: str) -> int:
        """SELECTs of ``table`` the standby has answered, from pg_stat_statements."""
        rows = self.standby.server.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
            " WHERE query LIKE 'SELECT%%' AND query LIKE %s",
            [f'%FROM "{table}"%'],
            database=self.name,
        )
        return int(rows[0][0])


@dataclass
class Topology:
    auth: Database
    specs: Database
    nodes: list[AppNode]
    balancer: Client
    worker: Worker
    # Where the worker stops mid-drain (socrates.pause), to be killed there.
    pause_dir: Path

    @property
    def databases(self) -> tuple[Database, Database]:
        return self.auth, self.specs

    def node(self, number: int) -> Client:
        return Client(self.nodes[number % len(self.nodes)].url)


def start_database(stack: ExitStack, name: str, work: Path) -> tuple[PrivateCluster, Pooler]:
    """A primary holding ``name`` and a PgBouncer in front of it, both ended
    with ``stack``."""
    settings = {"shared_preload_libraries": "pg_stat_statements", "max_connections": "200"}
    primary = stack.enter_context(private_cluster(**settings))
    primary.server.execute(f'CREATE DATABASE "{name}"')
    primary.server.execute("CREATE EXTENSION pg_stat_statements", database=name)
    directory = work / f"pgbouncer-{name}"
    address = f"127.0.0.1:{free_port()}"
    pgbouncer.start(directory, listen=address, server=f"127.0.0.1:{primary.port}")
    stack.callback(pgbouncer.stop, directory)
    return primary, Pooler(directory, address)


def _url(address: str, name: str) -> str:
    return f"postgresql://postgres@{address}/{name}"


@pytest.fixture(scope="module")
def topology():
    work = Path(tempfile.mkdtemp(prefix="socrates-topology-"))
    # PgBouncer runs as postgres and keeps its files under here.
    work.chmod(0o755)
    for url in (REDIS_URL, BROKER_URL):
        redis.Redis.from_url(url).flushdb()
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        auth_primary, auth_pooler = start_database(stack, "socrates_auth", work)
        specs_primary, specs_pooler = start_database(stack, "socrates_specs", work)
        env = {
            "DATABASE_URL_AUTH": _url(auth_pooler.address, "socrates_auth"),
            "DATABASE_URL_SPECS": _url(specs_pooler.address, "socrates_specs"),
            "DATABASE_URL_AUTH_DIRECT": auth_primary.server.url("socrates_auth"),
            "DATABASE_URL_SPECS_DIRECT": specs_primary.server.url("socrates_specs"),
            "DATABASE_DEDICATED_SESSIONS": "false",
            "CACHE_URL": REDIS_URL,
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "HTTPS": "false",
            "ALLOWED_HOSTS": ",".join(("127.0.0.1", *NODE_HOSTS)),
        }
        manage("run_migrations_safe", env=env)
        standbys = []
        for primary in (auth_primary, specs_primary):
            standby = primary.standby()
            stack.callback(standby.remove)
            standbys.append(standby)
        env |= {
            "DATABASE_URL_AUTH_REPLICAS": standbys[0].server.url("socrates_auth"),
            "DATABASE_URL_SPECS_REPLICAS": standbys[1].server.url("socrates_specs"),
            "DATABASE_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
        }
        nodes = []
        for host in NODE_HOSTS:
            (work / host).mkdir()
            log = work / host / "gunicorn.log"
            nodes.append(stack.enter_context(app_node(env, log, "-w", "2", host=host)))
        balancer_address = f"127.0.0.1:{free_port()}"
        haproxy.start(
            work / "haproxy",
            listen=balancer_address,
            nodes=[node.url.removeprefix("http://") for node in nodes],
            check_host="127.0.0.1",
        )
        stack.callback(haproxy.stop, work / "haproxy")
        pause_dir = work / "pause"
        pause_dir.mkdir()
        running = stack.enter_context(
            worker(work / "worker.log", queue=QUEUE, TEST_PAUSE_DIR=str(pause_dir), **env)
        )
        stack.enter_context(beat(work, env))
        balancer = Client(f"http://{balancer_address}")
        wait_until_every_node_is_in(balancer, len(nodes))
        yield Topology(
            auth=Database("socrates_auth", auth_primary, standbys[0], auth_pooler),
            specs=Database("socrates_specs", specs_primary, standbys[1], specs_pooler),
            nodes=nodes,
            balancer=balancer,
            worker=running,
            pause_dir=pause_dir,
        )


@contextmanager
def beat(work: Path, env: dict[str, str]) -> Iterator[None]:
    with (work / "beat.log").open("w") as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "socrates", "beat"),
                *("--schedule", str(work / "beat-schedule")),
            ],
            env=subprocess_env(env),
            cwd=BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_until_every_node_is_in(balancer: Client, count: int) -> None:
    """HAProxy takes a node in after its health checks pass; until then it
    answers 503 itself."""
    deadline = time.monotonic() + 30
    answered = 0
    while answered < 2 * count and time.monotonic() < deadline:
        answered = answered + 1 if balancer.request("GET", "/healthz")[0] == 200 else 0
        time.sleep(0.1)
    assert answered >= 2 * count, "HAProxy never took the app nodes in"


@pytest.fixture(scope="module")
def writer(topology):
    """A signed-in owner of one project: (headers, project id)."""
    client = topology.balancer
    headers = signed_in_headers(client, "writer")
    status, _, body = client.request("POST", "/api/v1/projects/", {"name": "topology"}, headers)
    assert status == 201, body
    return headers, json.loads(body)["id"]
