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
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from socrates.api.validation import BIGINT_REFUSAL, NUL_REFUSAL, UTC_OFFSET_REFUSAL
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

# Rules on a field that no JSON Schema keyword can state: they depend on the
# clock, on the rows that exist, or on another field. Each is said in its
# field's description, and the server's 400 names the field.
RULES_BEYOND_THE_SCHEMA = {
    # A moment in the future.
    "expires_at",
    "expiry_date",
    # After another field.
    "billing_cycle_end",
    "from",
    # The id of a row that exists (and is visible to the caller).
    "user_id",
    "shared_with_user_id",
    "shared_with_team",
    "invited_user_id",
    "session",
    "subscription",
    "project",
    "question_id",
    "related_specifications",
    # An admin role's name, among the roles that exist.
    "role",
    # Equal to the stored value: it stays.
    "notification_type",
    "path",
    # Given when resolving (status resolved), or when answered.
    "resolution",
    "answer",
    # Django's password validators: not too common, not all digits, not like
    # the username.
    "password",
    "new_password",
}
# What PostgreSQL refuses of values whose JSON Schema type and format allow
# them (README: "Input PostgreSQL would refuse"), anywhere in a request.
POSTGRES_REFUSALS = {NUL_REFUSAL, BIGINT_REFUSAL, UTC_OFFSET_REFUSAL}


def positive_data_acceptance_within_the_schema(ctx, response, case):
    """schemathesis's positive_data_acceptance, except for a 400 that names
    only fields whose rule lies beyond what a schema can state (a 400 that
    also names any other field still fails)."""
    if response.status_code == 400:
        fields = response.json().get("fields", {})
        messages = {message for refusal in fields.values() for message in refusal}
        if fields and (set(fields) <= RULES_BEYOND_THE_SCHEMA or messages <= POSTGRES_REFUSALS):
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance_within_the_schema,
    negative_data_rejection,
    ignored_auth,
    use_after_free,
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
    # A case whose path is invalid on purpose keeps it (negative_data_rejection
    # would judge the valid ids sent instead).
    if (
        case.path_parameters
        and count_request.total % 2
        and not (case.meta and case.meta.is_negative_at(ParameterLocation.PATH))
    ):
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
