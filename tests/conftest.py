"""Shared test set-up.

Tests that touch a database name it: ``pytest.mark.django_db(databases=[...])``
with ``"auth"`` and/or ``"specs"``. A test that forgets fails loudly, because
the ``default`` alias is Django's dummy backend.


Throttle counters live in Django's database cache, in ``auth``: each test's
transaction rolls them back, so every test starts with none.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import issue_tokens
from tests.accounts.factories import PASSWORD
from tests.legacy import build_legacy_pair
from tests.postgres import Server, scratch_pair


@pytest.fixture
def server() -> Server:
    """The PostgreSQL server of the test databases, for scratch databases beside them."""
    return Server.of_test_databases()


@pytest.fixture
def legacy_pair(server):
    """A scratch pair built as the legacy Alembic scripts left it (tests/legacy.py)."""
    with scratch_pair(server) as pair:
        build_legacy_pair(server, pair)
        yield pair


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture(scope="session")
def openapi() -> dict:
    """The public OpenAPI schema, as /api/schema/ serves it."""
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def client_for():
    """An API client that sends a fresh access token of the given user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user=user).access}")
        return client

    return make


@pytest.fixture
def signed_in_superuser(client):
    """A superuser, as ``createsuperuser`` makes one (holding super_admin), signed in to
    Django's test ``client``, for the Django admin."""
    user = User.objects.create_superuser("root@example.com", PASSWORD, username="root")
    client.force_login(user)
    return user
