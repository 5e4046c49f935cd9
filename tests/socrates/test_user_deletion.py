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
from billing.models import APIKey, Invoice, LLMUsage, Subscription
from collaboration.models import (
    ActivityLog,
    NotificationPreference,
    ProjectInvitation,
    ProjectShare,
    Team,
    TeamMember,
    TeamRole,
)
from socrates.databases import AUTH, SPECS
from socrates.management import pending_work
from socrates.user_deletion import apply_user_deletion
from specs.models import Project, Session, UserBehaviorPattern
from tests.accounts.factories import PASSWORD, UserFactory
from tests.billing.factories import InvoiceFactory, LLMUsageFactory, SubscriptionFactory
from tests.postgres import run_at_once
from tests.specs.factories import ProjectFactory, ShareFactory, TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


class World:
    """A user about to go, and everything of theirs that a rule applies to."""

    def __init__(self):
        self.gone, self.other = UserFactory(), UserFactory()
        self.admin_heir, self.editor = UserFactory(), UserFactory()
        # Kept: a deleted instance loses its pk.
        self.gone_id = gone = self.gone.pk
        # Their project shared with an editor and an admin: the admin inherits it.
        self.shared = ProjectFactory(owner_id=gone)
        ShareFactory(
            project=self.shared, shared_with_user_id=self.editor.pk, permission_level="edit"
        )
        ShareFactory(
            project=self.shared, shared_with_user_id=self.admin_heir.pk, permission_level="admin"
        )
        self.alone = ProjectFactory(owner_id=gone)
        Session.objects.create(project=self.alone)
        # Someone else's project, where they were given a share and gave one.
        self.elsewhere = ProjectFactory(owner_id=self.other.pk)
        self.their_share = ShareFactory(project=self.elsewhere, shared_with_user_id=gone)
        self.share_they_gave = ShareFactory(
            project=self.elsewhere, shared_with_user_id=UserFactory().pk, shared_by_id=gone
        )
        self.invitation_they_sent = ProjectInvitation.objects.create(
            project=self.elsewhere,
            invited_email="x@example.com",
            invited_by_id=gone,
            invitation_token="t1",
        )
        self.invitation_to_them = ProjectInvitation.objects.create(
            project=self.elsewhere,
            invited_user_id=gone,
            invited_by_id=self.other.pk,
            invitation_token="t2",
        )
        self.their_session = Session.objects.create(project=self.elsewhere, user_id=gone)
        # Their team: its admin inherits it; a team of theirs alone goes.
        self.team = TeamFactory(owner_id=gone, member_count=3)
        TeamMemberFactory(team=self.team, user_id=gone, role=TeamRole.OWNER)
        TeamMemberFactory(team=self.team, user_id=self.editor.pk, role=TeamRole.MEMBER)
        self.team_heir = UserFactory()
        TeamMemberFactory(team=self.team, user_id=self.team_heir.pk, role=TeamRole.ADMIN)
        self.solo_team = TeamFactory(owner_id=gone)
        TeamMemberFactory(team=self.solo_team, user_id=gone, role=TeamRole.OWNER)
        # Someone else's team, where they were a member and invited one.
        self.other_team = TeamFactory(owner_id=self.other.pk, member_count=3)
        TeamMemberFactory(team=self.other_team, user_id=gone)
        self.invitee = TeamMemberFactory(team=self.other_team, invited_by_id=gone)
        # Their own things, and their history.
        APIKey.objects.create(user_id=gone, name="k", key_hash="h", scope=["read"])
        NotificationPreference.objects.create(user_id=gone, notification_type="mentions")
        UserBehaviorPattern.objects.create(user_id=gone, pattern_type="tool_usage")
        ActivityLog.objects.create(
            user_id=gone,
            action="project_created",
            resource_type="project",
            resource_id=uuid.uuid4(),
        )
        SubscriptionFactory(user_id=gone)
        InvoiceFactory(user_id=gone)
        LLMUsageFactory(user_id=gone)


@pytest.fixture
def world() -> World:
    return World()


def assert_rules_applied(world: World) -> None:
    gone = world.gone_id
    world.shared.refresh_from_db()
    assert (world.shared.owner_id, world.shared.user_id) == (world.admin_heir.pk,) * 2
    assert world.shared.creator_id == gone
    # The editor's share, which the gone owner made, now comes from the heir.
    assert list(world.shared.shares.values_list("shared_with_user_id", "shared_by_id")) == [
        (world.editor.pk, world.admin_heir.pk)
    ]
    assert not Project.objects.filter(pk=world.alone.pk).exists()
    assert not Session.objects.filter(project_id=world.alone.pk).exists()
    assert not ProjectShare.objects.filter(pk=world.their_share.pk).exists()
    world.share_they_gave.refresh_from_db()
    assert world.share_they_gave.shared_by_id == world.other.pk
    world.invitation_they_sent.refresh_from_db()
    assert world.invitation_they_sent.invited_by_id == world.other.pk
    assert not ProjectInvitation.objects.filter(pk=world.invitation_to_them.pk).exists()
    world.their_session.refresh_from_db()
    assert world.their_session.user_id is None
    world.team.refresh_from_db()
    assert world.team.owner_id == world.team_heir.pk
    assert world.team.members.get(user_id=world.team_heir.pk).role == TeamRole.OWNER
    assert world.team.member_count == 2
    assert not Team.objects.filter(pk=world.solo_team.pk).exists()
    world.other_team.refresh_from_db()
    assert world.other_team.member_count == 2
    world.invitee.refresh_from_db()
    assert world.invitee.invited_by_id is None
    for model in (APIKey, NotificationPreference, UserBehaviorPattern, TeamMember):
        assert not model.objects.filter(user_id=gone).exists(), model
    for model in (ActivityLog, Subscription, Invoice, LLMUsage):
        assert model.objects.filter(user_id=gone).count() == 1, model


def test_deleting_a_user_applies_every_rule_once_the_deletion_commits(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(using=AUTH, execute=True):
        accounts_services.delete_own_account(user=world.gone, password=PASSWORD)

    assert not User.objects.filter(pk=world.gone_id).exists()
    assert_rules_applied(world)
    entry = UserDeletion.objects.get(user_id=world.gone_id)
    assert entry.drained_at is not None
    assert entry.attempts == 1


def test_applying_the_rules_again_changes_nothing(world):
    first = apply_user_deletion([world.gone_id])
    again = apply_user_deletion([world.gone_id])

    assert sum(first.values()) > 0
    assert set(again.values()) == {0}
    assert_rules_applied(world)


def test_a_crash_between_the_databases_is_recovered_by_the_drainer(
    world, monkeypatch, django_capture_on_commit_callbacks, capsys
):
    def specs_is_down(user_ids):
        raise OperationalError("connection refused")

    monkeypatch.setattr(accounts_services, "apply_user_deletion", specs_is_down)
    with django_capture_on_commit_callbacks(using=AUTH, execute=True):
        world.gone.delete()

    entry = UserDeletion.objects.get(user_id=world.gone_id)
    assert entry.drained_at is None
    assert (entry.attempts, entry.last_error) == (1, "connection refused")
    assert Project.objects.filter(owner_id=world.gone_id).count() == 2

    assert pending_work.warnings() == [
        "1 deleted user(s) still have rows in socrates_specs awaiting their rules; "
        "run 'python manage.py drain_user_deletions'."
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
