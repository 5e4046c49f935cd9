"""Every related field and filter looks values up only within the caller's
reach (socrates.api.reach), and a foreign id is answered as a random one."""

import importlib
import uuid

import pytest
from django.apps import apps
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from accounts.models import User
from socrates.api.reach import registered_models, within_reach
from socrates.api.serializers import ReachLimitedFields
from specs.models import Project, Session
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory, TeamFactory, TeamMemberFactory

PROJECT_APPS = ("accounts", "specs", "collaboration", "billing", "rag", "socrates")


def app_serializers() -> list[type[serializers.BaseSerializer]]:
    for app in PROJECT_APPS:
        importlib.import_module(f"{app}.api.serializers")
    found, pending = [], [serializers.Serializer]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.split(".")[0] in PROJECT_APPS:
                found.append(subclass)
    return found


def related_fields():
    for serializer_class in app_serializers():
        if getattr(serializer_class, "Meta", None) is None and issubclass(
            serializer_class, serializers.ModelSerializer
        ):
            continue  # an abstract base
        for name, field in serializer_class().fields.items():
            relation = getattr(field, "child_relation", field)
            if isinstance(relation, serializers.RelatedField) and not field.read_only:
                yield f"{serializer_class.__name__}.{name}", relation


def test_every_serializer_of_the_apps_limits_related_fields_to_the_callers_reach():
    unlimited = [
        cls.__qualname__ for cls in app_serializers() if not issubclass(cls, ReachLimitedFields)
    ]

    assert len(app_serializers()) > 40
    assert unlimited == []


def test_every_related_field_names_a_model_that_an_app_gave_a_reach():
    named = {name: relation.queryset.model for name, relation in related_fields()}

    assert {"QuestionSerializer.session", "ShareSerializer.shared_with_team"} <= set(named)
    assert {name: model for name, model in named.items() if model not in registered_models()} == {}


@pytest.mark.django_db(databases=["auth", "specs"])
def test_without_a_reach_a_model_offers_nothing_and_anonymous_callers_nothing():
    ProjectFactory()
    request = APIRequestFactory().get("/")
    request.user = UserFactory()
    anonymous = APIRequestFactory().get("/")

    assert Project not in registered_models()
    assert list(within_reach(Project, request)) == []
    assert list(within_reach(Session, anonymous)) == []
    assert apps.get_model("specs", "Session") in registered_models()


# Existence oracles: a foreign id and a random one get the same answer ------------------


@pytest.fixture
def project():
    return ProjectFactory()


@pytest.fixture
def owner(project, client_for):
    return client_for(User.objects.get(pk=project.owner_id))


def same_refusal(send, field: str, foreign_id, random_id) -> dict:
    """Both ids are refused with a 400 naming ``field``, in the same words."""
    foreign, random = send(foreign_id), send(random_id)

    assert (foreign.status_code, random.status_code) == (400, 400), (foreign.data, random.data)
    assert field in foreign.data["fields"]
    masked = str(foreign.data).replace(str(foreign_id), "<id>")
    assert masked == str(random.data).replace(str(random_id), "<id>")
    return foreign.data


@pytest.mark.django_db(databases=["auth", "specs"])
def test_a_foreign_session_in_a_filter_is_refused_as_a_random_one(owner, project):
    foreign = Session.objects.create(project=ProjectFactory())
    url = f"/api/v1/projects/{project.pk}/questions/"

    same_refusal(
        lambda value: owner.get(url, {"session": value}), "session", foreign.pk, uuid.uuid4()
    )


@pytest.mark.django_db(databases=["auth", "specs"])
def test_a_foreign_session_in_a_body_is_refused_as_a_random_one(owner, project):
    foreign = Session.objects.create(project=ProjectFactory())
    url = f"/api/v1/projects/{project.pk}/questions/"

    def ask(value):
        return owner.post(url, {"text": "Which database?", "session": str(value)}, format="json")

    refusal = same_refusal(ask, "session", foreign.pk, uuid.uuid4())
    assert "does not exist" in str(refusal["fields"]["session"])


@pytest.mark.django_db(databases=["auth", "specs"])
def test_a_share_to_a_foreign_team_is_refused_as_one_to_a_random_id(owner, project):
    foreign = TeamFactory()
    url = f"/api/v1/projects/{project.pk}/shares/"

    def share(value):
        return owner.post(
            url, {"shared_with_team": str(value), "permission_level": "view"}, format="json"
        )

    refusal = same_refusal(share, "shared_with_team", foreign.pk, uuid.uuid4())
    assert "does not exist" in str(refusal["fields"]["shared_with_team"])


@pytest.mark.django_db(databases=["auth", "specs"])
def test_a_share_to_a_team_the_caller_belongs_to_is_made(owner, project):
    team = TeamFactory(owner_id=project.owner_id)
    TeamMemberFactory(team=team, user_id=project.owner_id)

    response = owner.post(
        f"/api/v1/projects/{project.pk}/shares/",
        {"shared_with_team": str(team.pk), "permission_level": "view"},
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["shared_with_team"] == team.pk
