import functools

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from accounts.models import AdminRole, AdminUser, User
from socrates.databases import AUTH

PASSWORD = "Correct-Horse-Battery-9"


@functools.cache
def hashed_password() -> str:
    """PASSWORD hashed once (Argon2 is slow by design): every factory user shares it."""
    return make_password(PASSWORD)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        database = AUTH
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.Sequence(lambda n: f"user{n}")
    name = "Ada"
    surname = "Lovelace"
    password = factory.LazyFunction(hashed_password)


class AdminRoleFactory(DjangoModelFactory):
    class Meta:
        model = AdminRole
        database = AUTH

    name = factory.Sequence(lambda n: f"role{n}")
    permissions = factory.List([])


class AdminGrantFactory(DjangoModelFactory):
    class Meta:
        model = AdminUser
        database = AUTH

    user = factory.SubFactory(UserFactory)
    role = factory.SubFactory(AdminRoleFactory)


def admin_with(*permissions: str) -> User:
    """A user whose only admin role holds exactly these permission codes."""
    return AdminGrantFactory(role__permissions=list(permissions)).user
