"""The plans' limits: the tier table, each limit at its edge, and the race at the limit."""

import re
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections

from billing.limits import PlanLimitReached
from billing.models import PlanName, SubscriptionStatus
from billing.tiers import PLANS, Tier
from collaboration.models import ActivityLog, TeamMember, TeamRole
from collaboration.services import ActivityContext
from specs import services as specs_services
from specs.models import Project, ProjectStatus, Specification
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.specs.factories import ProjectFactory, TeamFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

BEHAVIOUR = Path(__file__).resolve().parents[2] / "docs" / "BEHAVIOUR.md"


def _number(cell: str) -> int | None:
    return None if cell in {"unlimited", "custom"} else int(re.sub(r"[$,]", "", cell))


def test_the_tier_table_is_the_one_of_behaviour_md():
    rows = re.findall(
        r"^\| (free|pro|team|enterprise) \| (.+) \|$", BEHAVIOUR.read_text(), re.MULTILINE
    )
    documented = {
        Tier[name.upper()]: [_number(cell.strip()) for cell in cells.split("|")]
        for name, cells in rows
    }
    in_code = {
        tier: [
            plan.projects,
            plan.specifications,
            plan.team_members,
            plan.api_requests_per_day,
            plan.price_per_month_usd,
        ]
        for tier, plan in PLANS.items()
    }
    assert documented == in_code
    assert PLANS[Tier.PRO].price_per_month_usd == Decimal("29")


def create_project(client, name="Another"):
    return client.post("/api/v1/projects/", {"name": name}, format="json")


@pytest.mark.parametrize(
    ("plan_name", "allowed", "tier"),
    [
        (None, 3, "free"),
        (PlanName.STARTER, 3, "free"),
        (PlanName.PROFESSIONAL, 25, "pro"),
        (PlanName.PRO, 25, "pro"),
    ],
)
def test_the_project_past_the_plan_is_refused_naming_limit_and_tier(
    client_for, plan_name, allowed, tier
):
    user = UserFactory()
    if plan_name:
        SubscriptionFactory(user_id=user.pk, plan_name=plan_name)
    ProjectFactory.create_batch(allowed - 1, owner_id=user.pk)
    client = client_for(user)

    assert create_project(client, "The last one").status_code == 201
    refused = create_project(client)

    assert refused.status_code == 403
    assert refused.data == {
        "detail": f"The {tier} plan allows {allowed} projects; you have {allowed}.",
        "code": "plan_limit_reached",
    }
    assert Project.objects.filter(owner_id=user.pk).count() == allowed


def test_team_and_enterprise_plans_have_no_project_limit(client_for):
    user = UserFactory()
    SubscriptionFactory(user_id=user.pk, plan_name=PlanName.TEAM)
    ProjectFactory.create_batch(30, owner_id=user.pk)

    assert create_project(client_for(user)).status_code == 201


def test_only_an_active_subscription_sets_the_tier_and_the_highest_counts(client_for):
    user = UserFactory()
    SubscriptionFactory(user_id=user.pk, plan_name=PlanName.TEAM, status=SubscriptionStatus.EXPIRED)
    SubscriptionFactory(user_id=user.pk, plan_name=PlanName.STARTER)
    SubscriptionFactory(user_id=user.pk, plan_name=PlanName.PRO)
    ProjectFactory.create_batch(25, owner_id=user.pk)

    refused = create_project(client_for(user))

    assert refused.status_code == 403
    assert refused.data["detail"].startswith("The pro plan allows 25 projects")


def test_archived_projects_do_not_count_until_restored(client_for):
    user = UserFactory()
    archived = ProjectFactory(owner_id=user.pk, status=ProjectStatus.ARCHIVED)
    ProjectFactory.create_batch(2, owner_id=user.pk)
    client = client_for(user)

    assert create_project(client).status_code == 201
    restore = client.post(f"/api/v1/projects/{archived.pk}/restore/")

    assert restore.status_code == 403
    assert restore.data["detail"] == "The free plan allows 3 projects; you have 3."
    archived.refresh_from_db()
    assert archived.status == ProjectStatus.ARCHIVED


def test_a_transfer_to_someone_at_their_limit_is_refused(client_for):
    owner, receiver = UserFactory(), UserFactory()
    project = ProjectFactory(owner_id=owner.pk)
    ProjectFactory.create_batch(3, owner_id=receiver.pk)

    refused = client_for(owner).post(
        f"/api/v1/projects/{project.pk}/transfer/", {"user_id": str(receiver.pk)}, format="json"
    )

    assert refused.status_code == 403
    assert refused.data["detail"] == "The free plan allows 3 projects; they have 3."
    project.refresh_from_db()
    assert project.owner_id == owner.pk


def test_a_new_specification_key_past_the_owners_plan_is_refused_a_new_version_is_not(
    client_for,
):
    owner = UserFactory()
    project = ProjectFactory(owner_id=owner.pk)
    Specification.objects.bulk_create(
        Specification(project=project, key=f"k{n}", value="v") for n in range(49)
    )
    client = client_for(owner)
    url = f"/api/v1/projects/{project.pk}/specifications/"

    assert client.post(url, {"key": "fiftieth", "value": "v"}, format="json").status_code == 201
    refused = client.post(url, {"key": "fifty-first", "value": "v"}, format="json")
    new_version = client.post(url, {"key": "k0", "value": "w"}, format="json")

    assert refused.status_code == 403
    assert refused.data["detail"] == "The free plan allows 50 specifications; you have 50."
    assert new_version.status_code == 201
    assert new_version.data["version"] == 2


def test_an_editor_is_held_to_the_project_owners_plan(client_for):
    from tests.specs.factories import ShareFactory

    project = ProjectFactory()
    editor = UserFactory()
    ShareFactory(project=project, shared_with_user_id=editor.pk, permission_level="edit")
    Specification.objects.bulk_create(
        Specification(project=project, key=f"k{n}", value="v") for n in range(50)
    )

    refused = client_for(editor).post(
        f"/api/v1/projects/{project.pk}/specifications/", {"key": "more"}, format="json"
    )

    assert refused.status_code == 403
    assert refused.data["detail"] == "The free plan allows 50 specifications; its owner has 50."


@pytest.mark.parametrize(("plan_name", "allowed"), [(None, 1), (PlanName.PRO, 5)])
def test_a_team_member_past_the_owners_plan_is_refused(client_for, plan_name, allowed):
    owner = UserFactory()
    if plan_name:
        SubscriptionFactory(user_id=owner.pk, plan_name=plan_name)
    team = TeamFactory(owner_id=owner.pk)
    TeamMember.objects.bulk_create(
        [
            TeamMember(team=team, user_id=owner.pk, role=TeamRole.OWNER),
            *(TeamMember(team=team, user_id=UserFactory().pk) for _ in range(allowed - 1)),
        ]
    )

    refused = client_for(owner).post(
        f"/api/v1/teams/{team.pk}/members/", {"user_id": str(UserFactory().pk)}, format="json"
    )

    assert refused.status_code == 403
    noun = "team member" if allowed == 1 else "team members"
    tier = "free" if plan_name is None else "pro"
    assert (
        refused.data["detail"]
        == f"The {tier} plan allows {allowed} {noun}; this team has {allowed}."
    )
    assert team.members.count() == allowed


def test_the_plan_shows_tier_limits_and_usage(client_for):
    user = UserFactory()
    SubscriptionFactory(user_id=user.pk, plan_name=PlanName.PROFESSIONAL)
    project = ProjectFactory(owner_id=user.pk)
    ProjectFactory(owner_id=user.pk, status=ProjectStatus.ARCHIVED)
    Specification.objects.create(project=project, key="db", value="postgres")

    plan = client_for(user).get("/api/v1/billing/plan/")

    assert plan.status_code == 200
    assert plan.data == {
        "tier": "pro",
        "plan_names": ["professional"],
        "limits": {
            "projects": 25,
            "specifications": None,
            "team_members": 5,
            "api_requests_per_day": 100_000,
        },
        "usage": {
            "projects": 1,
            "specifications": 1,
            "team_members": 0,
            "api_requests_per_day": 0,
        },
    }


@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_concurrent_creates_at_the_limit_let_exactly_one_through():
    owner_id = uuid.uuid4()
    ProjectFactory.create_batch(2, owner_id=owner_id)
    context = ActivityContext(user_id=owner_id)
    created, refused, failed = [], [], []
    start = threading.Barrier(6)

    def create(n):
        try:
            start.wait()
            created.append(specs_services.create_project(context=context, name=f"race {n}"))
        except PlanLimitReached as refusal:
            refused.append(refusal.message)
        except Exception as error:
            failed.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failed == []
    assert len(created) == 1
    assert refused == ["The free plan allows 3 projects; you have 3."] * 5
    assert Project.objects.filter(owner_id=owner_id).count() == 3
    assert ActivityLog.objects.filter(user_id=owner_id).count() == 1
