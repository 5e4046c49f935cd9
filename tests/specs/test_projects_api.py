"""Projects over REST: ownership, archive and restore, transfer, access by shares and teams."""

from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from collaboration.models import ActivityLog, MemberStatus, ProjectShare, SharePermission
from specs.models import Project, ProjectStatus
from specs.selectors import AccessLevel, access_level, visible_projects
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory, ShareFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

API = "/api/v1/projects"


def test_a_new_project_belongs_to_its_creator_whatever_the_body_says(client_for):
    user, other = UserFactory(), UserFactory()

    response = client_for(user).post(
        f"{API}/",
        {"name": "Idea", "owner_id": str(other.pk), "status": "archived"},
        format="json",
    )

    assert response.status_code == 201, response.data
    project = Project.objects.get(pk=response.data["id"])
    assert project.owner_id == project.creator_id == project.user_id == user.pk
    assert (project.status, project.current_phase) == ("active", "discovery")
    assert ActivityLog.objects.get(resource_id=project.pk).action == "project_created"


@pytest.mark.parametrize(("body", "field"), [({"name": ""}, "name"), ({"name": "x" * 256}, "name")])
def test_bad_project_input_names_the_field(client_for, body, field):
    response = client_for(UserFactory()).post(f"{API}/", body, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == [field]


def test_a_stranger_gets_404_and_a_viewer_403_naming_the_level(client_for):
    project = ProjectFactory()
    viewer = UserFactory()
    ShareFactory(project=project, shared_with_user_id=viewer.pk)

    assert client_for(UserFactory()).get(f"{API}/{project.pk}/").status_code == 404
    assert client_for(viewer).get(f"{API}/{project.pk}/").status_code == 200
    refused = client_for(viewer).patch(f"{API}/{project.pk}/", {"name": "Mine"}, format="json")
    assert refused.status_code == 403
    assert refused.data["detail"] == "This needs edit access; you have view."


def test_levels_come_from_the_best_unexpired_share_or_team_membership():
    project = ProjectFactory()
    direct, via_team, lapsed, inactive, both = (UserFactory() for _ in range(5))
    ShareFactory(
        project=project, shared_with_user_id=direct.pk, permission_level=SharePermission.EDIT
    )
    member = TeamMemberFactory(user_id=via_team.pk)
    TeamMemberFactory(team=member.team, user_id=both.pk)
    ShareFactory(project=project, shared_with_user_id=both.pk)
    TeamMemberFactory(team=member.team, user_id=inactive.pk, status=MemberStatus.INACTIVE)
    ShareFactory(
        project=project, shared_with_team=member.team, permission_level=SharePermission.ADMIN
    )
    ShareFactory(
        project=project,
        shared_with_user_id=lapsed.pk,
        permission_level=SharePermission.ADMIN,
        expiry_date=timezone.now() - timedelta(minutes=1),
    )

    assert access_level(project.owner_id, project.pk) == AccessLevel.OWNER
    assert access_level(direct.pk, project.pk) == AccessLevel.EDIT
    assert access_level(via_team.pk, project.pk) == AccessLevel.ADMIN
    # A view share of their own and an admin share to their team: the highest.
    assert access_level(both.pk, project.pk) == AccessLevel.ADMIN
    assert access_level(lapsed.pk, project.pk) is None
    assert access_level(inactive.pk, project.pk) is None
    for user in (direct, via_team):
        assert list(visible_projects(user.pk)) == [project]
    for user in (lapsed, inactive):
        assert not visible_projects(user.pk).exists()


def test_the_visible_projects_are_one_sql_statement():
    user = UserFactory()
    ProjectFactory(owner_id=user.pk)
    ShareFactory(shared_with_user_id=user.pk)
    ShareFactory(shared_with_team=TeamMemberFactory(user_id=user.pk).team)

    with CaptureQueriesContext(connections["specs"]) as queries:
        assert len(list(visible_projects(user.pk))) == 3

    assert len(queries) == 1


def test_one_project_is_read_with_its_access_check_in_one_query(client_for):
    project = ProjectFactory()
    member = TeamMemberFactory()
    ShareFactory(project=project, shared_with_team=member.team)

    with CaptureQueriesContext(connections["specs"]) as queries:
        response = client_for(User.objects.get(pk=member.user_id)).get(f"{API}/{project.pk}/")

    assert response.status_code == 200
    assert response.data["id"] == str(project.pk)
    assert len(queries) == 1


def test_a_project_found_by_its_id_ignores_the_list_filters(client_for):
    project = ProjectFactory()

    response = client_for(_owner(project)).get(f"{API}/{project.pk}/?status=archived")

    assert (response.status_code, response.data["status"]) == (200, "active")


def test_the_project_list_pages_carry_the_total_found_with_them(client_for):
    owner = UserFactory()
    for n in range(5):
        ProjectFactory(owner_id=owner.pk, user_id=owner.pk, creator_id=owner.pk, name=f"p{n}")
    client = client_for(owner)

    with CaptureQueriesContext(connections["specs"]) as queries:
        first = client.get(f"{API}/", {"page_size": 2})
    # Read now: the next request clears the connection's query log.
    assert len(queries) == 1
    last = client.get(f"{API}/", {"page_size": 2, "page": 3})
    beyond = client.get(f"{API}/", {"page_size": 2, "page": 4})
    nothing = client_for(UserFactory()).get(f"{API}/")

    assert (first.data["count"], len(first.data["results"]), first.data["previous"]) == (5, 2, None)
    assert first.data["next"].endswith("page=2&page_size=2")
    assert (last.data["count"], [p["name"] for p in last.data["results"]]) == (5, ["p0"])
    assert last.data["next"] is None
    assert beyond.status_code == 404
    assert (nothing.status_code, nothing.data["count"], nothing.data["results"]) == (200, 0, [])


def test_delete_archives_restore_brings_back_and_destroy_needs_archived(client_for):
    project = ProjectFactory()
    client = client_for(_owner(project))

    assert client.post(f"{API}/{project.pk}/destroy/").status_code == 409
    archived = client.delete(f"{API}/{project.pk}/")
    assert (archived.status_code, archived.data["status"]) == (200, "archived")
    assert client.delete(f"{API}/{project.pk}/").status_code == 409
    restored = client.post(f"{API}/{project.pk}/restore/")
    assert (restored.status_code, restored.data["status"]) == (200, "active")
    client.delete(f"{API}/{project.pk}/")
    assert client.post(f"{API}/{project.pk}/destroy/").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    actions = set(
        ActivityLog.objects.filter(resource_id=project.pk).values_list("action", flat=True)
    )
    assert actions == {"project_archived", "project_restored", "project_destroyed"}


def _owner(project):
    return User.objects.get(pk=project.owner_id)


def test_transfer_moves_ownership_and_leaves_the_old_owner_an_admin_share(client_for):
    project = ProjectFactory()
    old_owner, new_owner = _owner(project), UserFactory()

    response = client_for(old_owner).post(
        f"{API}/{project.pk}/transfer/", {"user_id": str(new_owner.pk)}, format="json"
    )

    assert response.status_code == 200, response.data
    project.refresh_from_db()
    assert project.owner_id == project.user_id == new_owner.pk
    assert project.creator_id == old_owner.pk
    assert access_level(old_owner.pk, project.pk) == AccessLevel.ADMIN
    assert client_for(old_owner).post(f"{API}/{project.pk}/transfer/", {}).status_code == 403


def test_transfer_to_no_active_user_names_the_field(client_for):
    project = ProjectFactory()
    suspended = UserFactory(status="suspended")

    response = client_for(_owner(project)).post(
        f"{API}/{project.pk}/transfer/", {"user_id": str(suspended.pk)}, format="json"
    )

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["user_id"]
    project.refresh_from_db()
    assert project.owner_id != suspended.pk


def test_shares_are_managed_with_admin_access_and_validated(client_for):
    project = ProjectFactory()
    owner, reader = client_for(_owner(project)), UserFactory()

    unknown = owner.post(
        f"{API}/{project.pk}/shares/",
        {"shared_with_user_id": str(UserFactory(is_active=False).pk), "permission_level": "view"},
        format="json",
    )
    shared = owner.post(
        f"{API}/{project.pk}/shares/",
        {"shared_with_user_id": str(reader.pk), "permission_level": "view"},
        format="json",
    )

    assert unknown.status_code == 400
    assert list(unknown.data["fields"]) == ["shared_with_user_id"]
    assert shared.status_code == 201, shared.data
    assert shared.data["access_type"] == "shared_user"
    assert client_for(reader).get(f"{API}/{project.pk}/shares/").status_code == 403
    assert ActivityLog.objects.filter(action="share_created").count() == 1
    share = ProjectShare.objects.get()
    assert owner.delete(f"{API}/{project.pk}/shares/{share.pk}/").status_code == 204
    assert client_for(reader).get(f"{API}/{project.pk}/").status_code == 404


def test_the_project_list_shows_owned_shared_and_team_shared_projects_only(client_for):
    user = UserFactory()
    owned = ProjectFactory(owner_id=user.pk)
    shared = ShareFactory(shared_with_user_id=user.pk).project
    team_shared = ShareFactory(shared_with_team=TeamMemberFactory(user_id=user.pk).team).project
    ProjectFactory()

    response = client_for(user).get(f"{API}/")

    assert response.status_code == 200
    assert {row["id"] for row in response.data["results"]} == {
        str(owned.pk),
        str(shared.pk),
        str(team_shared.pk),
    }
    assert response.data["results"][0]["status"] == ProjectStatus.ACTIVE


def test_a_project_is_shared_once_per_user(client_for):
    project = ProjectFactory()
    owner, reader = client_for(_owner(project)), UserFactory()
    body = {"shared_with_user_id": str(reader.pk), "permission_level": "view"}

    first = owner.post(f"{API}/{project.pk}/shares/", body, format="json")
    second = owner.post(f"{API}/{project.pk}/shares/", body, format="json")

    assert (first.status_code, second.status_code) == (201, 409)
    assert ProjectShare.objects.count() == 1
