"""Reads from a streaming standby, with read-your-writes by WAL position.

Real processes: a PostgreSQL primary of the test's own, a standby built from
it with pg_basebackup and streaming from it, and the app under gunicorn with
both databases' replica URLs naming the standby. pg_stat_statements on the
standby counts the reads it served.
"""

import json
import time
from collections import Counter

import pytest

from socrates.db.replicas import CHECK_INTERVAL_SECONDS
from tests.clusters import private_cluster
from tests.servers import Client, Looping, gunicorn, migrated_app_env, signed_in_headers

ROUNDS = 100


def project_reads_served(standby) -> int:
    rows = standby.server.execute(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
        " WHERE query LIKE 'SELECT%%' AND query LIKE '%%FROM \"projects\"%%'",
        database="socrates_specs",
    )
    return int(rows[0][0])


def write_then_read(client: Client, headers: dict[str, str], project: str, rounds: int):
    """Renames the project and reads it back at once, ``rounds`` times: how
    many reads answered, and how many showed an older name."""
    answers: Counter[int] = Counter()
    stale = 0
    for number in range(rounds):
        name = f"name {number}"
        status, _, body = client.request(
            "PATCH", f"/api/v1/projects/{project}/", {"name": name}, headers
        )
        answers[status] += 1
        status, _, body = client.request("GET", f"/api/v1/projects/{project}/", None, headers)
        answers[status] += 1
        stale += status == 200 and json.loads(body)["name"] != name
    return answers, stale


def reads(client: Client, headers: dict[str, str], count: int) -> Counter[int]:
    return Counter(
        client.request("GET", "/api/v1/projects/", None, headers)[0] for _ in range(count)
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on a primary and its standby; yields (client, primary, standby)."""
    work = tmp_path_factory.mktemp("replicas")
    settings = {"shared_preload_libraries": "pg_stat_statements"}
    with private_cluster(**settings) as primary:
        env = migrated_app_env(primary)
        primary.server.execute("CREATE EXTENSION pg_stat_statements", database="socrates_specs")
        standby = primary.standby()
        try:
            env |= {
                "DATABASE_URL_AUTH_REPLICAS": standby.server.url("socrates_auth"),
                "DATABASE_URL_SPECS_REPLICAS": standby.server.url("socrates_specs"),
                "DATABASE_REPLICA_MAX_LAG_SECONDS": "2",
            }
            with gunicorn(env, work / "gunicorn.log", "-w", "2") as url:
                yield Client(url), primary, standby
        finally:
            standby.remove()


@pytest.fixture(scope="module")
def owner(served):
    client, _, _ = served
    headers = signed_in_headers(client, "writer")
    status, _, body = client.request("POST", "/api/v1/projects/", {"name": "first"}, headers)
    assert status == 201, body
    return headers, json.loads(body)["id"]


def test_a_caller_reads_its_own_writes_at_once_while_the_standby_serves_other_reads(served, owner):
    client, _, standby = served
    headers, project = owner
    reader = signed_in_headers(client, "reader")
    served_before = project_reads_served(standby)

    answers, stale = write_then_read(client, headers, project, ROUNDS)
    other_reads = reads(client, reader, ROUNDS)

    served_by_standby = project_reads_served(standby) - served_before
    print(
        f"\nread-your-writes: {ROUNDS} writes each read back at once: {dict(answers)}, "
        f"{stale} stale; {ROUNDS} reads by another user: {dict(other_reads)}; "
        f"project statements served by the standby: {served_by_standby}"
    )
    assert answers == Counter({200: 2 * ROUNDS})
    assert stale == 0
    assert other_reads == Counter({200: ROUNDS})
    assert served_by_standby >= 2 * ROUNDS


def test_a_paused_standby_is_left_for_the_primary_until_it_replays_again(served, owner):
    client, _, standby = served
    headers, project = owner
    standby.server.execute("SELECT pg_wal_replay_pause()")
    try:
        answers, stale = write_then_read(client, headers, project, 10)
        # Past the allowed lag, with WAL received and not replayed.
        lagging_served_before = project_reads_served(standby)
        time.sleep(3)
        answers += write_then_read(client, headers, project, 10)[0]
        paused_reads = reads(client, signed_in_headers(client, "paused"), 20)
        served_while_lagging = project_reads_served(standby) - lagging_served_before
        readiness_status, _, readiness = client.request("GET", "/readyz")
    finally:
        standby.server.execute("SELECT pg_wal_replay_resume()")
    time.sleep(2)
    resumed_before = project_reads_served(standby)
    resumed_reads = reads(client, signed_in_headers(client, "resumed"), 20)
    served_after_resume = project_reads_served(standby) - resumed_before
    assert resumed_reads == Counter({200: 20})

    print(
        f"\npaused standby: {dict(answers)}, {stale} stale, other reads {dict(paused_reads)}, "
        f"served by the lagging standby: {served_while_lagging}; "
        f"after resuming, 20 reads by another user: {served_after_resume} statements on the standby"
    )
    assert stale == 0
    assert set(answers) == {200}
    assert set(paused_reads) == {200}
    assert served_while_lagging == 0
    # Ready all the same (its reads go to the primary), with the lag in view.
    assert readiness_status == 200
    lagging = json.loads(readiness)["replicas"]["specs_replica_0"]
    assert lagging["usable"] is False
    assert lagging["lag_seconds"] > 2
    # A page is two statements (its count and its rows).
    assert served_after_resume == 2 * 20


def test_a_standby_killed_under_load_costs_no_request_after_its_detection(served, owner):
    client, _, standby = served
    headers, _ = owner
    with Looping(client, "/api/v1/projects/", headers) as load:
        load.wait_for(20)
        before_kill = Counter(load.statuses)
        standby.stop("immediate")
        # Each worker learns of it at its next check of the standby, or when
        # a request's session to it fails.
        time.sleep(2 * CHECK_INTERVAL_SECONDS)
        detected = Counter(load.statuses)
        load.wait_for(load.statuses.total() + 100)
    inside_window, after_window = detected - before_kill, load.since(detected)

    print(
        f"\nstandby killed under load: before {dict(before_kill)}, inside the detection "
        f"window {dict(inside_window)}, after it {dict(after_window)}"
    )
    assert set(after_window) == {200}
