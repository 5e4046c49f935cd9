"""Shared test set-up.

Tests that touch a database name it: ``pytest.mark.django_db(databases=[...])``
with ``"auth"`` and/or ``"specs"``. A test that forgets fails loudly, because
the ``default`` alias is Django's dummy backend.


Throttle counters live in Django's database cache, in ``auth``: each test's
transaction rolls them back, so every test starts with none.

A test marked ``dedicated_sessions`` is about a mechanism that needs a server
session per connection (prepared statements, LISTEN, the socket health
check). On a leg run through a transaction-mode pooler, where those are off,
it runs on the server itself with them on, before its database is set up.
"""

import contextlib
import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import issue_tokens
from socrates.celery import app as celery_app
from socrates.db.direct import direct_connections
from tests.accounts.factories import PASSWORD
from tests.legacy import build_legacy_pair
from tests.postgres import Server, scratch_pair
from tests.workers import delete_queue, queue_of_its_own, rows_removed_afterwards


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "dedicated_sessions: needs a server session per connection (see above)"
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("dedicated_sessions"):
            # First, before the database fixtures open the test's transaction.
            item.fixturenames.insert(0, "_dedicated_sessions")


@pytest.fixture
def _dedicated_sessions(django_test_environment, django_db_setup):
    # After the session's set-up (which changes settings an override made
    # before it would undo), before the test's own.
    if not settings.DATABASE_DIRECT_SERVERS:
        yield
        return
    with direct_connections(), override_settings(DATABASE_DEDICATED_SESSIONS=True):
        yield


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
