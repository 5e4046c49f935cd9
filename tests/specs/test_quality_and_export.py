"""A project's quality (BEHAVIOUR.md's formula) and its specification as one document."""

import pytest

from accounts.models import User
from collaboration.services import ActivityContext
from specs import services
from specs.models import Specification
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def owner_client(client_for, project):
    return client_for(User.objects.get(pk=project.owner_id))


def write(project, key, category, confidence, value="x"):
    return services.write_specification(
        context=ActivityContext(user_id=project.owner_id),
        project=project,
        key=key,
        category=category,
        confidence=confidence,
        value=value,
    )


def test_quality_follows_the_formula_over_current_specifications(client_for):
    project = ProjectFactory(maturity_score=50)
    write(project, "vision", "goals", 0.9)
    write(project, "api", "requirements", 0.5)
    write(project, "api", "requirements", 0.7)  # supersedes 0.5
    write(project, "stack", "tech_stack", 0.8)
    write(project, "colour", "design", 0.6)  # not a core category, still counted in confidence

    response = owner_client(client_for, project).get(f"/api/v1/projects/{project.pk}/quality/")

    assert response.status_code == 200
    coverage, confidence, completeness = 3 / 6, (0.9 + 0.7 + 0.8 + 0.6) / 4, 0.5
    assert response.data["coverage"] == pytest.approx(coverage, abs=1e-4)
    assert response.data["confidence"] == pytest.approx(confidence, abs=1e-4)
    assert response.data["overall"] == pytest.approx(
        0.4 * coverage + 0.4 * confidence + 0.2 * completeness, abs=1e-4
    )
    readiness = 0.35 * coverage + 0.35 * confidence + 0.30 * completeness
    assert response.data["readiness"] == pytest.approx(readiness, abs=1e-4)
    assert response.data["ready"] is False
    assert response.data["missing_categories"] == ["constraints", "testing", "deployment"]


def test_a_fully_specified_mature_project_is_ready(client_for):
    project = ProjectFactory(maturity_score=80)
    for category in ("goals", "requirements", "tech_stack", "constraints", "testing"):
        write(project, category, category, 0.9)

    data = owner_client(client_for, project).get(f"/api/v1/projects/{project.pk}/quality/").data

    assert data["coverage"] == pytest.approx(5 / 6, abs=1e-4)
    assert data["ready"] is True


def test_export_is_markdown_grouped_by_category_with_versions_and_confidence(client_for):
    project = ProjectFactory(name="Socrates", description="Ideas into specifications.")
    write(project, "database", "tech_stack", 0.5, "SQLite")
    write(project, "database", "tech_stack", 0.95, "PostgreSQL 18")
    write(project, "vision", "goals", 0.8, "Guided questions")

    response = owner_client(client_for, project).get(f"/api/v1/projects/{project.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    document = response.content.decode()
    assert document.startswith("# Socrates\n\nIdeas into specifications.\n")
    assert "## Goals\n\n- **vision** (v1, confidence 0.80): Guided questions" in document
    assert "## Tech stack\n\n- **database** (v2, confidence 0.95): PostgreSQL 18" in document
    assert "SQLite" not in document
    assert document.index("## Goals") < document.index("## Tech stack")


def test_export_as_json_lists_the_current_versions(client_for):
    project = ProjectFactory()
    write(project, "database", "tech_stack", 0.9, "PostgreSQL")

    response = owner_client(client_for, project).get(
        f"/api/v1/projects/{project.pk}/export/", {"format": "json"}
    )

    assert response.status_code == 200
    (group,) = response.json()["categories"]
    assert group["category"] == "tech_stack"
    assert [(s["key"], s["version"]) for s in group["specifications"]] == [("database", 1)]
    assert Specification.objects.count() == 1
