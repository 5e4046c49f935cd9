"""Activity: every change in a project, and everything one user did, newest first."""

import pytest

from accounts.models import User
from collaboration.models import ProjectShare
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


def share_via_api(client, project_id, user, level):
    return client.post(
        f"/api/v1/projects/{project_id}/shares/",
        {"shared_with_user_id": str(user.pk), "permission_level": level},
        format="json",
    )


def test_sharing_rows_name_people_and_levels_only_to_those_who_may_list_shares(client_for):
    project = ProjectFactory()
    viewer, admin, guest = UserFactory(), UserFactory(), UserFactory()
    ShareFactory(project=project, shared_with_user_id=viewer.pk, permission_level="view")
    ShareFactory(project=project, shared_with_user_id=admin.pk, permission_level="admin")
    owner = client_for(User.objects.get(pk=project.owner_id))
    assert share_via_api(owner, project.pk, guest, "edit").status_code == 201
    invited = owner.post(
        f"/api/v1/projects/{project.pk}/invitations/",
        {"invited_user_id": str(UserFactory().pk)},
        format="json",
    )
    assert invited.status_code == 201
    url = f"/api/v1/projects/{project.pk}/activity/"

    seen_by_viewer = client_for(viewer).get(url).data["results"]
    seen_by_admin = client_for(admin).get(url).data["results"]

    assert [row["action"] for row in seen_by_viewer] == ["invitation_created", "share_created"]
    assert [row["changes"] for row in seen_by_viewer] == [{"project_id": str(project.pk)}] * 2
    assert str(guest.pk) not in str(seen_by_viewer)
    assert seen_by_admin[1]["changes"]["after"]["shared_with_user_id"] == str(guest.pk)
    assert seen_by_admin[1]["changes"]["after"]["permission_level"] == "edit"


def test_my_activity_names_people_only_in_projects_whose_shares_i_may_still_list(client_for):
    project = ProjectFactory()
    manager, guest = UserFactory(), UserFactory()
    share = ShareFactory(project=project, shared_with_user_id=manager.pk, permission_level="admin")
    mine = client_for(manager)
    assert share_via_api(mine, project.pk, guest, "edit").status_code == 201

    while_admin = mine.get("/api/v1/activity/").data["results"]
    ProjectShare.objects.filter(pk=share.pk).update(permission_level="view")
    once_viewer = mine.get("/api/v1/activity/").data["results"]

    assert while_admin[0]["changes"]["after"]["shared_with_user_id"] == str(guest.pk)
    assert once_viewer[0]["action"] == "share_created"
    assert once_viewer[0]["changes"] == {"project_id": str(project.pk)}
