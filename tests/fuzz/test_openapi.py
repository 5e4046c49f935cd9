"""Every operation of the OpenAPI schema, fuzzed as an ordinary user and as a super admin.

Schemathesis generates requests from the schema the app serves and checks
each answer against it: no server error, a documented status code, content
type and body. ``FUZZ_EXAMPLES`` sets the examples per operation (``make
fuzz`` runs a long campaign); the run is deterministic and writes no
Hypothesis example database.
"""

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from socrates.databases import AUTH, SPECS
from socrates.wsgi import application
from tests.fuzz.conftest import PERSONAS, fuzz_examples, known_path_parameters

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


CONFIG = schemathesis.Config.from_dict(
    {
        # A fixed seed: a failure in CI is the same failure on a laptop.
        "seed": 1_000_003,
        "generation": {
            "max-examples": fuzz_examples(),
            "deterministic": True,
            # No example database: the seed finds a failure again, nothing
            # is kept on disk (conftest.py moves Hypothesis's caches too).
            "database": "none",
        },
    }
)

# Loaded at collection time, before any test database exists: serving the
# schema touches no database (pytest-django would refuse it here).
# Schemathesis leaves out the operation that served the schema unless a filter
# names it; this filter names every path, so GET /api/schema/ is fuzzed too.
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", application, config=CONFIG
).include(path_regex="^/")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@contextmanager
def isolated():
    """One case on its own: rolled back on both databases, and no throttle counters.

    A case then gives the same answer whenever Hypothesis replays it (to
    shrink a failure), whatever ran before it.
    """
    with transaction.atomic(using=AUTH), transaction.atomic(using=SPECS):
        cache.clear()
        yield
        transaction.set_rollback(True, using=AUTH)
        transaction.set_rollback(True, using=SPECS)


@schema.parametrize()
# The personas are made once per operation on purpose: each case is rolled
# back, so the fixture's state is the same at every case's start.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_operation(case, as_persona, persona_world, count_request):
    count_request()
    # Every other case names the persona's own rows, so that it reaches the code
    # behind the access check; the others keep their generated (unknown) ids.
    if case.path_parameters and count_request.total % 2:
        case.path_parameters = {
            **case.path_parameters,
            **known_path_parameters(case.path, persona_world),
        }
    with isolated():
        case.call_and_validate(headers=as_persona(), checks=CHECKS)


def test_every_operation_is_fuzzed_for_both_personas(request):
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema.raw_schema["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    # Collect test_operation exactly as pytest does, whatever this run selected.
    module = request.node.parent
    collector = module.ihook.pytest_pycollect_makeitem(
        collector=module, name="test_operation", obj=test_operation
    )
    fuzzed = {
        (item.operation_label, item.callspec.params["persona"]) for item in collector.collect()
    }

    assert fuzzed == {(operation, persona) for operation in operations for persona in PERSONAS}
