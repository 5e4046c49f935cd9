"""The Celery set-up (socrates.celery): what beat schedules, each entry run by
a real worker, and the broker in /readyz."""

import socket
import time
from datetime import timedelta

import pytest
from celery.beat import PersistentScheduler
from celery.schedules import crontab, schedule
from django.test import Client
from django.utils import timezone

from accounts.background_migrations import WrapLegacyBcryptHashes
from accounts.models import BackgroundMigrationProgress, RefreshToken
from collaboration.models import InvitationStatus, ProjectInvitation
from socrates.celery import app as celery_app
from tests.accounts.factories import UserFactory
from tests.accounts.test_background_migrations import bare_bcrypt_hash, stored
from tests.postgres import free_port
from tests.specs.factories import ProjectFactory
from tests.workers import committing, worker

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

SCHEDULE = {
    "drain user deletions": ("accounts.drain_user_deletions", schedule(timedelta(minutes=5))),
    "purge refresh tokens": ("accounts.purge_refresh_tokens", crontab(minute=15, hour=3)),
    "purge invitations": ("collaboration.purge_invitations", crontab(minute=30)),
    "queue background migrations": (
        "socrates.queue_background_migrations",
        schedule(timedelta(minutes=10)),
    ),
    # Celery's own: task records past TASK_FAILURE_RETENTION_DAYS.
    "celery.backend_cleanup": ("celery.backend_cleanup", crontab(minute=0, hour=4)),
}


def beat(directory) -> PersistentScheduler:
    """The schedule as ``celery beat`` reads it (its own entries included)."""
    return PersistentScheduler(celery_app, schedule_filename=str(directory / "beat-schedule"))


def test_beat_schedules_the_sweep_and_the_purges(tmp_path):
    entries = beat(tmp_path).schedule

    assert {name: (entry.task, entry.schedule) for name, entry in entries.items()} == SCHEDULE


def test_a_worker_runs_every_task_beat_sends(tmp_path, committed_rows, queue):
    now = timezone.now()
    with committing():
        user = UserFactory()
        # A legacy user, and the hash wrapping queued as migration 0008 queues it.
        legacy = UserFactory(password=bare_bcrypt_hash())
        BackgroundMigrationProgress.objects.create(name=WrapLegacyBcryptHashes.name)
        expired = RefreshToken.objects.create(
            user=user, token="expired", expires_at=now - timedelta(minutes=1)
        )
        live = RefreshToken.objects.create(
            user=user, token="live", expires_at=now + timedelta(days=1)
        )
        project = ProjectFactory(owner_id=user.pk)
        lapsed = ProjectInvitation.objects.create(
            project=project,
            invited_email="late@example.com",
            invited_by_id=user.pk,
            token_expires_at=now - timedelta(minutes=1),
        )
        ended = ProjectInvitation.objects.create(
            project=project,
            invited_email="long-ago@example.com",
            invited_by_id=user.pk,
            status=InvitationStatus.DECLINED,
        )
        ProjectInvitation.objects.filter(pk=ended.pk).update(updated_at=now - timedelta(days=91))

    scheduler = beat(tmp_path)
    with worker(tmp_path / "worker.log", queue=queue) as running:
        # Sent as beat sends each entry when it is due.
        for entry in scheduler.schedule.values():
            scheduler.apply_async(entry)
        # ... and the background migration that one of them enqueued.
        running.wait_for("succeeded", count=len(SCHEDULE) + 1)

    tasks = {task for task, _ in SCHEDULE.values()} | {"socrates.run_background_migration"}
    assert {task for task in tasks if running.messages(f"Task {task}[")} == tasks
    assert not running.messages("raised")
    with committing():
        assert list(RefreshToken.objects.filter(user=user)) == [live]
        assert not RefreshToken.objects.filter(pk=expired.pk).exists()
        lapsed.refresh_from_db()
        assert lapsed.status == InvitationStatus.EXPIRED
        assert not ProjectInvitation.objects.filter(pk=ended.pk).exists()
        assert stored(legacy).startswith("argon2_bcrypt$")
        assert BackgroundMigrationProgress.objects.get().finished_at is not None


def readyz() -> tuple[int, dict, float]:
    started = time.monotonic()
    response = Client().get("/readyz")
    return response.status_code, response.json(), time.monotonic() - started


def test_readyz_reports_the_broker():
    status, body, _ = readyz()

    assert status == 200, body
    assert body["checks"]["broker"] == {"ok": True}


def test_readyz_is_a_503_when_the_broker_refuses_connections(settings):
    port = free_port()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"

    status, body, _ = readyz()

    assert status == 503
    assert body["status"] == "unready"
    problem = body["checks"]["broker"]["problem"]
    assert problem.startswith(f"broker unreachable at redis://127.0.0.1:{port}/0: ")
    assert "refused" in problem
    assert body["checks"]["database:auth"] == {"ok": True}


def test_readyz_waits_for_a_silent_broker_no_longer_than_its_timeout(settings):
    # A server that accepts connections and never answers (a hung broker).
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
        settings.CELERY_BROKER_CONNECTION_TIMEOUT = 0.5

        status, body, seconds = readyz()

    assert status == 503
    assert body["checks"]["broker"]["problem"].startswith("broker unreachable at ")
    assert "imeout" in body["checks"]["broker"]["problem"]
    assert seconds < 3


RABBITMQ = ("127.0.0.1", 5672)


def listening(address) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(address) == 0


@pytest.mark.skipif(not listening(RABBITMQ), reason="no RabbitMQ on 127.0.0.1:5672")
def test_readyz_checks_a_rabbitmq_broker_too(settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"

    status, body, _ = readyz()
    assert (status, body["checks"]["broker"]) == (200, {"ok": True})

    settings.CELERY_BROKER_URL = "amqp://guest:wrong@127.0.0.1:5672//"
    status, body, _ = readyz()
    assert status == 503
    assert body["checks"]["broker"]["problem"].startswith(
        "broker unreachable at amqp://guest:***@127.0.0.1:5672//: "
    )
