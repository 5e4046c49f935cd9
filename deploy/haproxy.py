"""HAProxy (Debian's package) in front of several app nodes, for the topology
test and as the shape of a production balancer.

    python -m deploy.haproxy start DIR --listen 127.0.0.1:8000 127.0.0.2:8001 127.0.0.3:8001
    python -m deploy.haproxy stop DIR

Each node is checked on ``/healthz`` every 500 ms and taken out after two
failures. A request whose connection to a node fails is sent to another
(``option redispatch 1``: nothing reached the node). A GET or HEAD that a node
dropped without an answer (a node killed mid-request) is sent again to
another node; any other method is not, since the node may have acted on it.
"""

import argparse
import contextlib
import os
import subprocess
import sys
from pathlib import Path

from deploy.processes import start_afresh, wait_for_pid_file

BINARY = "/usr/sbin/haproxy"

CONFIG = """\
global
    maxconn 4000
    pidfile {directory}/haproxy.pid

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend app
    bind {listen}
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk
    # The app answers only host names it serves (ALLOWED_HOSTS).
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host {check_host}
    default-server inter 500ms fall 2 rise 2
    http-request disable-l7-retry if !METH_GET
{servers}
"""


def start(directory: Path, *, listen: str, nodes: list[str], check_host: str = "localhost") -> None:
    if not Path(BINARY).exists():
        sys.exit(f"{BINARY} is missing: apt-get install haproxy")
    directory.mkdir(parents=True, exist_ok=True)
    servers = "".join(
        f"    server node{number} {address} check\n" for number, address in enumerate(nodes, 1)
    )
    config = directory / "haproxy.cfg"
    config.write_text(
        CONFIG.format(directory=directory, listen=listen, servers=servers, check_host=check_host)
    )
    subprocess.run([BINARY, "-c", "-q", "-f", str(config)], check=True)
    subprocess.run([BINARY, "-D", "-f", str(config)], check=True)
    wait_for_pid_file(directory / "haproxy.pid", "haproxy")


def stop(directory: Path) -> None:
    pid_file = directory / "haproxy.pid"
    if not pid_file.exists():
        return
    for line in pid_file.read_text().split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line), 15)
    pid_file.unlink()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.haproxy")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--listen", default="127.0.0.1:8000")
    parser.add_argument("nodes", nargs="*", help="host:port of each app node")
    options = parser.parse_args(argv)
    directory = options.directory.resolve()
    if options.action == "start":
        start_afresh(directory, stop)
        start(directory, listen=options.listen, nodes=options.nodes)
        print(f"haproxy on {options.listen} in front of {', '.join(options.nodes)}")
    else:
        stop(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
