"""Parts of the deployment fail under load; requests keep their answers.

Each scenario prints its counts (``make cluster-test`` shows them): requests
by status (0 for no answer at all), stale reads, statements the standbys
served. The scenarios run in this order on one topology, since some leave a
part of it dead.
"""

import json
import os
import signal
import time
from collections import Counter

from socrates.db.replicas import CHECK_INTERVAL_SECONDS
from tests.polling import eventually
from tests.servers import PASSWORD, Looping, signed_in_headers
from tests.topology.conftest import MAX_LAG_SECONDS

ROUNDS = 1000
DRAIN = "accounts.drain_user_deletions"
# The free plan's room for current specifications; a key written again is a
# new version that retires the one before.
KEYS = 25
DETECTION_WINDOW_SECONDS = 2 * CHECK_INTERVAL_SECONDS


def write_and_read_back(topology, headers, project: str, rounds: int, *, first: int = 0):
    """Writes a specification on one app node and reads it back at once on
    the other, ``rounds`` times: answers by status, and stale reads (the
    specification missing, or another value)."""
    answers: Counter[int] = Counter()
    stale = 0
    path = f"/api/v1/projects/{project}/specifications/"
    for number in range(first, first + rounds):
        value = f"value {number}"
        status, _, body = topology.node(number).request(
            "POST", path, {"key": f"key-{number % KEYS}", "value": value}, headers
        )
        answers[status] += 1
        if status != 201:
            continue
        created = json.loads(body)["id"]
        status, _, body = topology.node(number + 1).request(
            "GET", f"{path}{created}/", None, headers
        )
        answers[status] += 1
        stale += status == 404 or (status == 200 and json.loads(body)["value"] != value)
    return answers, stale


def other_reads(topology, headers, count: int) -> Counter[int]:
    return Counter(
        topology.node(number).request("GET", "/api/v1/projects/", None, headers)[0]
        for number in range(count)
    )


def served_by_standbys(topology) -> dict[str, int]:
    return {
        "specifications": topology.specs.statements_served_by_standby("specifications"),
        "projects": topology.specs.statements_served_by_standby("projects"),
    }


def difference(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before[table] for table in after}


def report(title: str, **figures) -> None:
    details = ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in figures.items())
    print(f"\n[topology] {title}: {details}")


def test_reads_after_writes_on_alternating_nodes_are_never_stale(topology, writer):
    headers, project = writer
    reader = signed_in_headers(topology.balancer, "reader")
    before = served_by_standbys(topology)

    answers, stale = write_and_read_back(topology, headers, project, ROUNDS)
    reads = other_reads(topology, reader, ROUNDS)

    served = difference(served_by_standbys(topology), before)
    report(
        f"{ROUNDS} specifications written and read back on the other node",
        answers=dict(answers),
        stale_reads=stale,
        other_users_reads=dict(reads),
        statements_served_by_the_specs_standby=served,
    )
    assert answers == Counter({201: ROUNDS, 200: ROUNDS})
    assert stale == 0
    assert reads == Counter({200: ROUNDS})
    assert served["projects"] >= ROUNDS


def test_a_paused_standby_sends_reads_to_the_primary_until_it_replays(topology, writer):
    headers, project = writer
    reader = signed_in_headers(topology.balancer, "paused-reader")
    for database in topology.databases:
        database.standby.server.execute("SELECT pg_wal_replay_pause()")
    try:
        answers, stale = write_and_read_back(topology, headers, project, 20, first=ROUNDS)
        time.sleep(MAX_LAG_SECONDS + 1)
        lagging_before = served_by_standbys(topology)
        more, more_stale = write_and_read_back(topology, headers, project, 20, first=ROUNDS + 20)
        answers, stale = answers + more, stale + more_stale
        reads = other_reads(topology, reader, 50)
        served_while_lagging = difference(served_by_standbys(topology), lagging_before)
        _, _, readiness = topology.balancer.request("GET", "/readyz")
    finally:
        for database in topology.databases:
            database.standby.server.execute("SELECT pg_wal_replay_resume()")
    time.sleep(DETECTION_WINDOW_SECONDS + 1)
    resumed_before = served_by_standbys(topology)
    resumed_reads = other_reads(topology, reader, 50)
    served_after_resume = difference(served_by_standbys(topology), resumed_before)

    report(
        "standbys paused past the allowed lag",
        answers=dict(answers),
        stale_reads=stale,
        other_reads=dict(reads),
        replicas_in_readyz=json.loads(readiness)["replicas"],
        statements_served_while_lagging=served_while_lagging,
        after_resuming=dict(resumed_reads),
        statements_served_after_resuming=served_after_resume,
    )
    assert set(answers) <= {200, 201}
    assert stale == 0
    assert reads == Counter({200: 50})
    assert served_while_lagging == {"specifications": 0, "projects": 0}
    assert resumed_reads == Counter({200: 50})
    assert served_after_resume["projects"] >= 50


def test_standbys_killed_under_load_cost_no_request_after_the_detection_window(topology, writer):
    headers, _ = writer
    with Looping(topology.balancer, "/api/v1/projects/", headers) as load:
        load.wait_for(50)
        before = Counter(load.statuses)
        for database in topology.databases:
            database.standby.stop("immediate")
        time.sleep(DETECTION_WINDOW_SECONDS)
        detected = Counter(load.statuses)
        load.wait_for(detected.total() + 200)
    inside, after = detected - before, load.since(detected)

    report(
        "both standbys killed under load",
        before=dict(before),
        inside_the_detection_window=dict(inside),
        after_it=dict(after),
    )
    assert set(inside) <= {200, 503}
    assert set(after) == {200}


def test_an_app_node_killed_under_load_fails_no_request_the_balancer_could_retry(topology, writer):
    headers, _ = writer
    with Looping(topology.balancer, "/api/v1/projects/", headers) as load:
        load.wait_for(100)
        before = Counter(load.statuses)
        topology.nodes[1].kill()
        load.wait_for(before.total() + 300)
    after = load.since(before)

    report("app node 2 killed under load", before=dict(before), after=dict(after))
    assert set(before) == {200}
    assert set(after) == {200}


def test_a_pooler_restarted_under_load_fails_requests_only_while_it_restarts(topology, writer):
    headers, _ = writer
    with Looping(topology.balancer, "/api/v1/projects/", headers) as load:
        load.wait_for(50)
        before = Counter(load.statuses)
        started = time.monotonic()
        for database in topology.databases:
            database.pooler.restart()
        window = time.monotonic() - started
        restarted = Counter(load.statuses)
        load.wait_for(restarted.total() + 200)
    during, after = restarted - before, load.since(restarted)

    report(
        "both PgBouncers restarted under load",
        restart_window=f"{window:.2f} s",
        during=dict(during),
        after=dict(after),
        unavailable_without_retry_after=load.unavailable_without_retry_after,
    )
    assert set(during) <= {200, 503}
    assert set(after) == {200}
    assert load.unavailable_without_retry_after == 0


def test_primaries_restarted_under_load_answer_503_never_500(topology, writer):
    headers, _ = writer
    outcomes = {}
    for database in topology.databases:
        with Looping(topology.balancer, "/api/v1/projects/", headers) as load:
            load.wait_for(50)
            before = Counter(load.statuses)
            database.primary.restart("fast")
            restarted = Counter(load.statuses)
            load.wait_for(restarted.total() + 100)
        outcomes[database.name] = {
            "during": dict(restarted - before),
            "after": dict(load.since(restarted)),
        }

    report("each primary restarted (fast) under load", **outcomes)
    for outcome in outcomes.values():
        assert set(outcome["during"]) <= {200, 503}
        assert set(outcome["after"]) == {200}


def test_a_worker_killed_mid_drain_gets_the_deletion_again_and_drains_it_once(topology):
    client = topology.balancer
    headers = signed_in_headers(client, "leaver")
    status, _, body = client.request("POST", "/api/v1/projects/", {"name": "left"}, headers)
    assert status == 201, body
    leaver = json.loads(client.request("GET", "/api/v1/auth/me/", None, headers)[2])["id"]

    status, _, body = client.request(
        "POST", "/api/v1/auth/delete-account/", {"password": PASSWORD}, headers
    )
    assert status == 204, body
    marker = topology.pause_dir / "user_deletion_rules_applied"
    assert eventually(marker.exists), topology.worker.tail()
    mid_way = deletion_state(topology, leaver)
    os.kill(int(marker.read_text()), signal.SIGKILL)
    assert eventually(lambda: deletion_state(topology, leaver)["drained"]), topology.worker.tail()
    deliveries = [message for message in topology.worker.messages("received") if DRAIN in message]
    after = deletion_state(topology, leaver)

    report(
        "pool process SIGKILLed mid-drain of a deletion",
        mid_way=mid_way,
        deliveries=len(deliveries),
        worker_lost=len(topology.worker.messages("WorkerLostError")),
        after=after,
    )
    assert mid_way == {"user": 0, "projects": 0, "drained": False, "attempts": 0}
    assert len(deliveries) == 2
    assert after == {"user": 0, "projects": 0, "drained": True, "attempts": 1}


def deletion_state(topology, user_id: str) -> dict:
    """The deletion as both databases hold it, read on the primaries."""
    (users,) = topology.auth.primary.server.execute(
        "SELECT count(*) FROM users WHERE id = %s", [user_id], database="socrates_auth"
    )[0]
    drained, attempts = topology.auth.primary.server.execute(
        "SELECT drained_at IS NOT NULL, attempts FROM user_deletions WHERE user_id = %s",
        [user_id],
        database="socrates_auth",
    )[0]
    (projects,) = topology.specs.primary.server.execute(
        "SELECT count(*) FROM projects WHERE owner_id = %s", [user_id], database="socrates_specs"
    )[0]
    return {"user": users, "projects": projects, "drained": drained, "attempts": attempts}
