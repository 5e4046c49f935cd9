"""Set-up for fuzzing the API from its OpenAPI schema (schemathesis).

The requests go through ``socrates.wsgi.application`` in this thread, so they
run inside pytest-django's test transactions. The personas are made once per
operation and each case is rolled back (``isolated()`` in test_openapi.py):
whatever a case does (delete the account, change the password, suspend
someone), the next case starts from the same personas and data.
"""

import os
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis.configuration import set_hypothesis_home_dir

from accounts.models import User
from accounts.services import AuditContext, issue_tokens
from billing import services as billing_services
from collaboration import services as collaboration_services
from collaboration.services import ActivityContext
from rag import services as rag_services
from socrates.databases import AUTH
from specs import services as specs_services
from specs.models import AnalyticsMetric, UserBehaviorPattern
from tests.accounts.factories import PASSWORD, UserFactory

PERSONAS = ("user", "super_admin")


def fuzz_examples() -> int:
    # Small by default so that `make test` stays quick; `make fuzz` asks for many.
    return int(os.environ.get("FUZZ_EXAMPLES", "5"))


# Requests sent per operation, reported at the end of the run.
FUZZ_REQUESTS = pytest.StashKey[Counter]()


def pytest_configure(config):
    config.stash[FUZZ_REQUESTS] = Counter()


def pytest_sessionfinish(session):
    # Under pytest-xdist a worker hands its counts to the controller, which
    # prints the summary (pytest_testnodedown below).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fuzz_requests"] = dict(session.config.stash[FUZZ_REQUESTS])


def pytest_testnodedown(node, error):
    counts = getattr(node, "workeroutput", {}).get("fuzz_requests", {})
    node.config.stash[FUZZ_REQUESTS].update(counts)


def pytest_terminal_summary(terminalreporter, config):
    requests = config.stash.get(FUZZ_REQUESTS, None)
    if requests:
        terminalreporter.section("fuzz")
        terminalreporter.write_line(
            f"fuzz: {len(requests)} operation x persona runs, {requests.total()} requests "
            f"({fuzz_examples()} random examples per operation after the boundary values)"
        )


@pytest.fixture
def count_request(request):
    requests = request.config.stash[FUZZ_REQUESTS]

    def count() -> None:
        requests[request.node.name] += 1
        count.total += 1

    count.total = 0
    return count


# With no example database Hypothesis still writes caches under ./.hypothesis;
# they go to the temporary directory instead, so the working tree stays clean.
# Set on import, before the test module is collected and anything generated.
set_hypothesis_home_dir(
    os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    or Path(tempfile.gettempdir()) / "socrates-hypothesis"
)


@pytest.fixture(autouse=True)
def _keep_test_connections():
    # The real WSGI handler closes "old" connections at each request's start
    # and end; inside the test transaction that would close the connection
    # and lose the test's data. Django's test client skips this the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=PERSONAS)
def persona(request) -> User:
    if request.param == "super_admin":
        return User.objects.db_manager(AUTH).create_superuser(
            "root@example.com", PASSWORD, username="root"
        )
    return UserFactory()


@pytest.fixture
def as_persona(persona):
    """Headers for every case of one operation, with one access token.

    A case may end the token's sign-in (logout-all, change-password, delete
    the account), but each case is rolled back and the throttle cache
    cleared, so the token works again at the next case's start.
    """
    headers = {"Authorization": f"Bearer {issue_tokens(user=persona).access}"}
    return lambda: headers


@pytest.fixture
def persona_world(persona) -> dict[str, str]:
    """Rows the persona owns, by the path parameter that names them.

    Random ids only ever reach a 404; with these, the fuzzer's queries and
    bodies reach the code behind the access check.
    """
    context = ActivityContext(user_id=persona.pk)
    project = specs_services.create_project(context=context, name="Fuzzed")
    session = specs_services.start_session(context=context, project=project)
    generated = specs_services.create_generated_project(project=project, name="api")
    team = collaboration_services.create_team(context=context, name="Fuzzers")
    audit = AuditContext(actor=persona)
    # The free plan, as a subscription: the billing routes have a row to find.
    subscription = billing_services.create_subscription(
        context=audit, user_id=persona.pk, plan_name="free"
    )
    document = rag_services.create_document(
        title="Fuzzed", content="# Fuzzing\n\nSearch me.", is_approved=True
    )
    return {
        "project_id": str(project.pk),
        "session_id": str(session.pk),
        "generated_project_id": str(generated.pk),
        "team_id": str(team.pk),
        "document_id": str(document.pk),
        # The last collection before "{id}" says which row it names.
        "projects": str(project.pk),
        "sessions": str(session.pk),
        "generated-projects": str(generated.pk),
        "teams": str(team.pk),
        "documents": str(document.pk),
        "specifications": str(
            specs_services.write_specification(context=context, project=project, key="db").pk
        ),
        "questions": str(specs_services.create_question(project=project, text="Why?").pk),
        "conflicts": str(specs_services.create_conflict(project=project, title="Which?").pk),
        "files": str(
            specs_services.add_generated_file(generated=generated, path="main.py", content="").pk
        ),
        "quality-metrics": str(
            specs_services.record_quality_metric(
                project=project, metric_name="coverage", metric_value=0.5
            ).pk
        ),
        "shares": str(
            collaboration_services.create_share(
                context=context, project=project, shared_with_user_id=UserFactory().pk
            ).pk
        ),
        "invitations": str(
            collaboration_services.invite(
                context=context, project=project, invited_email="guest@example.com"
            ).invitation.pk
        ),
        "members": str(team.members.get().pk),
        "question-effectiveness": str(
            specs_services.record_question_effectiveness(effectiveness_score=0.5).pk
        ),
        "behavior-patterns": str(
            UserBehaviorPattern.objects.create(user_id=persona.pk, pattern_type="tool_usage").pk
        ),
        "metrics": str(AnalyticsMetric.objects.create(metric_name="active_users").pk),
        "subscriptions": str(subscription.pk),
        "invoices": str(
            billing_services.create_invoice(
                context=audit,
                user_id=persona.pk,
                subscription=subscription,
                invoice_number="FUZZ-1",
                amount_usd=Decimal("29.00"),
            ).pk
        ),
        "api-keys": str(
            billing_services.create_api_key(context=context, name="fuzz", scope=["read"]).api_key.pk
        ),
        "notification-preferences": str(
            collaboration_services.create_notification_preference(
                user_id=persona.pk, notification_type="mentions"
            ).pk
        ),
    }


def known_path_parameters(path: str, world: dict[str, str]) -> dict[str, str]:
    """The persona's own ids for a path's parameters, where it has such rows."""
    known = {name: world[name] for name in world if "{" + name + "}" in path}
    if "{id}" in path:
        collection = path.split("{id}")[0].rstrip("/").rsplit("/", 1)[-1]
        if collection in world:
            known["id"] = world[collection]
    return known
