"""Analytics over REST: metrics for admins holding metrics_view, question
effectiveness read by all and written by staff, behaviour patterns read by
their own user (or by a metrics_view admin)."""

from datetime import UTC, datetime, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import AdminPermission, User, UserRole
from socrates.errors import DomainError
from specs import services
from specs.models import AnalyticsMetric, Question, QuestionEffectiveness, UserBehaviorPattern
from tests.accounts.factories import UserFactory, admin_with
from tests.queries import list_queries
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

A = "/api/v1/analytics"
SCORES = ("effectiveness_score", "relevance_score", "clarity_score")


# Who may do what ----------------------------------------------------------------

PERSONAS = ("anonymous", "user", "staff", "metrics_admin")
# Status by persona, in PERSONAS order. "{other}" is a behaviour pattern of
# someone else, "{own}" one of the caller's.
MATRIX = {
    f"GET {A}/metrics/": (401, 403, 403, 200),
    f"GET {A}/metrics/{{id}}/": (401, 403, 403, 200),
    f"GET {A}/question-effectiveness/": (401, 200, 200, 200),
    f"POST {A}/question-effectiveness/": (401, 403, 201, 403),
    f"GET {A}/question-effectiveness/{{id}}/": (401, 200, 200, 200),
    f"PATCH {A}/question-effectiveness/{{id}}/": (401, 403, 200, 403),
    f"DELETE {A}/question-effectiveness/{{id}}/": (401, 403, 204, 403),
    f"GET {A}/behavior-patterns/": (401, 200, 200, 200),
    f"GET {A}/behavior-patterns/{{other}}/": (401, 404, 404, 200),
    f"GET {A}/behavior-patterns/{{own}}/": (401, 200, 200, 200),
}


def persona_user(persona: str) -> User | None:
    return {
        "anonymous": lambda: None,
        "user": UserFactory,
        "staff": lambda: UserFactory(role=UserRole.ADMIN),
        "metrics_admin": lambda: admin_with(AdminPermission.METRICS_VIEW),
    }[persona]()


def url_for(path: str, user: User | None) -> str:
    if "/metrics/{id}" in path:
        row = AnalyticsMetric.objects.create(metric_name="active_users", metric_value=3)
        return path.replace("{id}", str(row.pk))
    if "/question-effectiveness/{id}" in path:
        return path.replace("{id}", str(QuestionEffectiveness.objects.create().pk))
    if "{other}" in path:
        row = UserBehaviorPattern.objects.create(user_id=UserFactory().pk, pattern_type="p")
        return path.replace("{other}", str(row.pk))
    if "{own}" in path:
        # Anonymous callers own nothing: any user's row stands in.
        owner_id = user.pk if user else UserFactory().pk
        row = UserBehaviorPattern.objects.create(user_id=owner_id, pattern_type="p")
        return path.replace("{own}", str(row.pk))
    return path


def test_every_analytics_operation_is_in_the_matrix():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        if path.startswith(f"{A}/")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    in_matrix = {
        operation.replace("{other}", "{id}").replace("{own}", "{id}") for operation in MATRIX
    }
    assert operations == in_matrix


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", sorted(MATRIX))
def test_access(operation, persona, client_for):
    user = persona_user(persona)
    client = client_for(user) if user else APIClient()
    method, path = operation.split(" ", 1)
    body = {"question_text": "Who uses it?", "effectiveness_score": 0.5}

    response = getattr(client, method.lower())(url_for(path, user), body, format="json")

    assert response.status_code == MATRIX[operation][PERSONAS.index(persona)], response.data


@pytest.mark.parametrize(
    "url",
    [f"{A}/metrics/", f"{A}/behavior-patterns/"],
)
def test_metrics_and_behaviour_patterns_are_read_only(url, client_for):
    client = client_for(admin_with(AdminPermission.METRICS_VIEW))

    response = client.post(url, {"metric_name": "x", "pattern_type": "x"}, format="json")

    assert response.status_code == 405
    assert not AnalyticsMetric.objects.exists()
    assert not UserBehaviorPattern.objects.exists()


def test_a_refused_write_names_the_staff_level_needed(client_for):
    response = client_for(UserFactory()).post(f"{A}/question-effectiveness/", {}, format="json")

    assert response.status_code == 403
    assert "needs staff access" in response.data["detail"]
    assert not QuestionEffectiveness.objects.exists()


# Behaviour patterns: your own, or everyone's with metrics_view --------------------


@pytest.fixture
def patterns():
    mine, theirs = UserFactory(), UserFactory()
    for user, pattern_type in [(mine, "tool_usage"), (mine, "question_preference")]:
        UserBehaviorPattern.objects.create(user_id=user.pk, pattern_type=pattern_type)
    UserBehaviorPattern.objects.create(user_id=theirs.pk, pattern_type="tool_usage")
    return mine, theirs


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.data
    return sorted(str(row["user_id"]) for row in response.data["results"])


def test_a_user_lists_only_their_own_behaviour_patterns(patterns, client_for):
    mine, theirs = patterns
    client = client_for(mine)

    own = client.get(f"{A}/behavior-patterns/")
    asking_for_theirs = client.get(f"{A}/behavior-patterns/", {"user_id": theirs.pk})

    assert ids_of(own) == [str(mine.pk)] * 2
    assert ids_of(asking_for_theirs) == []


def test_staff_without_metrics_view_see_only_their_own_patterns(patterns, client_for):
    response = client_for(UserFactory(role=UserRole.ADMIN)).get(f"{A}/behavior-patterns/")

    assert ids_of(response) == []


def test_a_metrics_view_admin_reads_everyones_patterns_and_filters_them(patterns, client_for):
    mine, theirs = patterns
    client = client_for(admin_with(AdminPermission.METRICS_VIEW))

    everyone = client.get(f"{A}/behavior-patterns/")
    by_user = client.get(f"{A}/behavior-patterns/", {"user_id": theirs.pk})
    by_type = client.get(f"{A}/behavior-patterns/", {"pattern_type": "tool_usage"})

    assert ids_of(everyone) == sorted([str(mine.pk)] * 2 + [str(theirs.pk)])
    assert ids_of(by_user) == [str(theirs.pk)]
    assert ids_of(by_type) == sorted([str(mine.pk), str(theirs.pk)])


# Question effectiveness: scores are fractions ----------------------------------------


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(role=UserRole.ADMIN))


@pytest.mark.parametrize("field", SCORES)
@pytest.mark.parametrize("score", [0, 1])
def test_scores_from_0_to_1_are_accepted(staff, field, score):
    response = staff.post(f"{A}/question-effectiveness/", {field: score}, format="json")

    assert response.status_code == 201, response.data
    assert getattr(QuestionEffectiveness.objects.get(), field) == score


@pytest.mark.parametrize("field", SCORES)
@pytest.mark.parametrize("score", [-0.01, 1.01])
def test_a_score_outside_0_to_1_is_refused_naming_the_field(staff, field, score):
    row = QuestionEffectiveness.objects.create(**{field: 0.5})
    url = f"{A}/question-effectiveness/"

    created = staff.post(url, {field: score}, format="json")
    changed = staff.patch(f"{url}{row.pk}/", {field: score}, format="json")

    assert (created.status_code, list(created.data["fields"])) == (400, [field])
    assert (changed.status_code, list(changed.data["fields"])) == (400, [field])
    assert QuestionEffectiveness.objects.get() == row
    row.refresh_from_db()
    assert getattr(row, field) == 0.5


@pytest.mark.parametrize("field", SCORES)
@pytest.mark.parametrize("score", [-0.01, 1.01, float("nan")])
def test_the_service_refuses_a_score_outside_0_to_1_whoever_calls_it(field, score):
    with pytest.raises(DomainError) as refusal:
        services.record_question_effectiveness(**{field: score})

    assert refusal.value.field == field
    assert not QuestionEffectiveness.objects.exists()


def test_a_legacy_percentage_stays_when_other_fields_change(staff):
    legacy = QuestionEffectiveness.objects.create(effectiveness_score=85, times_asked=1)

    response = staff.patch(
        f"{A}/question-effectiveness/{legacy.pk}/", {"times_asked": 2}, format="json"
    )

    assert response.status_code == 200, response.data
    legacy.refresh_from_db()
    assert (legacy.effectiveness_score, legacy.times_asked) == (85, 2)


@pytest.mark.parametrize("field", ["times_asked", "times_skipped"])
def test_a_negative_count_is_refused_naming_the_field(staff, field):
    response = staff.post(f"{A}/question-effectiveness/", {field: -1}, format="json")

    assert (response.status_code, list(response.data["fields"])) == (400, [field])
    assert not QuestionEffectiveness.objects.exists()


def test_question_id_must_name_an_existing_question(staff):
    question = Question.objects.create(project=ProjectFactory(), text="Which database?")
    url = f"{A}/question-effectiveness/"

    unknown = staff.post(url, {"question_id": "00000000-0000-4000-8000-000000000000"})
    known = staff.post(url, {"question_id": str(question.pk)})

    assert (unknown.status_code, list(unknown.data["fields"])) == (400, ["question_id"])
    assert known.status_code == 201, known.data
    assert QuestionEffectiveness.objects.get().question_id == question.pk


def test_staff_delete_a_question_effectiveness_row(staff):
    row = QuestionEffectiveness.objects.create()

    response = staff.delete(f"{A}/question-effectiveness/{row.pk}/")

    assert response.status_code == 204
    assert not QuestionEffectiveness.objects.exists()


def test_question_ids_are_shown_only_for_questions_in_projects_the_caller_can_see(
    staff, client_for
):
    mine, theirs = ProjectFactory(), ProjectFactory()
    my_question = Question.objects.create(project=mine, text="Which database?")
    their_question = Question.objects.create(project=theirs, text="Which cloud?")
    QuestionEffectiveness.objects.create(question_id=my_question.pk, effectiveness_score=0.2)
    hidden = QuestionEffectiveness.objects.create(
        question_id=their_question.pk, effectiveness_score=0.1
    )
    client, url = client_for(User.objects.get(pk=mine.owner_id)), f"{A}/question-effectiveness/"

    listed = client.get(url, {"ordering": "effectiveness_score"}).data["results"]
    retrieved = client.get(f"{url}{hidden.pk}/").data
    by_their_id = client.get(url, {"question_id": str(their_question.pk)}).data["results"]
    listed_for_staff = staff.get(url).data["results"]

    assert [row["question_id"] for row in listed] == [None, str(my_question.pk)]
    assert retrieved["question_id"] is None
    assert by_their_id == []
    assert {row["question_id"] for row in listed_for_staff} == {
        str(my_question.pk),
        str(their_question.pk),
    }


# Filters and ordering -------------------------------------------------------------


def test_question_effectiveness_filters_and_orders_by_score(client_for):
    project = ProjectFactory()
    question = Question.objects.create(project=project, text="Q?")
    for score, project_type in [(0.2, "api"), (0.9, "api"), (0.5, "web_app")]:
        QuestionEffectiveness.objects.create(effectiveness_score=score, project_type=project_type)
    QuestionEffectiveness.objects.create(question_id=question.pk, effectiveness_score=0.1)
    owner = User.objects.get(pk=project.owner_id)
    client, url = client_for(owner), f"{A}/question-effectiveness/"

    apis = client.get(url, {"project_type": "api", "ordering": "-effectiveness_score"})
    of_question = client.get(url, {"question_id": question.pk})

    assert [row["effectiveness_score"] for row in apis.data["results"]] == [0.9, 0.2]
    assert [row["effectiveness_score"] for row in of_question.data["results"]] == [0.1]


def test_metrics_filter_by_name_dimension_period_and_period_start(client_for):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for day, name, dimension in [(0, "active_users", "u1"), (1, "active_users", "u2")]:
        AnalyticsMetric.objects.create(
            metric_name=name,
            dimension_type="user",
            dimension_value=dimension,
            period="daily",
            period_start=start + timedelta(days=day),
        )
    AnalyticsMetric.objects.create(metric_name="projects_created", period="weekly")
    client, url = client_for(admin_with(AdminPermission.METRICS_VIEW)), f"{A}/metrics/"

    def values(**query) -> list[str | None]:
        response = client.get(url, query)
        assert response.status_code == 200, response.data
        return [row["dimension_value"] for row in response.data["results"]]

    assert values(metric_name="active_users", ordering="period_start") == ["u1", "u2"]
    assert values(dimension_type="user", dimension_value="u2") == ["u2"]
    assert values(period="weekly") == [None]
    assert values(period_start_after=(start + timedelta(hours=1)).isoformat()) == ["u2"]
    assert values(period_start_before=(start + timedelta(hours=1)).isoformat()) == ["u1"]


# Query counts ---------------------------------------------------------------------

ROWS = 120


def test_analytics_lists_cost_the_same_queries_at_page_size_10_and_100(client_for):
    admin = admin_with(AdminPermission.METRICS_VIEW)
    AnalyticsMetric.objects.bulk_create(
        AnalyticsMetric(metric_name=f"m{n}", metric_value=n) for n in range(ROWS)
    )
    QuestionEffectiveness.objects.bulk_create(QuestionEffectiveness() for _ in range(ROWS))
    UserBehaviorPattern.objects.bulk_create(
        UserBehaviorPattern(user_id=admin.pk, pattern_type=f"p{n}") for n in range(ROWS)
    )
    client = client_for(admin)
    urls = [f"{A}/metrics/", f"{A}/question-effectiveness/", f"{A}/behavior-patterns/"]

    counts = {
        url: (
            list_queries(client, url, page_size=10),
            list_queries(client, url, page_size=100),
        )
        for url in urls
    }

    assert all(small == large for small, large in counts.values()), counts
    assert max(large for _, large in counts.values()) <= 6, counts


# The Django admin -----------------------------------------------------------------


def test_the_analytics_admin_pages_open_read_only(client):
    client.force_login(User.objects.create_superuser("root@example.com", "x", username="root"))
    rows = {
        "analyticsmetric": AnalyticsMetric.objects.create(metric_name="active_users"),
        "questioneffectiveness": QuestionEffectiveness.objects.create(question_text="Why?"),
        "userbehaviorpattern": UserBehaviorPattern.objects.create(
            user_id=UserFactory().pk, pattern_type="tool_usage"
        ),
    }

    for model_name, row in rows.items():
        url = f"/admin/specs/{model_name}/"
        assert client.get(url).status_code == 200, url
        assert client.get(f"{url}{row.pk}/change/").status_code == 200, url
        assert client.get(f"{url}add/").status_code == 403, url
