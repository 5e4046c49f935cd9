"""The Django admin over projects: the same services, and so the same activity log."""

import pytest

from collaboration.models import ActivityLog
from specs.models import Project, ProjectStatus
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_a_project_added_in_the_admin_is_owned_by_its_creator_and_logged(
    client, signed_in_superuser
):
    response = client.post(
        "/admin/specs/project/add/",
        {"name": "From the admin", "description": "", "current_phase": "design"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(name="From the admin")
    assert project.owner_id == project.creator_id == signed_in_superuser.pk
    assert project.current_phase == "discovery"
    assert ActivityLog.objects.get(resource_id=project.pk).action == "project_created"


def test_the_archive_action_goes_through_the_rules(client, signed_in_superuser):
    active, archived = ProjectFactory(), ProjectFactory(status=ProjectStatus.ARCHIVED)

    client.post(
        "/admin/specs/project/",
        {"action": "archive", "_selected_action": [active.pk, archived.pk]},
    )

    active.refresh_from_db()
    assert active.status == ProjectStatus.ARCHIVED
    assert ActivityLog.objects.filter(action="project_archived").count() == 1


def test_project_pages_open_and_django_groups_are_hidden(client, signed_in_superuser):
    project = ProjectFactory()

    assert client.get("/admin/specs/project/").status_code == 200
    assert client.get(f"/admin/specs/project/{project.pk}/change/").status_code == 200
    assert client.get("/admin/collaboration/activitylog/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 404
