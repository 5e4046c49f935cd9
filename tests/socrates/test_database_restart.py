"""A database server restarted under load: the app answers 503, never 500.

Real processes: a PostgreSQL cluster of the test's own, restarted while
gunicorn serves a client that loops on the API. A server shutting down
refuses new sessions ("the database system is shutting down"), ends open ones
(57P01) and, starting up, refuses again ("... is starting up"): each of these,
met anywhere in a request, is the database being unavailable.
"""

import threading
from pathlib import Path

import pytest
from django.db import OperationalError, connections

from tests.clusters import PrivateCluster, private_cluster
from tests.servers import Client, Looping, gunicorn, migrated_app_env, signed_in_headers


def test_restarting_the_database_server_under_load_answers_503_never_500(tmp_path: Path):
    with private_cluster() as cluster:
        env = migrated_app_env(cluster)
        with gunicorn(env, tmp_path / "gunicorn.log", "-w", "2") as url:
            client = Client(url)
            headers = signed_in_headers(client, "restart")
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
