"""Deleting a user applies each user reference's rule in socrates_specs, even
when the process stops between the two databases; the integrity checker
finds and repairs what was left."""

import json
import threading
import time
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User, UserDeletion
from billing.models import APIKey
from collaboration.models import (
    ActivityLog,
    NotificationPreference,
)
from socrates.celery import app as celery_app
from socrates.databases import AUTH, SPECS
from socrates.management import pending_work
from socrates.user_deletion import apply_user_deletion
from specs.models import Project
from tests.accounts.factories import PASSWORD, UserFactory
from tests.postgres import run_at_once
from tests.specs.factories import ProjectFactory, ShareFactory
from tests.user_deletions import World, assert_rules_applied
from tests.workers import queue_of_its_own

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


@pytest.fixture
def world() -> World:
    return World()


def test_deleting_a_user_records_it_and_enqueues_its_drain_once_the_deletion_commits(
    world, django_capture_on_commit_callbacks
):
    with queue_of_its_own() as queue:
        with django_capture_on_commit_callbacks(using=AUTH, execute=False) as callbacks:
            accounts_services.delete_own_account(user=world.gone, password=PASSWORD)

        # Recorded with the deletion; nothing sent before the commit.
        assert UserDeletion.objects.get(user_id=world.gone_id).drained_at is None
        assert queued_tasks(queue) == []
        for callback in callbacks:
            callback()
        assert queued_tasks(queue) == ["accounts.drain_user_deletions"]

    # What the task does (a worker runs it: tests/accounts/test_tasks.py).
    assert accounts_services.drain_user_deletions() == 1
    assert not User.objects.filter(pk=world.gone_id).exists()
    assert_rules_applied(world)
    entry = UserDeletion.objects.get(user_id=world.gone_id)
    assert entry.drained_at is not None
    assert entry.attempts == 1


def queued_tasks(queue: str) -> list[str]:
    """The names of the tasks waiting in ``queue``, taken off it."""
    with celery_app.connection_for_read() as connection:
        waiting = connection.SimpleQueue(queue, no_ack=True)
        names = []
        while True:
            try:
                names.append(waiting.get(timeout=0.2).headers["task"])
            except waiting.Empty:
                return names


def test_applying_the_rules_again_changes_nothing(world):
    first = apply_user_deletion([world.gone_id])
    again = apply_user_deletion([world.gone_id])

    assert sum(first.values()) > 0
    assert set(again.values()) == {0}
    assert_rules_applied(world)


def test_a_crash_between_the_databases_is_recovered_by_the_drainer(world, monkeypatch, capsys):
    def specs_is_down(user_ids):
        raise OperationalError("connection refused")

    monkeypatch.setattr(accounts_services, "apply_user_deletion", specs_is_down)
    world.gone.delete()
    with pytest.raises(OperationalError, match="connection refused"):
        accounts_services.drain_user_deletions()

    entry = UserDeletion.objects.get(user_id=world.gone_id)
    assert entry.drained_at is None
    assert (entry.attempts, entry.last_error) == (1, "connection refused")
    assert Project.objects.filter(owner_id=world.gone_id).count() == 2

    assert pending_work.warnings() == [
        "1 deleted user(s) still have rows in socrates_specs awaiting their rules; "
        "a Celery worker applies them (make worker), or run "
        "'python manage.py drain_user_deletions'."
    ]

    monkeypatch.undo()
    call_command("drain_user_deletions")
    call_command("drain_user_deletions")

    assert capsys.readouterr().out.splitlines() == [
        "drained 1 user deletion(s)",
        "drained 0 user deletion(s)",
    ]
    assert_rules_applied(world)
    entry.refresh_from_db()
    assert entry.drained_at is not None
    assert pending_work.warnings() == []


def test_a_deletion_that_keeps_failing_holds_back_no_other(world, monkeypatch):
    other = UserFactory()
    other_id = other.pk
    # Outside django_capture_on_commit_callbacks: both stay pending.
    world.gone.delete()
    other.delete()
    apply = accounts_services.apply_user_deletion

    def fails_for_gone(user_ids):
        if world.gone_id in user_ids:
            raise OperationalError("deadlock detected")
        apply(user_ids)

    monkeypatch.setattr(accounts_services, "apply_user_deletion", fails_for_gone)

    with pytest.raises(OperationalError, match="deadlock detected"):
        accounts_services.drain_user_deletions()

    assert UserDeletion.objects.get(user_id=other_id).drained_at is not None
    stuck = UserDeletion.objects.get(user_id=world.gone_id)
    assert (stuck.drained_at, stuck.last_error) == (None, "deadlock detected")
    assert Project.objects.filter(owner_id=world.gone_id).count() == 2

    monkeypatch.undo()
    assert accounts_services.drain_user_deletions() == 1
    assert_rules_applied(world)


def integrity(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_cross_db_integrity", *args, stdout=out)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


def test_the_checker_lists_orphans_per_column_and_repair_applies_the_rules():
    ghost = uuid.uuid4()
    orphan = ProjectFactory(owner_id=ghost, user_id=ghost, creator_id=ghost)
    key = APIKey.objects.create(user_id=ghost, name="k", key_hash="h2", scope=["read"])
    ActivityLog.objects.create(
        user_id=ghost, action="x", resource_type="project", resource_id=orphan.pk
    )

    code, before = integrity()

    assert code == 1
    assert f"api_keys.user_id: 1 row(s) naming 1 missing user(s); e.g. {key.pk}" in before
    assert "projects.owner_id: 1 row(s) naming 1 missing user(s)" in before
    assert "activity_logs.user_id: 1 row(s) naming 1 missing user(s) (kept for history" in before
    assert before.splitlines()[-1].startswith("rows must be repaired (18 columns checked in")

    code, repaired = integrity("--repair")

    assert code == 0
    assert "repaired: 2 row(s) changed by the deletion rules" in repaired
    assert not Project.objects.filter(pk=orphan.pk).exists()
    assert not APIKey.objects.filter(pk=key.pk).exists()
    assert ActivityLog.objects.filter(user_id=ghost).exists()
    assert integrity()[0] == 0


def test_the_checker_speaks_json_for_machines():
    ghost = uuid.uuid4()
    NotificationPreference.objects.create(user_id=ghost, notification_type="mentions")

    code, output = integrity("--json")
    document = json.loads(output)

    assert code == 1
    assert document["needs_repair"] is True
    by_column = {column["column"]: column for column in document["columns"]}
    assert len(by_column) == 18
    assert by_column["notification_preferences.user_id"] == {
        "column": "notification_preferences.user_id",
        "rule": "delete",
        "rows": 1,
        "missing_users": 1,
        "examples": [str(NotificationPreference.objects.get().pk)],
        "needs_repair": True,
    }


def test_an_expired_share_does_not_make_an_heir():
    owner, lapsed = UserFactory(), UserFactory()
    project = ProjectFactory(owner_id=owner.pk)
    ShareFactory(
        project=project,
        shared_with_user_id=lapsed.pk,
        permission_level="admin",
        expiry_date=timezone.now() - timedelta(days=1),
    )

    apply_user_deletion([owner.pk])

    assert not Project.objects.filter(pk=project.pk).exists()


@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_deletions_applied_at_once_never_hand_a_project_to_a_user_deleted_meanwhile():
    owner, admin, viewer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    project = ProjectFactory.build(owner_id=owner, user_id=owner, creator_id=owner)
    project.save()
    ShareFactory(
        project=project, shared_by_id=owner, shared_with_user_id=admin, permission_level="admin"
    )
    ShareFactory(
        project=project, shared_by_id=owner, shared_with_user_id=viewer, permission_level="view"
    )
    admin_applied = threading.Event()

    def delete_admin():
        with transaction.atomic(using=SPECS):
            apply_user_deletion([admin])
            admin_applied.set()
            time.sleep(0.5)

    def delete_owner():
        admin_applied.wait()
        apply_user_deletion([owner])

    outcomes = run_at_once(delete_admin, delete_owner)

    assert outcomes == ["ok", "ok"]
    project.refresh_from_db()
    assert project.owner_id == viewer
