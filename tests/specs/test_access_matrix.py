"""Every route inside a project, every method, every kind of caller.

The table below names the level each operation needs; the schema's project
routes must match it exactly, so a new route fails here until it is given a
level. Invisible projects answer 404, a level too low 403, anonymous 401.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import issue_tokens
from collaboration.models import MemberStatus, ProjectInvitation, SharePermission
from specs.models import (
    Conflict,
    GeneratedFile,
    GeneratedProject,
    QualityMetric,
    Question,
    Session,
    Specification,
)
from specs.selectors import AccessLevel
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory, ShareFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

P = "/api/v1/projects/{project_id}"
REQUIRED_LEVELS = {
    "GET /api/v1/projects/{id}/": AccessLevel.VIEW,
    "PUT /api/v1/projects/{id}/": AccessLevel.EDIT,
    "PATCH /api/v1/projects/{id}/": AccessLevel.EDIT,
    "DELETE /api/v1/projects/{id}/": AccessLevel.OWNER,
    "POST /api/v1/projects/{id}/destroy/": AccessLevel.OWNER,
    "POST /api/v1/projects/{id}/restore/": AccessLevel.OWNER,
    "POST /api/v1/projects/{id}/transfer/": AccessLevel.OWNER,
    "GET /api/v1/projects/{id}/quality/": AccessLevel.VIEW,
    "GET /api/v1/projects/{id}/export/": AccessLevel.VIEW,
    f"GET {P}/shares/": AccessLevel.ADMIN,
    f"POST {P}/shares/": AccessLevel.ADMIN,
    f"GET {P}/shares/{{id}}/": AccessLevel.ADMIN,
    f"PATCH {P}/shares/{{id}}/": AccessLevel.ADMIN,
    f"DELETE {P}/shares/{{id}}/": AccessLevel.ADMIN,
    f"GET {P}/activity/": AccessLevel.VIEW,
    f"GET {P}/generated-projects/": AccessLevel.VIEW,
    f"POST {P}/generated-projects/": AccessLevel.EDIT,
    f"GET {P}/generated-projects/{{id}}/": AccessLevel.VIEW,
    f"PATCH {P}/generated-projects/{{id}}/": AccessLevel.EDIT,
    f"DELETE {P}/generated-projects/{{id}}/": AccessLevel.EDIT,
    f"GET {P}/generated-projects/{{generated_project_id}}/files/": AccessLevel.VIEW,
    f"POST {P}/generated-projects/{{generated_project_id}}/files/": AccessLevel.EDIT,
    f"GET {P}/generated-projects/{{generated_project_id}}/files/{{id}}/": AccessLevel.VIEW,
    f"PATCH {P}/generated-projects/{{generated_project_id}}/files/{{id}}/": AccessLevel.EDIT,
    f"DELETE {P}/generated-projects/{{generated_project_id}}/files/{{id}}/": AccessLevel.EDIT,
    f"GET {P}/quality-metrics/": AccessLevel.VIEW,
    f"POST {P}/quality-metrics/": AccessLevel.EDIT,
    f"GET {P}/quality-metrics/{{id}}/": AccessLevel.VIEW,
    f"DELETE {P}/quality-metrics/{{id}}/": AccessLevel.EDIT,
    f"GET {P}/invitations/": AccessLevel.ADMIN,
    f"POST {P}/invitations/": AccessLevel.ADMIN,
    f"GET {P}/invitations/{{id}}/": AccessLevel.ADMIN,
    f"POST {P}/invitations/{{id}}/revoke/": AccessLevel.ADMIN,
    f"GET {P}/specifications/": AccessLevel.VIEW,
    f"POST {P}/specifications/": AccessLevel.EDIT,
    f"GET {P}/specifications/{{id}}/": AccessLevel.VIEW,
    f"PATCH {P}/specifications/{{id}}/": AccessLevel.EDIT,
    f"GET {P}/questions/": AccessLevel.VIEW,
    f"POST {P}/questions/": AccessLevel.EDIT,
    f"GET {P}/questions/{{id}}/": AccessLevel.VIEW,
    f"PATCH {P}/questions/{{id}}/": AccessLevel.EDIT,
    f"POST {P}/questions/{{id}}/answer/": AccessLevel.EDIT,
    f"GET {P}/conflicts/": AccessLevel.VIEW,
    f"POST {P}/conflicts/": AccessLevel.EDIT,
    f"GET {P}/conflicts/{{id}}/": AccessLevel.VIEW,
    f"PATCH {P}/conflicts/{{id}}/": AccessLevel.EDIT,
    f"POST {P}/conflicts/{{id}}/resolve/": AccessLevel.EDIT,
    f"GET {P}/sessions/": AccessLevel.VIEW,
    f"POST {P}/sessions/": AccessLevel.EDIT,
    f"GET {P}/sessions/{{id}}/": AccessLevel.VIEW,
    f"PATCH {P}/sessions/{{id}}/": AccessLevel.EDIT,
    f"POST {P}/sessions/{{id}}/end/": AccessLevel.EDIT,
    f"GET {P}/sessions/{{session_id}}/messages/": AccessLevel.VIEW,
    f"POST {P}/sessions/{{session_id}}/messages/": AccessLevel.EDIT,
    f"POST {P}/knowledge/reindex/": AccessLevel.EDIT,
}

# Each persona's level on the project; None: the project is invisible to them.
PERSONAS = {
    "stranger": None,
    "expired_share": None,
    "viewer": AccessLevel.VIEW,
    "commenter": AccessLevel.COMMENT,
    "editor": AccessLevel.EDIT,
    "admin_share": AccessLevel.ADMIN,
    "team_member": AccessLevel.EDIT,
    "inactive_team_member": None,
    "owner": AccessLevel.OWNER,
}
SHARES = {
    "viewer": SharePermission.VIEW,
    "commenter": SharePermission.COMMENT,
    "editor": SharePermission.EDIT,
    "admin_share": SharePermission.ADMIN,
}


def project_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/projects/{")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_project_route_has_a_level_in_the_matrix():
    assert project_operations() == set(REQUIRED_LEVELS)


def persona_user(persona: str, project) -> User:
    if persona == "owner":
        return User.objects.get(pk=project.owner_id)
    user = UserFactory()
    if persona in SHARES:
        ShareFactory(project=project, shared_with_user_id=user.pk, permission_level=SHARES[persona])
    elif persona == "expired_share":
        ShareFactory(
            project=project,
            shared_with_user_id=user.pk,
            permission_level=SharePermission.ADMIN,
            expiry_date=timezone.now() - timedelta(seconds=1),
        )
    elif persona in {"team_member", "inactive_team_member"}:
        status = MemberStatus.ACTIVE if persona == "team_member" else MemberStatus.INACTIVE
        member = TeamMemberFactory(user_id=user.pk, status=status)
        ShareFactory(
            project=project, shared_with_team=member.team, permission_level=SharePermission.EDIT
        )
    return user


def url_for(operation: str, project, user: User | None) -> str:
    path = operation.split(" ", 1)[1].replace("{project_id}", str(project.pk))
    if "/shares/{id}" in path:
        other = ShareFactory(project=project, shared_with_user_id=UserFactory().pk)
        return path.replace("{id}", str(other.pk))
    if "/sessions/{" in path:
        session = Session.objects.create(project=project)
        return path.replace("{session_id}", str(session.pk)).replace("{id}", str(session.pk))
    if "/generated-projects/{" in path:
        generated = GeneratedProject.objects.create(project=project, name="api")
        path = path.replace("{generated_project_id}", str(generated.pk))
        if "/files/{id}" in path:
            generated_file = GeneratedFile.objects.create(
                generated_project=generated, path="main.py", filename="main.py"
            )
            return path.replace("{id}", str(generated_file.pk))
        return path.replace("{id}", str(generated.pk))
    if "/quality-metrics/{id}" in path:
        metric = QualityMetric.objects.create(project=project, metric_name="m", metric_value=1)
        return path.replace("{id}", str(metric.pk))
    if "/invitations/{id}" in path:
        # Made by the caller: the inviter (or the owner) may revoke it.
        inviter = user.pk if user else project.owner_id
        invitation = ProjectInvitation.objects.create(
            project=project, invited_by_id=inviter, invited_email="x@example.com"
        )
        return path.replace("{id}", str(invitation.pk))
    if "/questions/{id}" in path:
        question = Question.objects.create(project=project, text="Which database?")
        return path.replace("{id}", str(question.pk))
    if "/conflicts/{id}" in path:
        conflict = Conflict.objects.create(project=project, title="Two databases")
        return path.replace("{id}", str(conflict.pk))
    if "/specifications/{id}" in path:
        spec = Specification.objects.create(project=project, key="database", value="PostgreSQL")
        return path.replace("{id}", str(spec.pk))
    return path.replace("{id}", str(project.pk))


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
@pytest.mark.parametrize("operation", sorted(REQUIRED_LEVELS))
def test_access(operation, persona):
    project = ProjectFactory()
    client, user = APIClient(), None
    if persona != "anonymous":
        user = persona_user(persona, project)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access}")
    method = operation.split(" ", 1)[0].lower()

    response = getattr(client, method)(url_for(operation, project, user), {}, format="json")

    needed, level = REQUIRED_LEVELS[operation], PERSONAS.get(persona)
    if persona == "anonymous":
        assert response.status_code == 401
    elif level is None:
        assert response.status_code == 404, response.data
    elif level < needed:
        assert response.status_code == 403, response.data
        assert f"needs {needed.name.lower()} access" in response.data["detail"]
    else:
        assert response.status_code not in (401, 403, 404), response.data
