"""The shared type of the 18 columns that hold a user id from the other database."""

import re
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.test.utils import isolate_apps

from accounts.models import User, UserStatus
from socrates.userrefs import OnUserDelete, UserRefField, user_ref_fields
from specs.models import Project

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def project_for(user_id) -> Project:
    return Project(name="Idea", user_id=user_id, creator_id=user_id, owner_id=user_id)


def test_an_active_user_is_accepted():
    user = User.objects.create_user(email="ada@example.com", password="Correct-Horse-9")

    project_for(user.pk).full_clean()


@pytest.mark.parametrize(
    "make_user_id",
    [
        pytest.param(lambda: uuid.uuid4(), id="unknown"),
        pytest.param(
            lambda: User.objects.create_user(email="a@example.com", is_active=False).pk,
            id="inactive",
        ),
        pytest.param(
            lambda: User.objects.create_user(email="b@example.com", status=UserStatus.SUSPENDED).pk,
            id="suspended",
        ),
    ],
)
def test_a_missing_or_unusable_user_is_refused_naming_the_field(make_user_id):
    with pytest.raises(ValidationError) as refused:
        project_for(make_user_id()).full_clean()

    assert set(refused.value.message_dict) == {"user_id", "creator_id", "owner_id"}
    assert "No active user" in refused.value.message_dict["owner_id"][0]


README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_user_reference_declares_what_its_user_deletion_does_as_the_readme_says():
    documented = re.findall(
        r"^  \| `(\w+\.\w+)` \|([^|]+)\|([^|]*)\|$", README.read_text(), re.MULTILINE
    )
    declared = [
        (f"{field.model._meta.db_table}.{field.column}", field.on_user_delete, field.hand_on_to)
        for field in user_ref_fields()
    ]

    assert len(declared) == 18
    assert {column: (rule.strip(), whom.strip()) for column, rule, whom in documented} == {
        column: (rule.value, whom) for column, rule, whom in declared
    }


@pytest.mark.parametrize(
    ("declaration", "problem"),
    [
        ({}, "declares no on_user_delete"),
        ({"on_user_delete": OnUserDelete.SET_NULL}, "cannot be set to NULL"),
        ({"on_user_delete": OnUserDelete.HAND_ON}, "names hand_on_to"),
        ({"on_user_delete": OnUserDelete.DELETE, "hand_on_to": "someone"}, "names hand_on_to"),
        ({"on_user_delete": OnUserDelete.HAND_ON, "hand_on_to": "someone"}, "without the sql"),
        ({"on_user_delete": OnUserDelete.KEEP, "sql": "DELETE FROM notes"}, "yet gives sql"),
    ],
)
@isolate_apps("specs")
def test_the_system_check_refuses_a_user_reference_without_a_sound_deletion_rule(
    declaration, problem
):
    class Note(models.Model):  # noqa: DJ008
        author_id = UserRefField(**declaration)

        class Meta:
            app_label = "specs"

    errors = Note._meta.get_field("author_id").check()

    assert [error.id for error in errors] == ["socrates.E003"]
    assert errors[0].msg.startswith("specs.Note.author_id ")
    assert problem in errors[0].msg


@isolate_apps("specs")
def test_a_sound_deletion_rule_passes_the_check():
    class Note(models.Model):  # noqa: DJ008
        author_id = UserRefField(null=True, on_user_delete=OnUserDelete.SET_NULL)

        class Meta:
            app_label = "specs"

    assert Note._meta.get_field("author_id").check() == []
