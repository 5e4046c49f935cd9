"""The projects a user can see: one SQL statement, served by indexes."""

import uuid

import pytest
from django.db import connections

from collaboration.models import AccessType, ProjectShare, Team, TeamMember
from specs.models import Project
from specs.selectors import visible_projects

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

PROJECTS = 10_000
OWNERS = 200


@pytest.fixture
def reader():
    """A user who owns some projects, has others shared and others through a team,
    among 10,000 projects of 200 owners."""
    reader = uuid.uuid4()
    owners = [reader, *(uuid.uuid4() for _ in range(OWNERS - 1))]
    projects = Project.objects.bulk_create(
        Project(name=f"p{n}", owner_id=owners[n % OWNERS], user_id=owners[n % OWNERS],
                creator_id=owners[n % OWNERS])
        for n in range(PROJECTS)
    )  # fmt: skip
    teams = Team.objects.bulk_create(
        Team(name=f"t{n}", owner_id=owners[n]) for n in range(1, OWNERS)
    )
    TeamMember.objects.bulk_create(
        TeamMember(team=team, user_id=user)
        for team in teams
        for user in (team.owner_id, *(uuid.uuid4() for _ in range(4)))
    )
    TeamMember.objects.bulk_create(TeamMember(team=team, user_id=reader) for team in teams[:3])
    shares = [
        ProjectShare(
            project=project,
            shared_with_user_id=uuid.uuid4(),
            shared_by_id=project.owner_id,
            access_type=AccessType.SHARED_USER,
        )
        for project in projects[1::3]
    ]
    shares += [
        ProjectShare(
            project=projects[n],
            shared_with_user_id=reader,
            shared_by_id=projects[n].owner_id,
            access_type=AccessType.SHARED_USER,
        )
        for n in range(1, 40)
    ]
    shares += [
        ProjectShare(
            project=projects[n],
            shared_with_team=teams[n % len(teams)],
            shared_by_id=projects[n].owner_id,
            access_type=AccessType.SHARED_TEAM,
        )
        for n in range(2, PROJECTS, 7)
    ]
    ProjectShare.objects.bulk_create(shares)
    with connections["specs"].cursor() as cursor:
        for table in ("projects", "project_shares", "teams", "team_members"):
            cursor.execute(f"ANALYZE {table}")
    return reader


def test_the_visible_projects_plan_reads_indexes_not_whole_tables(reader, capsys):
    plan = visible_projects(reader).explain(analyze=True)

    with capsys.disabled():
        print(f"\nvisible projects of one user among {PROJECTS} projects:\n{plan}")
    # Each way to see a project is an index lookup, and each project found is
    # fetched by its primary key: nothing reads a whole table.
    for column_index in _indexes_named(
        (Project, "owner_id"),
        (ProjectShare, "shared_with_user_id"),
        (ProjectShare, "shared_with_team"),
        (TeamMember, "user_id"),
    ):
        assert f"Index Scan on {column_index}" in plan, column_index
    assert "Index Scan using projects_pkey" in plan
    assert "Seq Scan" not in plan
    assert "Seq Scan on team_members" not in plan


def _indexes_named(*model_columns) -> list[str]:
    return [
        next(index.name for index in model._meta.indexes if index.fields == [column])
        for model, column in model_columns
    ]
