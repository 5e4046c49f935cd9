"""Platform API keys: their life, their scope, and how each use is counted."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import UserStatus
from billing import keys, services
from billing.models import APIKey, APIKeyStatus, PlanName, RequestWindow, RequestWindowSpan
from billing.tiers import Tier
from collaboration.models import ActivityAction, ActivityLog
from collaboration.services import ActivityContext
from socrates.urls import api_v1_urlpatterns
from tests.accounts.factories import UserFactory
from tests.billing.factories import SubscriptionFactory
from tests.queries import list_queries
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

KEYS = "/api/v1/api-keys/"


def issue(user, **fields) -> services.IssuedKey:
    fields.setdefault("scope", [keys.READ])
    return services.create_api_key(
        context=ActivityContext(user_id=user.pk), name=fields.pop("name", "ci"), **fields
    )


def with_key(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret)
    return client


def test_a_key_is_shown_once_listed_by_preview_used_then_revoked(client_for):
    user = UserFactory()
    ProjectFactory(owner_id=user.pk)
    client = client_for(user)

    created = client.post(KEYS, {"name": "ci", "scope": ["read"]}, format="json")
    assert created.status_code == 201, created.data
    secret = created.data["key"]
    assert secret.startswith("sk_")
    assert len(secret) > 40
    assert created.data["key_preview"] == secret[-4:]
    stored = APIKey.objects.get(pk=created.data["id"])
    assert stored.key_hash == keys.digest(secret)
    assert secret not in stored.key_hash

    listed = client.get(KEYS).data["results"]
    assert [key["key_preview"] for key in listed] == [secret[-4:]]
    assert "key" not in listed[0]
    assert "key_hash" not in listed[0]

    used = with_key(secret).get("/api/v1/projects/")
    assert used.status_code == 200
    assert used.data["count"] == 1
    stored.refresh_from_db()
    assert stored.usage_count == 1
    assert stored.last_used_at is not None

    revoked = client.delete(f"{KEYS}{stored.pk}/")
    assert revoked.status_code == 200
    assert revoked.data["status"] == "revoked"
    after = with_key(secret).get("/api/v1/projects/")
    assert after.status_code == 401
    assert after.data["code"] == "api_key_revoked"
    assert client.delete(f"{KEYS}{stored.pk}/").status_code == 409
    assert list(
        ActivityLog.objects.filter(resource_id=stored.pk).values_list("action", flat=True)
    ) == [ActivityAction.API_KEY_CREATED, ActivityAction.API_KEY_REVOKED]


def test_someone_elses_key_is_not_found(client_for):
    key = issue(UserFactory()).api_key

    assert client_for(UserFactory()).get(f"{KEYS}{key.pk}/").status_code == 404
    assert client_for(UserFactory()).delete(f"{KEYS}{key.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": ["everything"]}, "scope"),
        ({"scope": []}, "scope"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_key_request_names_its_field_and_creates_nothing(client_for, body, field):
    refused = client_for(UserFactory()).post(KEYS, {"name": "ci", **body}, format="json")

    assert refused.status_code == 400
    assert field in refused.data["fields"]
    assert not APIKey.objects.exists()


def key_with(status=APIKeyStatus.ACTIVE, **fields):
    user = fields.pop("user", None) or UserFactory()
    issued = issue(user)
    APIKey.objects.filter(pk=issued.api_key.pk).update(status=status, **fields)
    return issued.secret


@pytest.mark.parametrize(
    ("secret", "code"),
    [
        (lambda: "sk_not-a-key", "api_key_invalid"),
        (lambda: key_with(APIKeyStatus.REVOKED), "api_key_revoked"),
        (lambda: key_with(APIKeyStatus.EXPIRED), "api_key_expired"),
        (lambda: key_with(expires_at=timezone.now() - timedelta(seconds=1)), "api_key_expired"),
        (lambda: key_with(user=UserFactory(status=UserStatus.SUSPENDED)), "api_key_invalid"),
        (lambda: key_with(user=UserFactory(is_active=False)), "api_key_invalid"),
    ],
    ids=["unknown", "revoked", "expired status", "past expiry", "suspended user", "inactive"],
)
def test_a_key_that_may_not_be_used_is_refused_and_not_counted(secret, code):
    response = with_key(secret()).get("/api/v1/projects/")

    assert response.status_code == 401
    assert response.data["code"] == code
    assert not APIKey.objects.filter(usage_count__gt=0).exists()


# (method, path, body): the paths are built from a project the key's user owns.
ROUTES = {
    "read projects": ("get", "/api/v1/projects/", None),
    "write projects": ("post", "/api/v1/projects/", {"name": "by key"}),
    "read teams": ("get", "/api/v1/teams/", None),
    "write teams": ("post", "/api/v1/teams/", {"name": "keyed"}),
    "read me": ("get", "/api/v1/auth/me/", None),
    "new key": ("post", KEYS, {"name": "child", "scope": ["admin"]}),
}
ALLOWED = {
    "read": {"read projects", "read teams", "read me"},
    "write": {"read projects", "write projects", "read teams", "write teams", "read me"},
    "admin": set(ROUTES),
    "projects:read": {"read projects"},
    "projects:write": {"read projects", "write projects"},
    "teams:read": {"read teams"},
}


@pytest.mark.parametrize("scope", ALLOWED)
@pytest.mark.parametrize("route", ROUTES)
def test_a_key_does_only_what_its_scope_allows(scope, route):
    user = UserFactory()
    SubscriptionFactory(user_id=user.pk, plan_name=PlanName.TEAM)
    secret = issue(user, scope=[scope]).secret
    method, path, body = ROUTES[route]

    response = getattr(with_key(secret), method)(path, body, format="json")

    if route in ALLOWED[scope]:
        assert response.status_code in (200, 201), response.data
    else:
        assert response.status_code == 403
        assert response.data["code"] == "api_key_scope"


def test_every_resource_family_of_the_api_is_known_to_the_scopes():
    families = {keys.family_of(f"{keys.API_PREFIX}{route}") for route in api_routes()} - {None}

    assert families == keys.RESOURCE_FAMILIES | keys.GUARDED_FAMILIES


def api_routes(patterns=None, prefix=""):
    for pattern in api_v1_urlpatterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from api_routes(pattern.url_patterns, route)
        else:
            yield route


def test_a_key_past_its_rate_limit_is_refused_with_retry_after_and_not_counted():
    user = UserFactory()
    issued = issue(user, rate_limit=2)
    client = with_key(issued.secret)

    statuses = [client.get("/api/v1/projects/").status_code for _ in range(3)]
    refused = client.get("/api/v1/projects/")

    assert statuses == [200, 200, 429]
    assert refused.data == {
        "detail": "This key allows 2 requests per minute.",
        "code": "rate_limited",
    }
    assert 1 <= int(refused["Retry-After"]) <= 60
    issued.api_key.refresh_from_db()
    assert issued.api_key.usage_count == 2


@pytest.mark.parametrize(
    ("plan_name", "tier", "allowed"), [(None, "free", 1_000), (PlanName.PRO, "pro", 100_000)]
)
def test_the_daily_request_limit_of_the_plan_answers_429_until_tomorrow(plan_name, tier, allowed):
    user = UserFactory()
    if plan_name:
        SubscriptionFactory(user_id=user.pk, plan_name=plan_name)
    client = with_key(issue(user).secret)
    assert client.get("/api/v1/projects/").status_code == 200
    RequestWindow.objects.filter(subject_id=user.pk, span=RequestWindowSpan.DAY).update(
        requests=allowed - 1
    )

    last = client.get("/api/v1/projects/")
    refused = client.get("/api/v1/projects/")

    assert last.status_code == 200
    assert refused.status_code == 429
    assert refused.data == {
        "detail": f"The {tier} plan allows {allowed:,} API requests per day; "
        f"you have made {allowed:,} today.",
        "code": "daily_limit_reached",
    }
    now = timezone.now()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(int(refused["Retry-After"]) - (midnight - now).total_seconds()) < 5


def test_yesterdays_requests_do_not_count_today():
    user = UserFactory()
    client = with_key(issue(user).secret)
    client.get("/api/v1/projects/")
    RequestWindow.objects.filter(subject_id=user.pk, span=RequestWindowSpan.DAY).update(
        requests=1_000, started_at=timezone.now() - timedelta(days=1)
    )

    assert client.get("/api/v1/projects/").status_code == 200
    assert RequestWindow.objects.get(subject_id=user.pk, span=RequestWindowSpan.DAY).requests == 1


@pytest.mark.dedicated_sessions
def test_a_request_with_a_key_costs_three_queries():
    user = UserFactory()
    client = with_key(issue(user).secret)
    client.get("/api/v1/auth/me/")

    with (
        CaptureQueriesContext(connections["specs"]) as specs,
        CaptureQueriesContext(connections["auth"]) as auth,
    ):
        assert client.get("/api/v1/auth/me/").status_code == 200

    # The key with its owner's plans; the count (prepared on the first
    # request); the user.
    assert [q["sql"].split("(")[0] for q in specs] == [
        "EXECUTE api_key_for_secret ",
        "EXECUTE count_api_key_use ",
    ]
    assert len(auth) == 1


@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_concurrent_uses_of_one_key_are_all_counted():
    import uuid

    key = APIKey.objects.create(
        user_id=uuid.uuid4(), name="busy", key_hash=keys.digest("sk_busy"), scope=["read"]
    )
    start = threading.Barrier(8)
    failed = []

    def use():
        try:
            start.wait()
            for _ in range(5):
                services.count_api_key_use(api_key=key, tier=Tier.ENTERPRISE)
        except Exception as error:
            failed.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use) for _ in range(8)]
    began = timezone.now().replace(second=0, microsecond=0)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ended = timezone.now().replace(second=0, microsecond=0)

    assert failed == []
    key.refresh_from_db()
    assert key.usage_count == 40
    minute = RequestWindow.objects.get(subject_id=key.pk, span=RequestWindowSpan.MINUTE)
    if began == ended:
        assert minute.requests == 40
    else:
        # The minute turned during the run: the new window holds only its part.
        assert (minute.started_at, 1 <= minute.requests < 40) == (ended, True)
    assert (
        RequestWindow.objects.get(subject_id=key.user_id, span=RequestWindowSpan.DAY).requests == 40
    )


def test_the_schema_offers_the_key_as_a_second_security_scheme():
    client = APIClient()
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert schema["components"]["securitySchemes"]["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    projects = schema["paths"]["/api/v1/projects/"]["get"]["security"]
    assert {"apiKeyAuth": []} in projects
    assert {"jwtAuth": []} in projects


def test_the_key_list_costs_the_same_queries_at_page_size_10_and_100(client_for):
    user = UserFactory()
    APIKey.objects.bulk_create(
        APIKey(user_id=user.pk, name=f"k{n}", key_hash=keys.digest(f"sk_{n}"), scope=["read"])
        for n in range(120)
    )
    client = client_for(user)

    # The caller from auth; the count and the page from specs.
    small = list_queries(client, KEYS, page_size=10)
    assert small == list_queries(client, KEYS, page_size=100) == 3


def test_a_key_hammering_past_its_rate_limit_does_not_spend_the_days_requests():
    user = UserFactory()
    client = with_key(issue(user, rate_limit=1).secret)

    statuses = [client.get("/api/v1/projects/").status_code for _ in range(4)]

    assert statuses == [200, 429, 429, 429]
    assert RequestWindow.objects.get(subject_id=user.pk, span=RequestWindowSpan.DAY).requests == 1


def test_a_key_revoked_between_its_lookup_and_its_count_is_refused():
    issued = issue(UserFactory())
    APIKey.objects.filter(pk=issued.api_key.pk).update(status=APIKeyStatus.REVOKED)

    with pytest.raises(services.KeyWithdrawn):
        services.count_api_key_use(api_key=issued.api_key, tier=Tier.FREE)

    issued.api_key.refresh_from_db()
    assert issued.api_key.usage_count == 0


def test_the_scope_holds_under_a_url_prefix():
    secret = issue(UserFactory(), scope=[keys.WRITE]).secret

    minted = with_key(secret).post(
        KEYS, {"name": "child", "scope": ["admin"]}, format="json", SCRIPT_NAME="/socrates"
    )

    assert minted.status_code == 403
    assert minted.data["code"] == "api_key_scope"


def test_a_key_past_its_expiry_is_listed_shown_and_filtered_as_expired(client_for):
    user = UserFactory()
    lapsed, revoked = (issue(user, name=name).api_key for name in ("old", "gone"))
    issue(user, name="new", expires_at=timezone.now() + timedelta(days=1))
    APIKey.objects.filter(pk__in=[lapsed.pk, revoked.pk]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    APIKey.objects.filter(pk=revoked.pk).update(status=APIKeyStatus.REVOKED)
    client = client_for(user)

    def names(**query) -> dict[str, str]:
        response = client.get(KEYS, query)
        assert response.status_code == 200, response.data
        return {row["name"]: row["status"] for row in response.data["results"]}

    assert names() == {"old": "expired", "new": "active", "gone": "revoked"}
    assert client.get(f"{KEYS}{lapsed.pk}/").data["status"] == "expired"
    assert names(status="expired") == {"old": "expired"}
    assert names(status="active") == {"new": "active"}
    assert names(status="revoked") == {"gone": "revoked"}


def test_a_past_expiry_is_a_400_naming_it_as_the_schema_says(client_for, openapi):
    response = client_for(UserFactory()).post(
        KEYS, {"name": "old", "expires_at": "2000-01-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["expires_at"]
    expires_at = openapi["components"]["schemas"]["APIKeyCreate"]["properties"]["expires_at"]
    assert "in the future" in expires_at["description"]
