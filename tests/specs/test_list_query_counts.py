"""Each list runs a constant number of SQL queries, whatever the page size."""

import pytest

from accounts.models import User
from collaboration.models import NotificationPreference, ProjectShare, TeamMember
from specs.models import Conflict, ConversationMessage, Project, Question, Session, Specification
from tests.accounts.factories import UserFactory
from tests.queries import list_queries
from tests.specs.factories import ProjectFactory, TeamFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

ROWS = 120


@pytest.fixture
def world():
    """One owner with ROWS of everything a list can show."""
    project = ProjectFactory()
    owner = User.objects.get(pk=project.owner_id)
    Project.objects.bulk_create(
        Project(name=f"p{n}", owner_id=owner.pk, user_id=owner.pk, creator_id=owner.pk)
        for n in range(ROWS)
    )
    session = Session.objects.create(project=project)
    Session.objects.bulk_create(Session(project=project) for _ in range(ROWS))
    ConversationMessage.objects.bulk_create(
        ConversationMessage(session=session, role="user", content=f"m{n}") for n in range(ROWS)
    )
    Specification.objects.bulk_create(
        Specification(project=project, key=f"k{n}") for n in range(ROWS)
    )
    Question.objects.bulk_create(Question(project=project, text=f"q{n}") for n in range(ROWS))
    Conflict.objects.bulk_create(Conflict(project=project, title=f"c{n}") for n in range(ROWS))
    ProjectShare.objects.bulk_create(
        ProjectShare(
            project=project,
            shared_with_user_id=user.pk,
            shared_by_id=owner.pk,
            access_type="shared_user",
        )
        for user in UserFactory.create_batch(ROWS)
    )
    team = TeamFactory(owner_id=owner.pk)
    TeamMember.objects.create(team=team, user_id=owner.pk, role="owner")
    TeamMember.objects.bulk_create(
        TeamMember(team=team, user_id=user.pk) for user in UserFactory.create_batch(ROWS)
    )
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user_id=owner.pk, notification_type=f"t{n}") for n in range(ROWS)
    )
    return owner, project, session, team


def list_urls(project, session, team) -> dict[str, str]:
    inside = f"/api/v1/projects/{project.pk}"
    return {
        "projects": "/api/v1/projects/",
        "specifications": f"{inside}/specifications/",
        "sessions": f"{inside}/sessions/",
        "messages": f"{inside}/sessions/{session.pk}/messages/",
        "questions": f"{inside}/questions/",
        "conflicts": f"{inside}/conflicts/",
        "shares": f"{inside}/shares/",
        "teams": "/api/v1/teams/",
        "team members": f"/api/v1/teams/{team.pk}/members/",
        "notification preferences": "/api/v1/notification-preferences/",
    }


def test_every_list_costs_the_same_queries_at_page_size_10_and_100(world, client_for, capsys):
    owner, project, session, team = world
    client = client_for(owner)

    # Full pages, but for teams: the owner belongs to one.
    rows = {"teams": 1}
    counts = {
        name: (
            list_queries(client, url, page_size=10, rows=rows.get(name)),
            list_queries(client, url, page_size=100, rows=rows.get(name)),
        )
        for name, url in list_urls(project, session, team).items()
    }

    with capsys.disabled():
        for name, (small, large) in counts.items():
            print(f"\nlist queries: {name}: {small} at page size 10, {large} at 100", end="")
    assert all(small == large for small, large in counts.values()), counts
    assert max(large for _, large in counts.values()) <= 6, counts
