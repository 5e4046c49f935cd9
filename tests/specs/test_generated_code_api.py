"""Generated code: a project's file and line counts follow its files."""

import pytest

from accounts.models import User
from specs.models import GeneratedProject, QualityMetric
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_file_and_line_counts_follow_the_files(client_for):
    project = ProjectFactory()
    owner = client_for(User.objects.get(pk=project.owner_id))
    base = f"/api/v1/projects/{project.pk}/generated-projects/"
    generated = owner.post(base, {"name": "api", "language": "python"}).data
    files = f"{base}{generated['id']}/files/"

    main = owner.post(files, {"path": "app/main.py", "content": "a\nb\nc\n"}).data
    owner.post(files, {"path": "README.md", "content": "# api\n"})
    duplicate = owner.post(files, {"path": "README.md", "content": ""})
    owner.patch(f"{files}{main['id']}/", {"content": "a\n"}, format="json")
    readme = owner.get(files, {"search": "README"}).data["results"][0]
    owner.delete(f"{files}{readme['id']}/")

    assert main["filename"] == "main.py"
    assert main["lines_of_code"] == 3
    assert duplicate.status_code == 409
    counted = GeneratedProject.objects.get(pk=generated["id"])
    assert (counted.file_count, counted.total_lines_of_code) == (1, 1)


def test_files_of_another_projects_generated_code_are_not_found(client_for):
    project, other = ProjectFactory(), ProjectFactory()
    foreign = GeneratedProject.objects.create(project=other, name="x")
    owner = client_for(User.objects.get(pk=project.owner_id))

    url = f"/api/v1/projects/{project.pk}/generated-projects/{foreign.pk}/files/"

    assert owner.get(url).status_code == 404


def test_quality_metrics_are_recorded_with_their_time(client_for):
    project = ProjectFactory()
    owner = client_for(User.objects.get(pk=project.owner_id))

    response = owner.post(
        f"/api/v1/projects/{project.pk}/quality-metrics/",
        {"metric_name": "coverage", "metric_value": 0.5},
    )

    assert response.status_code == 201, response.data
    assert QualityMetric.objects.get().measured_at is not None


def test_a_file_name_too_long_for_its_column_is_a_400_naming_the_path(client_for):
    project = ProjectFactory()
    owner = client_for(User.objects.get(pk=project.owner_id))
    generated = GeneratedProject.objects.create(project=project, name="api")

    response = owner.post(
        f"/api/v1/projects/{project.pk}/generated-projects/{generated.pk}/files/",
        {"path": "src/" + "x" * 300},
    )

    assert (response.status_code, list(response.data["fields"])) == (400, ["path"])
