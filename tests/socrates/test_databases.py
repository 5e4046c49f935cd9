"""The router, the dummy "default" alias and the masked URLs."""

import re

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router

from accounts.models import User
from socrates.databases import APP_DATABASES, DatabaseRouter, masked_url
from specs.models import Project


def models_of(alias: str):
    return [model for model in apps.get_models() if router.db_for_read(model) == alias]


@pytest.mark.parametrize(
    ("alias", "app_labels"),
    [
        (
            "auth",
            {"accounts", "admin", "auth", "contenttypes", "sessions", "django_celery_results"},
        ),
        ("specs", {"specs", "collaboration", "billing", "rag"}),
    ],
)
def test_each_model_reads_and_writes_in_its_apps_database(alias, app_labels):
    routed = models_of(alias)

    assert {model._meta.app_label for model in routed} == app_labels
    assert all(router.db_for_write(model) == alias for model in routed)


def test_every_installed_model_is_routed_to_one_database():
    unrouted = [model for model in apps.get_models() if router.db_for_read(model) is None]

    assert unrouted == []


def test_each_database_may_migrate_only_its_own_apps():
    for alias, app_labels in APP_DATABASES.items():
        other = next(a for a in APP_DATABASES if a != alias)
        for app_label in app_labels:
            assert router.allow_migrate(alias, app_label)
            assert not router.allow_migrate(other, app_label)
            assert not router.allow_migrate("default", app_label)


def test_unknown_app_migrates_nowhere():
    assert not DatabaseRouter().allow_migrate("auth", "someone_elses_app")
    assert not DatabaseRouter().allow_migrate("specs", "someone_elses_app")


def test_relations_across_databases_are_refused_and_within_one_allowed():
    user, other_user = User(email="a@example.com"), User(email="b@example.com")
    project = Project(name="p")

    assert router.allow_relation(user, other_user) is True
    assert router.allow_relation(user, project) is False


def test_the_default_alias_cannot_be_used_by_accident():
    # Django's dummy backend raises on any use: nothing silently lands there.
    with pytest.raises(ImproperlyConfigured, match=re.escape("settings.DATABASES is improperly")):
        connections["default"].ensure_connection()


def table_count(alias: str, table: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def table_exists(alias: str, table: str) -> bool:
    return table in connections[alias].introspection.table_names()


@pytest.mark.django_db(databases=["auth", "specs"])
def test_rows_written_through_the_orm_land_in_their_own_database():
    user = User.objects.create_user(email="owner@example.com", password="Correct-Horse-9")
    Project.objects.create(name="Idea", user_id=user.pk, creator_id=user.pk, owner_id=user.pk)

    assert table_count("auth", "users") == 1
    assert table_count("specs", "projects") == 1
    assert not table_exists("specs", "users")
    assert not table_exists("auth", "projects")


@pytest.mark.parametrize(
    ("settings_dict", "expected"),
    [
        (
            {"USER": "postgres", "PASSWORD": "p@ss:w/rd", "HOST": "db", "PORT": 5432, "NAME": "x"},
            "postgresql://postgres:***@db:5432/x",
        ),
        (
            {"USER": "postgres", "PASSWORD": "", "HOST": "/run/pg", "PORT": "5432", "NAME": "x"},
            "postgresql://postgres@/x?host=/run/pg",
        ),
        ({"USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "NAME": "x"}, "postgresql:///x"),
    ],
)
def test_masked_url_never_shows_the_password(settings_dict, expected):
    assert masked_url(settings_dict) == expected
