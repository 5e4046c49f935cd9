"""Invoices: reading as subscriptions do, issuing and moving status (audited), CSV export."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.http import StreamingHttpResponse

from accounts.models import AdminAuditLog, AdminRole
from billing.models import Invoice, InvoiceStatus
from tests.accounts.factories import AdminGrantFactory, UserFactory, admin_with
from tests.billing.factories import (
    InvoiceFactory,
    LLMUsageFactory,
    SubscriptionFactory,
    ids,
    with_role,
)
from tests.queries import list_queries

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

URL = "/api/v1/billing/invoices/"
EXPORT_URL = f"{URL}export/"


def test_a_user_sees_only_their_own_invoices(client_for):
    user = UserFactory()
    mine = InvoiceFactory(user_id=user.pk)
    theirs = InvoiceFactory()
    client = client_for(user)

    assert ids(client.get(URL)) == {str(mine.pk)}
    assert client.get(f"{URL}{mine.pk}/").data["invoice_number"] == mine.invoice_number
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404


def test_billing_view_sees_every_invoice_with_filters(client_for):
    subscription = SubscriptionFactory()
    first = InvoiceFactory(
        user_id=subscription.user_id,
        subscription=subscription,
        status="sent",
        issued_date=datetime(2025, 1, 10, tzinfo=UTC),
        due_date=datetime(2025, 2, 10, tzinfo=UTC),
    )
    second = InvoiceFactory(
        currency="EUR",
        issued_date=datetime(2025, 3, 10, tzinfo=UTC),
        due_date=datetime(2025, 4, 10, tzinfo=UTC),
    )
    client = client_for(with_role("analytics_admin"))

    def found(**params):
        return ids(client.get(URL, params))

    assert found() == {str(first.pk), str(second.pk)}
    assert found(user_id=str(first.user_id)) == {str(first.pk)}
    assert found(status="sent") == {str(first.pk)}
    assert found(subscription=str(subscription.pk)) == {str(first.pk)}
    assert found(currency="EUR") == {str(second.pk)}
    assert found(issued_after="2025-02-01T00:00:00Z") == {str(second.pk)}
    assert found(issued_before="2025-02-01T00:00:00Z") == {str(first.pk)}
    assert found(due_after="2025-03-01T00:00:00Z", due_before="2025-05-01T00:00:00Z") == {
        str(second.pk)
    }


def issue(client, **fields):
    body = {"user_id": str(UserFactory().pk), "invoice_number": "INV-1", "amount_usd": "29.00"}
    return client.post(URL, body | fields, format="json")


def test_a_billing_admin_issues_a_draft_invoice_with_one_audit_row(client_for):
    admin = with_role("billing_admin")
    subscription = SubscriptionFactory()

    response = issue(
        client_for(admin),
        user_id=str(subscription.user_id),
        subscription=str(subscription.pk),
        currency="EUR",
        line_items={"pro": "29.00"},
    )

    assert response.status_code == 201, response.data
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.currency, invoice.subscription_id) == (
        "draft",
        "EUR",
        subscription.pk,
    )
    entry = AdminAuditLog.objects.get()
    assert (entry.admin_id, entry.action, entry.resource_id) == (
        admin.pk,
        "invoice_created",
        str(invoice.pk),
    )
    assert entry.changes["after"]["invoice_number"] == "INV-1"


def test_a_duplicate_invoice_number_is_a_conflict_and_changes_nothing(client_for):
    existing = InvoiceFactory(invoice_number="INV-1", amount_usd="10.00")
    client = client_for(with_role("billing_admin"))

    response = issue(client, invoice_number="INV-1")

    assert response.status_code == 409
    assert response.data["code"] == "duplicate_invoice_number"
    assert "INV-1" in response.data["detail"]
    assert list(response.data["fields"]) == ["invoice_number"]
    assert list(Invoice.objects.values_list("pk", "amount_usd")) == [(existing.pk, 10)]
    assert not AdminAuditLog.objects.exists()


@pytest.mark.parametrize("currency", ["usd", "US", "ABC", "U$D", "12"])
def test_the_currency_must_be_an_iso_4217_code_in_capitals(client_for, currency):
    response = issue(client_for(with_role("billing_admin")), currency=currency)

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["currency"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("currency", ["USD", "JPY", "CHF", "XAU"])
def test_iso_4217_codes_are_accepted(client_for, currency):
    assert issue(client_for(with_role("billing_admin")), currency=currency).status_code == 201


def test_a_negative_amount_is_refused(client_for):
    response = issue(client_for(with_role("billing_admin")), amount_usd="-0.01")

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["amount_usd"]


def test_the_subscription_must_be_the_same_users(client_for):
    response = issue(
        client_for(with_role("billing_admin")), subscription=str(SubscriptionFactory().pk)
    )

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["subscription"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("role", ["analytics_admin", None])
def test_readers_cannot_issue_invoices_or_move_them(client_for, role):
    reader = with_role(role) if role else UserFactory()
    invoice = InvoiceFactory(user_id=reader.pk)
    client = client_for(reader)

    created = issue(client, user_id=str(reader.pk), invoice_number="INV-2")
    moved = client.post(f"{URL}{invoice.pk}/status/", {"status": "sent"}, format="json")

    assert (created.status_code, moved.status_code) == (403, 403)
    assert list(Invoice.objects.values_list("status", flat=True)) == ["draft"]
    assert not AdminAuditLog.objects.exists()


ALLOWED = [
    ("draft", "sent"),
    ("draft", "cancelled"),
    ("sent", "paid"),
    ("sent", "overdue"),
    ("sent", "cancelled"),
    ("overdue", "paid"),
    ("overdue", "cancelled"),
]
REFUSED = [
    (before, after)
    for before in InvoiceStatus.values
    for after in InvoiceStatus.values
    if (before, after) not in ALLOWED
]


@pytest.mark.parametrize(("before", "after"), ALLOWED)
def test_allowed_status_transitions_are_made_and_audited(client_for, before, after):
    invoice = InvoiceFactory(status=before)

    response = client_for(with_role("billing_admin")).post(
        f"{URL}{invoice.pk}/status/", {"status": after}, format="json"
    )

    assert response.status_code == 200, response.data
    invoice.refresh_from_db()
    assert invoice.status == after
    assert (invoice.issued_date is not None) == (after == "sent")
    assert (invoice.paid_date is not None) == (after == "paid")
    entry = AdminAuditLog.objects.get()
    assert entry.action == "invoice_status_changed"
    assert (entry.changes["before"]["status"], entry.changes["after"]["status"]) == (before, after)


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_other_status_transitions_are_conflicts_naming_both(client_for, before, after):
    invoice = InvoiceFactory(status=before)

    response = client_for(with_role("billing_admin")).post(
        f"{URL}{invoice.pk}/status/", {"status": after}, format="json"
    )

    assert response.status_code == 409
    assert response.data["code"] == "invoice_status_transition"
    assert f"from {before} to {after}" in response.data["detail"]
    invoice.refresh_from_db()
    assert invoice.status == before
    assert not AdminAuditLog.objects.exists()


def test_sending_keeps_an_issued_date_already_set(client_for):
    issued = datetime(2025, 1, 1, tzinfo=UTC)
    invoice = InvoiceFactory(issued_date=issued)

    client_for(with_role("billing_admin")).post(
        f"{URL}{invoice.pk}/status/", {"status": "sent"}, format="json"
    )

    invoice.refresh_from_db()
    assert (invoice.status, invoice.issued_date) == ("sent", issued)


def exported(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_streams_every_matching_invoice_as_csv_with_one_audit_row(client_for):
    admin = admin_with("invoices_export")
    eur = InvoiceFactory(currency="EUR", invoice_number="INV-EUR", amount_usd="12.50")
    InvoiceFactory(currency="USD")

    response = client_for(admin).get(EXPORT_URL, {"currency": "EUR"})

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="invoices-')
    header, *rows = exported(response)
    assert header[:2] == ["invoice_number", "id"]
    assert [(row[0], row[1], row[header.index("amount_usd")]) for row in rows] == [
        ("INV-EUR", str(eur.pk), "12.50")
    ]
    entry = AdminAuditLog.objects.get()
    assert (entry.admin_id, entry.action) == (admin.pk, "invoices_exported")
    assert entry.changes == {"filters": {"currency": "EUR"}, "rows": 1}


def test_the_export_answers_format_csv_and_accept_text_csv(client_for):
    InvoiceFactory()
    client = client_for(admin_with("invoices_export"))

    assert len(exported(client.get(EXPORT_URL, {"format": "csv"}))) == 2
    assert len(exported(client.get(EXPORT_URL, HTTP_ACCEPT="text/csv"))) == 2
    assert client.get(EXPORT_URL, {"format": "json"}).status_code == 400


def test_the_export_neutralises_formulas(client_for):
    for n, start in enumerate("=+-@"):
        InvoiceFactory(invoice_number=f"{start}INV{n}", description=f"{start}cmd|' /C calc'!A0")

    header, *rows = exported(client_for(admin_with("invoices_export")).get(EXPORT_URL))

    assert sorted(row[0] for row in rows) == sorted(
        f"'{start}INV{n}" for n, start in enumerate("=+-@")
    )
    assert sorted(row[header.index("description")] for row in rows) == sorted(
        f"'{start}cmd|' /C calc'!A0" for start in "=+-@"
    )


@pytest.mark.parametrize("role", ["analytics_admin", None])
def test_the_export_needs_invoices_export(client_for, role):
    reader = with_role(role) if role else UserFactory()
    InvoiceFactory(user_id=reader.pk)

    response = client_for(reader).get(EXPORT_URL)

    assert response.status_code == 403
    assert "invoices_export" in response.data["detail"]
    assert not AdminAuditLog.objects.exists()


def test_the_list_costs_the_same_queries_at_page_size_10_and_100(client_for):
    user = UserFactory()
    Invoice.objects.bulk_create(
        Invoice(user_id=user.pk, invoice_number=f"N{n}", amount_usd=1) for n in range(120)
    )
    reader = with_role("analytics_admin")

    for who in (user, reader):
        small = list_queries(client_for(who), URL, page_size=10)
        assert small == list_queries(client_for(who), URL, page_size=100), who


# The Django admin ----------------------------------------------------------------------


def staff_with_role(client, name: str):
    grant = AdminGrantFactory(user__role="admin", role=AdminRole.objects.get(name=name))
    client.force_login(grant.user)
    return grant.user


def test_an_invoice_added_in_the_admin_goes_through_the_rules_and_the_audit_log(client):
    admin = staff_with_role(client, "billing_admin")
    form = {
        "user_id": str(UserFactory().pk),
        "invoice_number": "INV-ADMIN",
        "amount_usd": "10.00",
        "currency": "EUR",
        "line_items": "{}",
        "metadata": "{}",
    }

    refused = client.post("/admin/billing/invoice/add/", form | {"currency": "eur"}, follow=True)
    added = client.post("/admin/billing/invoice/add/", form)

    assert "ISO 4217" in refused.content.decode()
    assert added.status_code == 302, added.content.decode()[:2000]
    invoice = Invoice.objects.get()
    assert (invoice.invoice_number, invoice.status) == ("INV-ADMIN", "draft")
    entry = AdminAuditLog.objects.get()
    assert (entry.admin_id, entry.action) == (admin.pk, "invoice_created")


def test_the_admin_moves_an_invoice_only_along_the_transitions(client):
    staff_with_role(client, "billing_admin")
    invoice = InvoiceFactory(status="paid")
    url = f"/admin/billing/invoice/{invoice.pk}/change/"

    refused = client.post(url, {"status": "draft"}, follow=True)

    assert "cannot go from paid to draft" in refused.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert not AdminAuditLog.objects.exists()

    InvoiceFactory(invoice_number="INV-SENT", status="sent")
    sent = Invoice.objects.get(invoice_number="INV-SENT")
    assert (
        client.post(f"/admin/billing/invoice/{sent.pk}/change/", {"status": "paid"}).status_code
        == 302
    )
    sent.refresh_from_db()
    assert sent.status == "paid"
    assert AdminAuditLog.objects.get().action == "invoice_status_changed"


def test_analytics_admins_read_billing_in_the_admin_but_change_nothing(client):
    staff_with_role(client, "analytics_admin")
    invoice = InvoiceFactory()
    usage = LLMUsageFactory()

    assert client.get("/admin/billing/invoice/").status_code == 200
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/change/").status_code == 200
    assert client.get("/admin/billing/llmusage/").status_code == 200
    assert client.get(f"/admin/billing/llmusage/{usage.pk}/change/").status_code == 200
    assert client.get("/admin/billing/invoice/add/").status_code == 403
    assert (
        client.post(f"/admin/billing/invoice/{invoice.pk}/change/", {"status": "sent"}).status_code
        == 403
    )
    invoice.refresh_from_db()
    assert invoice.status == "draft"
