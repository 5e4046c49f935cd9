"""Activity: every change in a project, and everything one user did, newest first."""

import pytest

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory, ShareFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_a_projects_activity_lists_its_changes_newest_first(client_for):
    user = UserFactory()
    client = client_for(user)
    project_id = client.post("/api/v1/projects/", {"name": "Idea"}).data["id"]
    client.patch(f"/api/v1/projects/{project_id}/", {"name": "Better idea"}, format="json")
    client.post(f"/api/v1/projects/{project_id}/specifications/", {"key": "db", "value": "pg"})
    client.post("/api/v1/projects/", {"name": "Elsewhere"})

    listed = client.get(f"/api/v1/projects/{project_id}/activity/").data["results"]
    mine = client.get("/api/v1/activity/", {"page_size": 2}).data

    assert [row["action"] for row in listed] == [
        "specification_created",
        "project_updated",
        "project_created",
    ]
    assert [row["action"] for row in mine["results"]] == [
        "project_created",
        "specification_created",
    ]
    assert mine["next"] is not None


def test_project_activity_is_for_those_who_can_see_the_project(client_for):
    project = ProjectFactory()
    viewer = UserFactory()
    ShareFactory(project=project, shared_with_user_id=viewer.pk)
    owner = client_for(User.objects.get(pk=project.owner_id))
    owner.patch(f"/api/v1/projects/{project.pk}/", {"name": "Renamed"}, format="json")
    url = f"/api/v1/projects/{project.pk}/activity/"

    assert len(client_for(viewer).get(url).data["results"]) == 1
    assert client_for(UserFactory()).get(url).status_code == 404
    assert client_for(UserFactory()).get("/api/v1/activity/").data["results"] == []
