"""The hot serializers' fast representation is DRF's own, field for field."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from rag.api.serializers import SearchHitSerializer
from rag.selectors import search_chunks
from socrates.api.serializers import LeanModelSerializer
from specs.api.serializers import MessageSerializer, ProjectSerializer, SpecificationSerializer
from specs.models import ConversationMessage, Project, Session, Specification
from tests.rag.factories import DocumentFactory
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def drf(serializer, instance) -> dict:
    return serializers.ModelSerializer.to_representation(serializer, instance)


def assert_same_as_drf(serializer_class, instances):
    serializer = serializer_class(instances, many=True)
    assert serializer.data == [drf(serializer.child, instance) for instance in instances]
    assert issubclass(serializer_class, LeanModelSerializer)


def test_projects_with_empty_and_full_columns():
    ProjectFactory(description=None, maturity_score=None, metadata=None)
    ProjectFactory(maturity_score=40, metadata={"tags": ["a"], "n": 1.5})

    assert_same_as_drf(ProjectSerializer, list(Project.objects.all()))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_datetimes_follow_the_current_time_zone(zone):
    ProjectFactory()
    with django_timezone.override(zone):
        assert_same_as_drf(ProjectSerializer, list(Project.objects.all()))


def test_a_datetime_set_in_another_zone_and_a_naive_one():
    project = ProjectFactory()
    project.updated_at = datetime(2026, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=-3)))
    naive = ProjectFactory()
    naive.created_at = datetime(2026, 5, 1, 12, 30)

    assert_same_as_drf(ProjectSerializer, [project, naive])


def test_specifications_with_versions_and_foreign_keys():
    project = ProjectFactory()
    Specification.objects.create(project=project, key="db", value=None, confidence=None)
    Specification.objects.create(
        project=project,
        key="db",
        value="PostgreSQL",
        version=2,
        is_current=False,
        superseded_at=datetime(2026, 1, 2, tzinfo=UTC),
        superseded_by="x",
        confidence=0.25,
        metadata={"why": ["tested"]},
    )

    assert_same_as_drf(SpecificationSerializer, list(Specification.objects.all()))


def test_messages():
    session = Session.objects.create(project=ProjectFactory())
    ConversationMessage.objects.create(session=session, role="user", content="Hi")
    ConversationMessage.objects.create(
        session=session,
        role="assistant",
        content="Why?",
        message_type="question",
        tokens_used=7,
        metadata={"k": "v"},
    )

    assert_same_as_drf(MessageSerializer, list(ConversationMessage.objects.all()))


def test_search_hits_with_annotations():
    DocumentFactory(content="# Deployment\n\nBlue green releases.\n\nDeployment again.")
    hits = list(search_chunks(user_id=ProjectFactory().owner_id, query="deployment", limit=5))

    assert hits
    assert_same_as_drf(SearchHitSerializer, hits)


def test_fields_built_once_are_copied_so_one_serializer_cannot_change_anothers():
    creating = ProjectSerializer()
    changing = ProjectSerializer(ProjectFactory())

    assert creating.fields["current_phase"].read_only
    assert not changing.fields["current_phase"].read_only
    assert ProjectSerializer().fields["current_phase"].read_only
    assert creating.fields["name"] is not changing.fields["name"]
