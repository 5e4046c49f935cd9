"""A database server restarted under load: the app answers 503, never 500.

Real processes: a PostgreSQL cluster of the test's own, restarted while
gunicorn serves a client that loops on the API. A server shutting down
refuses new sessions ("the database system is shutting down"), ends open ones
(57P01) and, starting up, refuses again ("... is starting up"): each of these,
met anywhere in a request, is the database being unavailable.
"""

import http.client
import json
import secrets
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import OperationalError, connections

from tests.clusters import PrivateCluster, private_cluster
from tests.servers import gunicorn, manage

PASSWORD = "Restart-Passw0rd-42"


class Client:
    def __init__(self, url: str):
        address = urlsplit(url)
        self.host, self.port = address.hostname, address.port

    def request(self, method: str, path: str, body=None, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            payload = json.dumps(body) if body is not None else None
            connection.request(
                method, path, payload, {"Content-Type": "application/json", **(headers or {})}
            )
            response = connection.getresponse()
            return response.status, response.getheader("Retry-After"), response.read()
        finally:
            connection.close()


class Looping:
    """A client that repeats one request until stopped, counting the answers."""

    def __init__(self, client: Client, path: str, headers: dict[str, str]):
        self.client, self.path, self.headers = client, path, headers
        self.statuses: Counter[int] = Counter()
        self.unavailable_without_retry_after = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            status, retry_after, _ = self.client.request("GET", self.path, headers=self.headers)
            self.statuses[status] += 1
            if status == 503 and not retry_after:
                self.unavailable_without_retry_after += 1

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.statuses.total() < count and time.monotonic() < deadline:
            time.sleep(0.05)


def signed_in_headers(client: Client) -> dict[str, str]:
    account = {"email": "restart@example.org", "username": "restart", "password": PASSWORD}
    status, _, body = client.request("POST", "/api/v1/auth/register/", account)
    assert status == 201, body
    status, _, body = client.request(
        "POST", "/api/v1/auth/login/", {"login": "restart", "password": PASSWORD}
    )
    assert status == 200, body
    return {"Authorization": f"Bearer {json.loads(body)['access']}"}


def test_restarting_the_database_server_under_load_answers_503_never_500(tmp_path: Path):
    with private_cluster() as cluster:
        for name in ("socrates_auth", "socrates_specs"):
            cluster.server.execute(f'CREATE DATABASE "{name}"')
        env = {
            "DATABASE_URL_AUTH": cluster.server.url("socrates_auth"),
            "DATABASE_URL_SPECS": cluster.server.url("socrates_specs"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "HTTPS": "false",
        }
        manage("run_migrations_safe", env=env)
        with gunicorn(env, tmp_path / "gunicorn.log", "-w", "2") as url:
            client = Client(url)
            headers = signed_in_headers(client)
            api = Looping(client, "/api/v1/projects/", headers)
            page = Looping(client, "/api/v1/projects/", {**headers, "Accept": "text/html"})
            with api, page:
                api.wait_for(20)
                for mode in ("fast", "immediate", "fast"):
                    cluster.restart(mode)
                    before = api.statuses[200]
                    api.wait_for(api.statuses.total() + 20)
                    assert api.statuses[200] > before, f"no 200 after a {mode} restart"

    print(f"\nAPI: {dict(api.statuses)}; browsable API: {dict(page.statuses)}")
    log = (tmp_path / "gunicorn.log").read_text()
    for looping in (api, page):
        assert set(looping.statuses) <= {200, 503}, log[-3000:]
        assert looping.unavailable_without_retry_after == 0


def wrapper_for(cluster: PrivateCluster):
    """A connection of the project's backend to ``cluster``, outside the test's
    connections (whose transactions pytest-django holds)."""
    auth = connections["auth"]
    server = cluster.server
    config = {
        **auth.settings_dict,
        "NAME": "postgres",
        "USER": server.user,
        "PASSWORD": server.password,
        "HOST": server.host,
        "PORT": str(server.port),
    }
    return type(auth)(config, alias="restart-probe")


@pytest.mark.parametrize(("retry_delay_ms", "connects"), [(5000, True), (0, False)])
def test_a_session_refused_while_the_server_starts_is_tried_once_more_after_a_wait(
    settings, django_db_blocker, retry_delay_ms, connects
):
    settings.DATABASE_CONNECT_RETRY_DELAY_MS = retry_delay_ms
    with private_cluster() as cluster, django_db_blocker.unblock():
        cluster.stop()
        connection = wrapper_for(cluster)
        # Up again well within the wait (pg_ctl start takes a fraction of it).
        starting = threading.Timer(0.1, cluster.start)
        starting.start()
        try:
            if connects:
                connection.ensure_connection()
                assert connection.is_usable()
            else:
                with pytest.raises(OperationalError, match="refused"):
                    connection.ensure_connection()
        finally:
            starting.join()
            connection.close()
