"""Subscriptions: your own to read, everyone's with billing_view; billing admins write, audited."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accounts.models import AdminAuditLog, AdminRole, UserStatus
from billing.models import Subscription
from tests.accounts.factories import AdminGrantFactory, UserFactory
from tests.billing.factories import SubscriptionFactory, ids, with_role
from tests.queries import list_queries

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

URL = "/api/v1/billing/subscriptions/"


def test_a_user_sees_only_their_own_subscriptions(client_for):
    user = UserFactory()
    mine = SubscriptionFactory(user_id=user.pk)
    theirs = SubscriptionFactory()
    client = client_for(user)

    assert ids(client.get(URL)) == {str(mine.pk)}
    assert client.get(f"{URL}{mine.pk}/").data["plan_name"] == "pro"
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404


def test_billing_view_sees_everyones_subscriptions_with_filters(client_for):
    first = SubscriptionFactory(plan_name="team")
    second = SubscriptionFactory(status="cancelled")
    client = client_for(with_role("analytics_admin"))

    assert {str(first.pk), str(second.pk)} <= ids(client.get(URL))
    assert ids(client.get(URL, {"user_id": str(first.user_id)})) == {str(first.pk)}
    assert ids(client.get(URL, {"plan_name": "team"})) == {str(first.pk)}
    assert ids(client.get(URL, {"status": "cancelled"})) == {str(second.pk)}
    assert client.get(f"{URL}{second.pk}/").status_code == 200


def test_a_billing_admin_creates_a_subscription_with_one_audit_row(client_for):
    admin = with_role("billing_admin")
    subscriber = UserFactory()
    body = {
        "user_id": str(subscriber.pk),
        "plan_name": "pro",
        "plan_type": "monthly",
        "price_usd": "29.00",
        "billing_cycle_start": "2025-01-01T00:00:00Z",
        "billing_cycle_end": "2025-02-01T00:00:00Z",
        "features": {"seats": 5},
    }

    response = client_for(admin).post(URL, body, format="json")

    assert response.status_code == 201, response.data
    subscription = Subscription.objects.get(pk=response.data["id"])
    assert subscription.user_id == subscriber.pk
    assert subscription.price_usd == Decimal("29.00")
    entry = AdminAuditLog.objects.get()
    assert (entry.admin_id, entry.action, entry.resource_type, entry.resource_id) == (
        admin.pk,
        "subscription_created",
        "subscription",
        str(subscription.pk),
    )
    assert entry.changes["after"]["plan_name"] == "pro"
    assert entry.changes["after"]["features"] == {"seats": 5}


def test_a_billing_admin_changes_a_subscription_but_not_its_subscriber(client_for):
    subscription = SubscriptionFactory(price_usd="29.00")
    client = client_for(with_role("super_admin"))

    response = client.patch(
        f"{URL}{subscription.pk}/",
        {"status": "cancelled", "user_id": str(UserFactory().pk)},
        format="json",
    )

    assert response.status_code == 200, response.data
    subscription.refresh_from_db()
    assert subscription.status == "cancelled"
    assert response.data["user_id"] == str(subscription.user_id)
    entry = AdminAuditLog.objects.get()
    assert entry.action == "subscription_updated"
    assert (entry.changes["before"]["status"], entry.changes["after"]["status"]) == (
        "active",
        "cancelled",
    )


def test_a_change_that_changes_nothing_writes_no_audit_row(client_for):
    subscription = SubscriptionFactory()
    client = client_for(with_role("billing_admin"))

    response = client.patch(f"{URL}{subscription.pk}/", {"status": "active"}, format="json")

    assert response.status_code == 200
    assert not AdminAuditLog.objects.exists()


@pytest.mark.parametrize("role", ["analytics_admin", None])
def test_readers_cannot_write_subscriptions(client_for, role):
    reader = with_role(role) if role else UserFactory()
    subscription = SubscriptionFactory(user_id=reader.pk)
    client = client_for(reader)

    created = client.post(URL, {"user_id": str(reader.pk), "plan_name": "team"}, format="json")
    changed = client.patch(f"{URL}{subscription.pk}/", {"plan_name": "team"}, format="json")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert "invoices_export" in created.data["detail"]
    assert Subscription.objects.get().plan_name == "pro"
    assert not AdminAuditLog.objects.exists()


def test_the_subscriber_must_be_an_active_user(client_for):
    client = client_for(with_role("billing_admin"))
    suspended = UserFactory(status=UserStatus.SUSPENDED)

    for user_id in (suspended.pk, "00000000-0000-0000-0000-000000000000"):
        response = client.post(URL, {"user_id": str(user_id), "plan_name": "pro"}, format="json")
        assert response.status_code == 400
        assert list(response.data["fields"]) == ["user_id"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price_usd": "-1.00"}, "price_usd"),
        ({"plan_name": "platinum"}, "plan_name"),
        (
            {
                "billing_cycle_start": "2025-02-01T00:00:00Z",
                "billing_cycle_end": "2025-02-01T00:00:00Z",
            },
            "billing_cycle_end",
        ),
    ],
)
def test_invalid_subscriptions_are_refused_naming_the_field(client_for, body, field):
    client = client_for(with_role("billing_admin"))
    body = {"user_id": str(UserFactory().pk), "plan_name": "pro", **body}

    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.data["fields"]
    assert not AdminAuditLog.objects.exists()


def test_a_change_is_checked_against_the_rest_of_the_subscription(client_for):
    subscription = SubscriptionFactory(billing_cycle_start=datetime(2025, 3, 1, tzinfo=UTC))
    client = client_for(with_role("billing_admin"))

    response = client.patch(
        f"{URL}{subscription.pk}/", {"billing_cycle_end": "2025-02-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["billing_cycle_end"]
    subscription.refresh_from_db()
    assert subscription.billing_cycle_end is None


def test_the_list_costs_the_same_queries_at_page_size_10_and_100(client_for):
    Subscription.objects.bulk_create(
        Subscription(user_id=UserFactory().pk, plan_name="pro") for _ in range(3)
    )
    user = UserFactory()
    Subscription.objects.bulk_create(
        Subscription(user_id=user.pk, plan_name="pro") for _ in range(120)
    )
    reader = with_role("analytics_admin")

    for who in (user, reader):
        small = list_queries(client_for(who), URL, page_size=10)
        assert small == list_queries(client_for(who), URL, page_size=100), who


def test_a_subscription_changed_in_the_admin_is_audited_and_keeps_its_subscriber(client):
    grant = AdminGrantFactory(user__role="admin", role=AdminRole.objects.get(name="billing_admin"))
    client.force_login(grant.user)
    subscription = SubscriptionFactory()
    form = {
        "plan_name": "team",
        "status": "active",
        "auto_renew": "on",
        "features": "{}",
        "metadata": "{}",
    }

    assert client.get("/admin/billing/subscription/").status_code == 200
    assert client.get("/admin/billing/subscription/add/").status_code == 200
    assert client.get(f"/admin/billing/subscription/{subscription.pk}/change/").status_code == 200
    response = client.post(f"/admin/billing/subscription/{subscription.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    subscription.refresh_from_db()
    assert subscription.plan_name == "team"
    entry = AdminAuditLog.objects.get()
    assert (entry.admin_id, entry.action) == (grant.user.pk, "subscription_updated")


@pytest.mark.parametrize("parameter", ["user_id", "status"])
def test_an_empty_filter_of_a_uuid_or_a_closed_set_is_a_400_naming_it(client_for, parameter):
    response = client_for(with_role("analytics_admin")).get(URL, {parameter: ""})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [parameter]
