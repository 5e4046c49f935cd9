"""Throttle counters are shared by every server process (the database cache)."""

import http.client
import json
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tests.postgres import Server, scratch_pair
from tests.servers import gunicorn, manage


def post_login(url: str, login: str, client_address: str) -> int:
    # A new connection each time, so that either worker may answer.
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/api/v1/auth/login/",
            json.dumps({"login": login, "password": "guess"}),
            {"Content-Type": "application/json", "X-Forwarded-For": client_address},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_login_throttles_count_across_gunicorn_workers_and_restarts():
    with scratch_pair(Server.of_test_databases()) as pair, tempfile.TemporaryDirectory() as work:
        env = pair.env(
            SECRET_KEY=secrets.token_urlsafe(50),
            DEBUG="false",
            HTTPS="false",
            # One trusted proxy: the test plays many client addresses through it.
            NUM_PROXIES="1",
        )
        manage("run_migrations_safe", env=env)
        # Two workers, each replaced after every request: counters kept in a
        # process's memory would start from nothing on every attempt.
        options = ("-w", "2", "--max-requests", "1")
        with gunicorn(env, Path(work) / "gunicorn.log", *options) as url:
            one_address = [post_login(url, f"someone{n}@x.org", "192.0.2.1") for n in range(11)]
            one_name = [post_login(url, "victim@x.org", f"198.51.100.{n}") for n in range(6)]

    assert one_address == [401] * 10 + [429]  # THROTTLE_LOGIN_RATE, 10/min per address
    assert one_name == [401] * 5 + [429]  # THROTTLE_LOGIN_NAME_RATE, 5/min per login name
