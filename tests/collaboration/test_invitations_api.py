"""Invitations: a token shown once, 14 days to answer, accepting shares the project."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from collaboration.models import ActivityLog, InvitationStatus, ProjectInvitation
from collaboration.services import invitation_digest
from specs.selectors import AccessLevel, access_level
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

MINE = "/api/v1/invitations/"


@pytest.fixture
def project():
    return ProjectFactory()


@pytest.fixture
def owner(client_for, project):
    return client_for(User.objects.get(pk=project.owner_id))


def invite(owner, project, **body):
    return owner.post(f"/api/v1/projects/{project.pk}/invitations/", body, format="json")


def test_an_invitation_shows_its_token_once_and_stores_only_its_hash(owner, project):
    invitee = UserFactory()

    response = invite(owner, project, invited_user_id=str(invitee.pk), permission_level="write")

    assert response.status_code == 201, response.data
    token = response.data["token"]
    stored = ProjectInvitation.objects.get()
    assert stored.invitation_token == invitation_digest(token) != token
    assert stored.token_expires_at - timezone.now() > timedelta(days=13, hours=23)
    listed = owner.get(f"/api/v1/projects/{project.pk}/invitations/").data["results"]
    assert "token" not in listed[0]
    assert ActivityLog.objects.filter(action="invitation_created").count() == 1


def test_accepting_creates_the_share_and_the_token_works_once(owner, project, client_for):
    invitee = UserFactory()
    token = invite(owner, project, invited_user_id=str(invitee.pk), permission_level="write").data[
        "token"
    ]
    client = client_for(invitee)

    assert len(client.get(MINE).data["results"]) == 1
    accepted = client.post(f"{MINE}accept/", {"token": token})
    again = client.post(f"{MINE}accept/", {"token": token})

    assert accepted.status_code == 200, accepted.data
    assert access_level(invitee.pk, project.pk) == AccessLevel.EDIT
    assert again.status_code == 409
    assert ProjectInvitation.objects.get().status == InvitationStatus.ACCEPTED
    assert client.get(MINE).data["results"] == []


def test_an_invitation_by_email_is_for_that_address_only(owner, project, client_for):
    invitee = UserFactory(email="guest@example.com", is_verified=True)
    stranger = UserFactory(is_verified=True)
    token = invite(owner, project, invited_email="Guest@Example.com").data["token"]

    assert client_for(stranger).post(f"{MINE}accept/", {"token": token}).status_code == 404
    assert client_for(invitee).post(f"{MINE}decline/", {"token": token}).status_code == 200
    assert ProjectInvitation.objects.get().status == InvitationStatus.DECLINED
    assert access_level(invitee.pk, project.pk) is None


def test_a_second_pending_invitation_to_the_same_person_is_refused(owner, project):
    invite(owner, project, invited_email="guest@example.com")

    again = invite(owner, project, invited_email="GUEST@example.com")

    assert again.status_code == 409
    assert ProjectInvitation.objects.count() == 1


def test_an_invitation_expires_after_fourteen_days(owner, project, client_for):
    invitee = UserFactory()
    token = invite(owner, project, invited_user_id=str(invitee.pk)).data["token"]

    with time_machine.travel(timezone.now() + timedelta(days=14, seconds=1)):
        late = client_for(invitee).post(f"{MINE}accept/", {"token": token})
        owner_now = client_for(User.objects.get(pk=project.owner_id))
        renewed = invite(owner_now, project, invited_user_id=str(invitee.pk))
        call_command("purge_invitations")

    assert late.status_code == 409
    assert "expired" in late.data["detail"]
    assert renewed.status_code == 201
    assert set(ProjectInvitation.objects.values_list("status", flat=True)) == {
        InvitationStatus.EXPIRED,
        InvitationStatus.PENDING,
    }


def test_the_inviter_or_the_owner_revokes_and_then_it_cannot_be_accepted(
    owner, project, client_for
):
    invitee = UserFactory()
    created = invite(owner, project, invited_user_id=str(invitee.pk)).data

    revoked = owner.post(f"/api/v1/projects/{project.pk}/invitations/{created['id']}/revoke/")
    accepted = client_for(invitee).post(f"{MINE}accept/", {"token": created["token"]})

    assert (revoked.status_code, revoked.data["status"]) == (200, "revoked")
    assert accepted.status_code == 409


def test_inviting_needs_exactly_one_active_invitee(owner, project):
    neither = invite(owner, project)
    inactive = invite(owner, project, invited_user_id=str(UserFactory(is_active=False).pk))

    assert (neither.status_code, list(neither.data["fields"])) == (400, ["invited_user_id"])
    assert (inactive.status_code, list(inactive.data["fields"])) == (400, ["invited_user_id"])


def test_accepting_never_lowers_an_existing_share(owner, project, client_for):
    from collaboration.models import SharePermission
    from tests.specs.factories import ShareFactory

    invitee = UserFactory()
    ShareFactory(
        project=project, shared_with_user_id=invitee.pk, permission_level=SharePermission.ADMIN
    )
    token = invite(owner, project, invited_user_id=str(invitee.pk), permission_level="read").data[
        "token"
    ]

    assert client_for(invitee).post(f"{MINE}accept/", {"token": token}).status_code == 200
    assert access_level(invitee.pk, project.pk) == AccessLevel.ADMIN


def test_the_owner_cannot_be_invited(owner, project):
    response = invite(owner, project, invited_user_id=str(project.owner_id))

    assert (response.status_code, list(response.data["fields"])) == (400, ["invited_user_id"])


def test_invitations_by_email_are_listed_only_for_a_verified_address(owner, project, client_for):
    unverified = UserFactory(email="guest@example.com", is_verified=False)
    invite(owner, project, invited_email="guest@example.com")

    assert client_for(unverified).get(MINE).data["results"] == []
    User.objects.filter(pk=unverified.pk).update(is_verified=True)
    assert len(client_for(unverified).get(MINE).data["results"]) == 1


def test_an_invitation_by_email_is_answered_only_once_the_address_is_verified(
    owner, project, client_for
):
    unverified = client_for(UserFactory(email="guest@example.com", is_verified=False))
    token = invite(owner, project, invited_email="guest@example.com").data["token"]

    accepted = unverified.post(f"{MINE}accept/", {"token": token})
    declined = unverified.post(f"{MINE}decline/", {"token": token})

    assert (accepted.status_code, accepted.data["code"]) == (403, "email_not_verified")
    assert (declined.status_code, declined.data["code"]) == (403, "email_not_verified")
    assert ProjectInvitation.objects.get().status == InvitationStatus.PENDING
    assert not project.shares.exists()
    User.objects.filter(email="guest@example.com").update(is_verified=True)
    assert unverified.post(f"{MINE}accept/", {"token": token}).status_code == 200
