"""Teams: the creator owns and joins first; members come and go; member_count stays exact."""

import threading
import uuid

import pytest
from django.db import connections

from accounts.models import User
from billing.models import PlanName
from collaboration import services
from collaboration.models import MemberStatus, Team, TeamMember, TeamRole
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.specs.factories import TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

API = "/api/v1/teams"


def test_the_creator_owns_the_team_and_is_its_first_member(client_for):
    user = UserFactory()

    response = client_for(user).post(f"{API}/", {"name": "Core"}, format="json")

    assert response.status_code == 201, response.data
    team = Team.objects.get(pk=response.data["id"])
    assert (team.owner_id, team.member_count) == (user.pk, 1)
    member = TeamMember.objects.get(team=team)
    assert (member.user_id, member.role, member.status) == (user.pk, "owner", "active")
    assert client_for(user).get(f"{API}/").data["count"] == 1


def test_a_taken_team_name_is_refused(client_for):
    TeamFactory(name="Core")

    response = client_for(UserFactory()).post(f"{API}/", {"name": "Core"}, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["name"]


def member_of(team, role=TeamRole.MEMBER, **fields) -> User:
    user = UserFactory()
    TeamMemberFactory(team=team, user_id=user.pk, role=role, **fields)
    return user


def test_admins_add_members_others_may_only_read_and_strangers_see_nothing(client_for):
    team = TeamFactory(member_count=2)
    SubscriptionFactory(user_id=team.owner_id, plan_name=PlanName.TEAM)
    admin, member, newcomer = member_of(team, TeamRole.ADMIN), member_of(team), UserFactory()
    url = f"{API}/{team.pk}/members/"

    assert client_for(UserFactory()).get(url).status_code == 404
    assert client_for(member).get(url).status_code == 200
    refused = client_for(member).post(url, {"user_id": str(newcomer.pk)}, format="json")
    assert refused.status_code == 403
    added = client_for(admin).post(url, {"user_id": str(newcomer.pk)}, format="json")
    assert added.status_code == 201, added.data
    again = client_for(admin).post(url, {"user_id": str(newcomer.pk)}, format="json")
    assert again.status_code == 409
    inactive = client_for(admin).post(
        url, {"user_id": str(UserFactory(is_active=False).pk)}, format="json"
    )
    assert inactive.status_code == 400
    assert list(inactive.data["fields"]) == ["user_id"]
    team.refresh_from_db()
    assert team.member_count == 3


def test_members_leave_admins_remove_and_the_owner_stays(client_for):
    team = TeamFactory(member_count=3)
    owner = member_of(team, TeamRole.OWNER)
    leaver, other = member_of(team), member_of(team)
    members = {m.user_id: m.pk for m in TeamMember.objects.filter(team=team)}
    url = f"{API}/{team.pk}/members/"

    assert client_for(leaver).delete(f"{url}{members[other.pk]}/").status_code == 403
    assert client_for(leaver).delete(f"{url}{members[leaver.pk]}/").status_code == 204
    assert client_for(owner).delete(f"{url}{members[other.pk]}/").status_code == 204
    assert client_for(owner).delete(f"{url}{members[owner.pk]}/").status_code == 409
    team.refresh_from_db()
    assert team.member_count == 1


def test_an_inactive_membership_counts_for_nothing(client_for):
    team = TeamFactory()
    dormant = member_of(team, status=MemberStatus.INACTIVE)

    assert client_for(dormant).get(f"{API}/{team.pk}/").status_code == 404


# Threads with real transactions; only specs is flushed afterwards (the audit
# log in auth refuses TRUNCATE), so the active-user check is stood in for.
@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_member_count_is_exact_under_concurrent_joins_and_leaves(monkeypatch):
    monkeypatch.setattr(services, "require_active_user", lambda user_id, field: None)
    context = services.ActivityContext(user_id=uuid.uuid4())
    SubscriptionFactory(user_id=context.user_id, plan_name=PlanName.TEAM)
    team = services.create_team(context=context, name="Busy")
    leavers = [
        services.add_member(context=context, team=team, user_id=uuid.uuid4()) for _ in range(6)
    ]
    errors = []

    def run(operation):
        try:
            operation()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    operations = [
        *(
            lambda m=member: services.remove_member(member=m, actor_id=m.user_id)
            for member in leavers
        ),
        *(
            lambda: services.add_member(context=context, team=team, user_id=uuid.uuid4())
            for _ in range(10)
        ),
    ]
    threads = [threading.Thread(target=run, args=(operation,)) for operation in operations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    team.refresh_from_db()
    active = TeamMember.objects.filter(team=team, status=MemberStatus.ACTIVE).count()
    assert team.member_count == active == 11


def test_no_one_is_added_as_owner_and_the_schema_offers_no_owner(client_for, openapi):
    team = TeamFactory()

    response = client_for(member_of(team, TeamRole.ADMIN)).post(
        f"{API}/{team.pk}/members/",
        {"user_id": str(UserFactory().pk), "role": "owner"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["role"]
    operation = openapi["paths"]["/api/v1/teams/{team_id}/members/"]["post"]
    addition = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    role = openapi["components"]["schemas"][addition.rsplit("/", 1)[1]]["properties"]["role"]
    (choices,) = role["allOf"]
    roles = openapi["components"]["schemas"][choices["$ref"].rsplit("/", 1)[1]]["enum"]
    assert set(roles) == set(TeamRole) - {TeamRole.OWNER}


def test_a_number_for_a_text_field_in_json_is_a_400_naming_it(client_for):
    response = client_for(UserFactory()).post(
        f"{API}/", {"name": "Numbers", "description": 0}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["description"]
    assert not Team.objects.filter(name="Numbers").exists()
