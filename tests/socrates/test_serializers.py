"""The hot serializers' fast representation is DRF's own, field for field."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.urls import get_resolver
from django.utils import timezone as django_timezone
from rest_framework import serializers

from rag.api.serializers import SearchHitSerializer
from rag.selectors import search_chunks
from socrates.api.serializers import LeanModelSerializer, StrictJSONTypes
from specs.api.serializers import MessageSerializer, ProjectSerializer, SpecificationSerializer
from specs.models import ConversationMessage, Project, Session, Specification
from tests.rag.factories import DocumentFactory
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def drf(serializer, instance) -> dict:
    return serializers.ModelSerializer.to_representation(serializer, instance)


def assert_same_as_drf(serializer_class, instances):
    serializer = serializer_class(instances, many=True)
    expected = [drf(serializer.child, instance) for instance in instances]
    assert serializer.data == expected
    assert issubclass(serializer_class, LeanModelSerializer)
    if columns := serializer_class.read_columns():
        # A list reads its page as .values() rows, rendered as the instances are.
        stored = serializer_class.Meta.model.objects.filter(pk__in=[i.pk for i in instances])
        rows = list(stored.order_by("pk").values(*columns))
        assert serializer_class(rows, many=True).data == [
            drf(serializer.child, instance) for instance in stored.order_by("pk")
        ]


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


def lean_serializer_classes(base=LeanModelSerializer):
    for subclass in base.__subclasses__():
        yield subclass
        yield from lean_serializer_classes(subclass)


@pytest.mark.parametrize("serializer_class", list(lean_serializer_classes()), ids=str)
def test_a_serializer_reads_the_same_fields_whatever_its_instance(serializer_class):
    creating = serializer_class()
    changing = serializer_class(instance=object(), partial=True)

    zone = django_timezone.get_current_timezone()
    plans = [
        [
            (name, attribute, getattr(converter, "__qualname__", None))
            for name, attribute, converter in s._build_plan(zone)
        ]
        for s in (creating, changing)
    ]
    assert plans[0] == plans[1]


def test_a_page_of_plain_columns_is_rendered_without_copying_fields():
    ProjectFactory()
    serializer = ProjectSerializer(list(Project.objects.all()), many=True)

    assert serializer.data[0]["id"]
    assert "fields" not in serializer.child.__dict__


def project_serializer_classes(base=serializers.Serializer):
    for subclass in base.__subclasses__():
        if subclass.__module__.split(".")[0] in PROJECT_PACKAGES:
            yield subclass
        yield from project_serializer_classes(subclass)


PROJECT_PACKAGES = {"socrates", "accounts", "specs", "collaboration", "billing", "rag"}


def test_every_serializer_of_the_project_keeps_json_types():
    # Every route's views, and so every serializer they use, are imported.
    get_resolver().url_patterns  # noqa: B018
    loose = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in project_serializer_classes()
        if not issubclass(cls, StrictJSONTypes)
    ]

    assert loose == []
