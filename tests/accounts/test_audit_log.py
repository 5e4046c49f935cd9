"""The admin audit log is append-only everywhere: ORM, SQL, API, Django admin."""

import pytest
from django.db import DatabaseError, connections, transaction

from accounts.models import AdminAuditLog, AdminPermission, AuditLogIsAppendOnly
from tests.accounts.factories import UserFactory, admin_with

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


@pytest.fixture
def entry():
    return AdminAuditLog.objects.create(
        admin=UserFactory(), action="user_suspended", resource_type="user", resource_id="42"
    )


def test_an_entry_cannot_be_saved_again(entry):
    entry.action = "nothing_happened"

    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()


@pytest.mark.parametrize(
    "change",
    [
        lambda entry: entry.delete(),
        lambda entry: AdminAuditLog.objects.filter(pk=entry.pk).delete(),
        lambda entry: AdminAuditLog.objects.filter(pk=entry.pk).update(action="x"),
    ],
    ids=["instance delete", "queryset delete", "queryset update"],
)
def test_the_orm_refuses_to_change_or_delete_entries(entry, change):
    with pytest.raises(AuditLogIsAppendOnly):
        change(entry)

    assert AdminAuditLog.objects.get(pk=entry.pk).action == "user_suspended"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE admin_audit_logs SET action = 'x' WHERE id = %(id)s",
        "DELETE FROM admin_audit_logs WHERE id = %(id)s",
        "TRUNCATE admin_audit_logs",
    ],
    ids=["update", "delete", "truncate"],
)
def test_the_database_refuses_to_change_or_delete_entries(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(using="auth"),
        connections["auth"].cursor() as cursor,
    ):
        cursor.execute(sql, {"id": entry.pk})

    assert AdminAuditLog.objects.get(pk=entry.pk).action == "user_suspended"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_api_offers_no_way_to_change_an_entry(client_for, entry, method):
    client = client_for(admin_with(*AdminPermission.values))

    response = getattr(client, method)(f"/api/v1/admin/audit-logs/{entry.pk}/", {"action": "x"})

    assert response.status_code == 405
    assert AdminAuditLog.objects.get(pk=entry.pk).action == "user_suspended"
