"""A user about to be deleted with everything a deletion rule applies to,
and the check that every rule was applied (tests/socrates/test_user_deletion.py,
and the workers' tests in tests/accounts/test_tasks.py)."""

import uuid

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
from specs.models import Project, Session, UserBehaviorPattern
from tests.accounts.factories import UserFactory
from tests.billing.factories import InvoiceFactory, LLMUsageFactory, SubscriptionFactory
from tests.specs.factories import ProjectFactory, ShareFactory, TeamFactory, TeamMemberFactory


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
