"""The shared type of the 18 columns that hold a user id from the other database."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User, UserStatus
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
