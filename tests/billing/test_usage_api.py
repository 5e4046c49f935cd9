"""LLM usage: recording a call, listing your own, and summing them up."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from billing.models import LLMUsage
from tests.accounts.factories import UserFactory, admin_with
from tests.billing.factories import LLMUsageFactory
from tests.queries import list_queries
from tests.specs.factories import ProjectFactory, ShareFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

URL = "/api/v1/usage/"
SUMMARY_URL = f"{URL}summary/"


def test_recording_a_call_computes_the_total(client_for):
    user = UserFactory()
    body = {
        "model_name": "claude",
        "operation_type": "question",
        "input_tokens": 120,
        "output_tokens": 30,
        "total_tokens": 1,
        "cost_usd": "0.001250",
        "latency_ms": 800,
        "metadata": {"temperature": 0.2},
    }

    response = client_for(user).post(URL, body, format="json")

    assert response.status_code == 201, response.data
    usage = LLMUsage.objects.get()
    assert (usage.user_id, usage.total_tokens, usage.status) == (user.pk, 150, "success")
    assert response.data["total_tokens"] == 150


def test_a_call_can_name_a_project_the_caller_can_see(client_for):
    user = UserFactory()
    shared = ProjectFactory()
    ShareFactory(project=shared, shared_with_user_id=user.pk)
    client = client_for(user)

    for project in (ProjectFactory(owner_id=user.pk), shared):
        body = {"model_name": "m", "input_tokens": 1, "output_tokens": 1, "project": project.pk}
        assert client.post(URL, body, format="json").status_code == 201
    assert LLMUsage.objects.filter(project=shared).exists()


@pytest.mark.parametrize("project", ["invisible", "missing"])
def test_a_project_the_caller_cannot_see_is_refused_naming_it(client_for, project):
    project_id = ProjectFactory().pk if project == "invisible" else UserFactory().pk
    body = {"model_name": "m", "input_tokens": 1, "output_tokens": 1, "project": str(project_id)}

    response = client_for(UserFactory()).post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["project"]
    assert not LLMUsage.objects.exists()


@pytest.mark.parametrize("field", ["input_tokens", "output_tokens", "cost_usd", "latency_ms"])
def test_negative_counts_are_refused(client_for, field):
    body = {"model_name": "m", "input_tokens": 1, "output_tokens": 1, field: -1}

    response = client_for(UserFactory()).post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.data["fields"]


def test_a_total_beyond_the_column_is_refused(client_for):
    body = {"model_name": "m", "input_tokens": 2**31 - 1, "output_tokens": 1}

    response = client_for(UserFactory()).post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["output_tokens"]


def test_the_list_is_the_callers_own_newest_first_by_cursor(client_for):
    user = UserFactory()
    older = LLMUsageFactory(user_id=user.pk, model_name="a")
    newer = LLMUsageFactory(user_id=user.pk, model_name="b")
    LLMUsageFactory()
    client = client_for(user)

    first = client.get(URL, {"page_size": 1}).data
    second = client.get(first["next"]).data

    assert [row["id"] for row in first["results"] + second["results"]] == [
        str(newer.pk),
        str(older.pk),
    ]
    assert second["next"] is None
    assert [row["id"] for row in client.get(URL, {"model_name": "a"}).data["results"]] == [
        str(older.pk)
    ]


def at(month: int) -> datetime:
    return datetime(2025, month, 15, 12, tzinfo=UTC)


@pytest.fixture
def usage():
    """Two users' calls, with costs that add up exactly only as decimals."""
    me, other = UserFactory(), UserFactory()
    project = ProjectFactory(owner_id=me.pk)
    rows = [
        (me, "claude", project, 100, 10, "0.100000", 1),
        (me, "claude", None, 200, 20, "0.200000", 2),
        (me, "gpt", project, 300, 30, "0.300000", 2),
        (other, "claude", None, 1000, 100, "1.000000", 1),
    ]
    for user, model, proj, tokens_in, tokens_out, cost, month in rows:
        row = LLMUsageFactory(
            user_id=user.pk,
            model_name=model,
            project=proj,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost,
        )
        LLMUsage.objects.filter(pk=row.pk).update(created_at=at(month))
    return me, other, project


def summary(client, **params) -> dict:
    response = client.get(SUMMARY_URL, params)
    assert response.status_code == 200, response.data
    return {
        row["group"]: (
            row["calls"],
            row["input_tokens"],
            row["output_tokens"],
            row["total_tokens"],
            Decimal(row["cost_usd"]),
        )
        for row in response.data
    }


def test_summary_by_model_sums_the_callers_own_calls(client_for, usage):
    me, _, _ = usage

    assert summary(client_for(me)) == {
        "claude": (2, 300, 30, 330, Decimal("0.3")),
        "gpt": (1, 300, 30, 330, Decimal("0.3")),
    }


def test_summary_by_project_and_by_month(client_for, usage):
    me, _, project = usage
    client = client_for(me)

    assert summary(client, group_by="project") == {
        str(project.pk): (2, 400, 40, 440, Decimal("0.4")),
        None: (1, 200, 20, 220, Decimal("0.2")),
    }
    assert summary(client, group_by="month") == {
        "2025-01": (1, 100, 10, 110, Decimal("0.1")),
        "2025-02": (2, 500, 50, 550, Decimal("0.5")),
    }


def test_summary_by_user_needs_metrics_view(client_for, usage):
    me, other, _ = usage

    refused = client_for(me).get(SUMMARY_URL, {"group_by": "user"})
    everyone = summary(client_for(admin_with("metrics_view")), group_by="user")

    assert refused.status_code == 403
    assert "metrics_view" in refused.data["detail"]
    assert everyone == {
        str(me.pk): (3, 600, 60, 660, Decimal("0.6")),
        str(other.pk): (1, 1000, 100, 1100, Decimal("1")),
    }


def test_another_users_or_everyones_summary_needs_metrics_view(client_for, usage):
    me, other, _ = usage
    client = client_for(me)
    analyst = client_for(admin_with("metrics_view"))

    assert client.get(SUMMARY_URL, {"user": str(other.pk)}).status_code == 403
    assert client.get(SUMMARY_URL, {"all": "true"}).status_code == 403
    assert summary(client, user=str(me.pk)) == summary(client)
    assert summary(analyst, user=str(other.pk)) == {"claude": (1, 1000, 100, 1100, Decimal("1"))}
    assert summary(analyst, all="true")["claude"] == (3, 1300, 130, 1430, Decimal("1.3"))


def test_summary_counts_only_the_window(client_for, usage):
    me, _, _ = usage
    client = client_for(me)

    assert summary(client, **{"from": "2025-02-01T00:00:00Z"}) == {
        "claude": (1, 200, 20, 220, Decimal("0.2")),
        "gpt": (1, 300, 30, 330, Decimal("0.3")),
    }
    assert summary(client, to="2025-02-01T00:00:00Z") == {
        "claude": (1, 100, 10, 110, Decimal("0.1"))
    }
    assert summary(client, **{"from": "2025-03-01T00:00:00Z"}) == {}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "week"}, "group_by"),
        ({"from": "2025-02-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "from"),
        ({"to": "yesterday"}, "to"),
    ],
)
def test_bad_summary_parameters_are_named(client_for, params, field):
    response = client_for(UserFactory()).get(SUMMARY_URL, params)

    assert response.status_code == 400
    assert field in response.data["fields"]


def test_summary_is_one_query(client_for, usage):
    me, _, _ = usage
    client = client_for(me)

    # The caller and their admin permissions come from auth; the sums from specs.
    with CaptureQueriesContext(connections["specs"]) as specs:
        client.get(SUMMARY_URL, {"group_by": "month"})

    assert len(specs) == 1


def test_the_list_costs_the_same_queries_at_page_size_10_and_100(client_for):
    user = UserFactory()
    LLMUsage.objects.bulk_create(
        LLMUsage(user_id=user.pk, model_name="m", input_tokens=1, output_tokens=1, total_tokens=2)
        for _ in range(120)
    )
    client = client_for(User.objects.get(pk=user.pk))

    assert list_queries(client, URL, page_size=10) == list_queries(client, URL, page_size=100)


def test_from_after_to_is_a_400_naming_from_as_the_schema_says(client_for, openapi):
    response = client_for(UserFactory()).get(
        SUMMARY_URL, {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["from"]
    parameters = openapi["paths"]["/api/v1/usage/summary/"]["get"]["parameters"]
    described = next(parameter for parameter in parameters if parameter["name"] == "from")
    assert "not after `to`" in described["description"]


@pytest.mark.parametrize("parameter", ["user", "from", "group_by"])
def test_an_empty_summary_parameter_is_a_400_naming_it(client_for, parameter):
    response = client_for(UserFactory()).get(SUMMARY_URL, {parameter: ""})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [parameter]
