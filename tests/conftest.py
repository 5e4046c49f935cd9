"""Shared test set-up.

Tests that touch a database name it: ``pytest.mark.django_db(databases=[...])``
with ``"auth"`` and/or ``"specs"``. A test that forgets fails loudly, because
the ``default`` alias is Django's dummy backend.


Throttle counters live in Django's database cache, in ``auth``: each test's
transaction rolls them back, so every test starts with none.
"""

import contextlib
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import issue_tokens
from socrates.celery import app as celery_app
from tests.accounts.factories import PASSWORD
from tests.legacy import build_legacy_pair
from tests.postgres import Server, scratch_pair
from tests.workers import delete_queue, queue_of_its_own, rows_removed_afterwards


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


@pytest.fixture(scope="session", autouse=True)
def _tasks_go_to_a_queue_of_the_session():
    """Tasks the suite enqueues (a deletion's drain at commit) go to a queue of
    this session, deleted at its end: no worker of `make run` sharing the
    broker takes them, and CI's broker keeps nothing."""
    name = f"test-session-{uuid.uuid4().hex[:12]}"
    celery_app.conf.task_default_queue = name
    yield
    # The broker may not be there (pytest run without `make test`).
    with contextlib.suppress(Exception):
        delete_queue(name)


@pytest.fixture
def queue():
    """A queue of the test's own, which its worker takes tasks from (tests/workers.py)."""
    with queue_of_its_own() as name:
        yield name


@pytest.fixture
def committed_rows():
    """What the test writes inside ``committing()`` blocks is removed after it."""
    with rows_removed_afterwards():
        yield
