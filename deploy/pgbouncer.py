"""A PgBouncer (Debian's package) in transaction mode in front of a PostgreSQL
server, for CI's pooled leg and the topology test.

    python -m deploy.pgbouncer start --listen 127.0.0.1:6432 --server 127.0.0.1:5432 DIR
    python -m deploy.pgbouncer stop DIR

Every database of the server is reachable under its own name (``*``), so the
test databases and scratch pairs the suite creates pass through it too. The
server trusts loopback connections (the machine's does); the pooler then
trusts its clients. Idle server sessions are closed after 10 s: the suite
creates and drops many databases, and a pool kept per database would hold
the server's connection slots.
"""

import argparse
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

from deploy.processes import start_afresh, wait_for_pid_file

BINARY = "/usr/sbin/pgbouncer"
# PgBouncer refuses to run as root; Debian's package runs it as postgres.
RUN_AS = "postgres"

CONFIG = """\
[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = {listen_host}
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
max_user_connections = 60
server_idle_timeout = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


def start(directory: Path, *, listen: str, server: str, users: tuple[str, ...] = ("postgres",)):
    """Writes the config into ``directory`` and starts the pooler there."""
    if not Path(BINARY).exists():
        sys.exit(f"{BINARY} is missing: apt-get install pgbouncer")
    directory.mkdir(parents=True, exist_ok=True)
    listen_host, listen_port = _host_port(listen)
    server_host, server_port = _host_port(server)
    (directory / "pgbouncer.ini").write_text(
        CONFIG.format(
            directory=directory,
            listen_host=listen_host,
            listen_port=listen_port,
            server_host=server_host,
            server_port=server_port,
        )
    )
    (directory / "userlist.txt").write_text("".join(f'"{user}" ""\n' for user in users))
    command = [BINARY, "-d", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        entry = pwd.getpwnam(RUN_AS)
        for path in (directory, *directory.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        command[1:1] = ["-u", RUN_AS]
    subprocess.run(command, check=True)
    wait_for_pid_file(directory / "pgbouncer.pid", "pgbouncer")


def stop(directory: Path) -> None:
    pid_file = directory / "pgbouncer.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)


def restart(directory: Path) -> None:
    """Stops the pooler and starts it again on the same config."""
    stop(directory)
    command = [BINARY, "-d", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", RUN_AS]
    subprocess.run(command, check=True)
    wait_for_pid_file(directory / "pgbouncer.pid", "pgbouncer")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.pgbouncer")
    parser.add_argument("action", choices=["start", "stop", "restart"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--listen", default="127.0.0.1:6432")
    parser.add_argument("--server", default="127.0.0.1:5432")
    options = parser.parse_args(argv)
    directory = options.directory.resolve()
    if options.action == "start":
        start_afresh(directory, stop)
        start(directory, listen=options.listen, server=options.server)
        print(f"pgbouncer on {options.listen} in front of {options.server} ({directory})")
    elif options.action == "stop":
        stop(directory)
    else:
        restart(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
