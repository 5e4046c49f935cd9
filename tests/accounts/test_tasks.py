"""User deletions drained by a real Celery worker (a subprocess on the suite's
broker, tests/workers.py): enqueued at commit, delivered again when the worker
dies half-way, retried with backoff while socrates_specs is down, and swept by
beat when the enqueue was lost."""

import os
import re
import signal
from pathlib import Path

import pytest
from django.test import Client
from django_celery_results.models import TaskResult
from rest_framework.test import APIClient

from accounts.models import User, UserDeletion
from collaboration.models import Team
from specs.models import Project
from tests.accounts.factories import PASSWORD, UserFactory
from tests.polling import eventually
from tests.postgres import free_port, run_manage
from tests.user_deletions import World, assert_rules_applied
from tests.workers import committing, database_env, worker

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

DRAIN = "accounts.drain_user_deletions"
PAUSE = "user_deletion_rules_applied"


def deletion_of(user_id) -> UserDeletion:
    with committing():
        return UserDeletion.objects.get(user_id=user_id)


def drained(user_id) -> bool:
    return deletion_of(user_id).drained_at is not None


def received(*workers) -> list[str]:
    """The id of each delivery of the drain task, in order, across workers."""
    pattern = re.compile(rf"Task {DRAIN}\[([0-9a-f-]+)\] received")
    return [
        match[1]
        for running in workers
        for message in running.messages("received")
        if (match := pattern.search(message))
    ]


def assert_drained_once(world: World) -> None:
    """Both databases as one deletion leaves them: the user and their rows
    gone, the rest handed on, the team's count lowered once, the deletion
    marked drained after one complete attempt."""
    with committing():
        assert not User.objects.filter(pk=world.gone_id).exists()
        entry = UserDeletion.objects.get(user_id=world.gone_id)
        assert entry.drained_at is not None
        assert (entry.attempts, entry.last_error) == (1, None)
        assert_rules_applied(world)


def wait_at_pause_point(pause_dir: Path, running) -> int:
    """The pid of the pool process that stopped with the rules committed in
    specs and the deletion not yet marked in auth."""
    marker = pause_dir / PAUSE
    assert eventually(marker.exists), running.tail()
    return int(marker.read_text())


def assert_mid_way(world: World) -> None:
    with committing():
        assert deletion_of(world.gone_id).drained_at is None
        assert Project.objects.get(pk=world.shared.pk).owner_id == world.admin_heir.pk
        assert Team.objects.get(pk=world.team.pk).member_count == 2


def test_a_deletion_is_enqueued_at_commit_and_drained_by_a_worker(tmp_path, committed_rows, queue):
    with committing():
        world = World()
    api = APIClient()
    api.force_authenticate(world.gone)

    with worker(tmp_path / "worker.log", queue=queue) as running:
        with committing():
            response = api.post(
                "/api/v1/auth/delete-account/",
                {"password": PASSWORD},
                format="json",
                headers={"X-Request-ID": "delete-account-42"},
            )
        assert response.status_code == 204, response.content
        assert eventually(lambda: drained(world.gone_id)), running.tail()
        running.wait_for(f"{DRAIN}[", count=2)  # its INFO line and "succeeded"

    assert_drained_once(world)
    assert len(received(running)) == 1
    # The worker's JSON lines carry the id of the request that deleted.
    done = [line for line in running.lines() if line["message"] == "drained 1 user deletion(s)"]
    assert [(line["request_id"], line["method"]) for line in done] == [
        ("delete-account-42", "TASK")
    ]
    assert done[0]["path"].startswith(f"{DRAIN}[")


def test_a_pool_process_killed_mid_drain_gets_the_task_delivered_again(
    tmp_path, committed_rows, queue
):
    pause_dir = tmp_path / "pause"
    pause_dir.mkdir()
    with committing():
        world = World()

    with worker(tmp_path / "worker.log", queue=queue, TEST_PAUSE_DIR=str(pause_dir)) as running:
        with committing():
            world.gone.delete()
        pool_pid = wait_at_pause_point(pause_dir, running)
        assert pool_pid != running.process.pid
        assert_mid_way(world)

        os.kill(pool_pid, signal.SIGKILL)

        assert eventually(lambda: drained(world.gone_id)), running.tail()
        running.wait_for("succeeded")

    deliveries = received(running)
    assert len(deliveries) == 2
    assert len(set(deliveries)) == 1  # the same message, requeued
    assert running.messages("WorkerLostError")
    assert_drained_once(world)


def test_a_worker_killed_mid_drain_leaves_the_task_to_the_next_worker(
    tmp_path, committed_rows, queue
):
    pause_dir = tmp_path / "pause"
    pause_dir.mkdir()
    with committing():
        world = World()

    with worker(tmp_path / "first.log", queue=queue, TEST_PAUSE_DIR=str(pause_dir)) as first:
        with committing():
            world.gone.delete()
        wait_at_pause_point(pause_dir, first)
        assert_mid_way(world)
        # The worker and its pool at once: nothing acknowledged, nothing requeued.
        first.kill()

    assert deletion_of(world.gone_id).drained_at is None
    # The message waits, unacknowledged, until the visibility timeout has
    # passed; a worker starting then delivers it again.
    with worker(
        tmp_path / "second.log",
        queue=queue,
        TEST_PAUSE_DIR=str(pause_dir),
        CELERY_BROKER_VISIBILITY_TIMEOUT="1",
    ) as second:
        assert eventually(lambda: drained(world.gone_id)), second.tail()
        second.wait_for("succeeded")

    assert len(received(first)) == len(received(second)) == 1
    assert received(first) == received(second)
    assert_drained_once(world)


def test_a_failing_drain_is_retried_with_backoff_and_its_failure_shown_in_the_admin(
    tmp_path, committed_rows, queue, signed_in_superuser, client: Client
):
    with committing():
        user = UserFactory()
        gone = user.pk
        user.delete()

    # socrates_specs refuses every connection: each attempt fails.
    down = {
        "DATABASE_URL_SPECS": f"postgresql://postgres@127.0.0.1:{free_port()}/socrates_specs",
        "DATABASE_CONNECT_RETRY_DELAY_MS": "0",
        "TASK_MAX_RETRIES": "2",
        "TASK_RETRY_BACKOFF_SECONDS": "1",
    }
    with worker(tmp_path / "worker.log", queue=queue, **down) as running:
        running.wait_for(f"{DRAIN}[", count=1)
        running.wait_for("raised unexpected")

    # Two retries, each after a countdown drawn below 1 s, then 2 s.
    countdowns = [
        int(match[1])
        for message in running.messages("retry: Retry in")
        if (match := re.search(r"Retry in (\d+)s", message))
    ]
    assert len(countdowns) == 2, running.tail()
    assert countdowns[0] <= 1
    assert countdowns[1] <= 2
    assert len(received(running)) == 3
    entry = deletion_of(gone)
    assert entry.drained_at is None
    assert entry.attempts == 3
    assert "refused" in entry.last_error

    with committing():
        failure = TaskResult.objects.get(task_name=DRAIN)
    assert failure.status == "FAILURE"
    assert "OperationalError" in failure.traceback

    listing = client.get("/admin/django_celery_results/taskresult/?status__exact=FAILURE")
    assert listing.status_code == 200
    assert failure.task_id in listing.content.decode()
    page = client.get(f"/admin/django_celery_results/taskresult/{failure.pk}/change/")
    assert page.status_code == 200
    assert "OperationalError" in page.content.decode()
    assert DRAIN in page.content.decode()


def test_the_sweep_drains_a_deletion_whose_task_was_never_enqueued(tmp_path, committed_rows, queue):
    with committing():
        world = World()

    # Deleted by a process whose broker is down: the deletion commits, the
    # task is not sent, and that is logged.
    deleted = run_manage(
        "shell",
        "-c",
        f"from accounts.models import User; User.objects.get(pk='{world.gone_id}').delete()",
        env={
            **database_env(),
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
            "CELERY_BROKER_CONNECTION_TIMEOUT": "1",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
        },
    )
    assert deleted.exit_code == 0, deleted.output
    assert f"{DRAIN} was not enqueued" in deleted.stderr
    assert deletion_of(world.gone_id).drained_at is None

    with worker(
        tmp_path / "worker.log",
        "--beat",
        "--schedule",
        str(tmp_path / "beat-schedule"),
        queue=queue,
        USER_DELETION_SWEEP_SECONDS="1",
    ) as running:
        assert eventually(lambda: drained(world.gone_id)), running.tail()

    assert received(running)
    assert_drained_once(world)
