"""The admin API: one permission code per endpoint, every action audited."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from accounts.api.urls import admin_router
from accounts.models import (
    AdminAuditLog,
    AdminPermission,
    AdminRole,
    AdminUser,
    RefreshToken,
    User,
    UserRole,
    UserStatus,
)
from tests.accounts.factories import AdminRoleFactory, UserFactory, admin_with

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

API = "/api/v1/admin"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    permission: str
    # Builds (url, body) against fresh objects, so that the call can succeed.
    prepare: Callable[[], tuple[str, dict | None]]


def _user_url(suffix="", **fields):
    return lambda: (f"{API}/users/{UserFactory(**fields).pk}/{suffix}", None)


def _granted_role_url():
    grant = AdminRoleFactory(name="to_revoke")
    user = UserFactory()
    AdminUser.objects.create(user=user, role=grant)
    return f"{API}/users/{user.pk}/roles/to_revoke/", None


def _custom_role_url():
    return f"{API}/roles/{AdminRoleFactory(name='custom').pk}/", {
        "name": "custom",
        "description": "changed",
        # Only what a holder of admin_roles_manage alone may hand out.
        "permissions": ["admin_roles_manage"],
    }


def _audit_entry_url():
    entry = AdminAuditLog.objects.create(
        admin=UserFactory(), action="user_suspended", resource_type="user", resource_id="x"
    )
    return f"{API}/audit-logs/{entry.pk}/", None


ENDPOINTS = [
    Endpoint("list users", "get", AdminPermission.USERS_VIEW, lambda: (f"{API}/users/", None)),
    Endpoint("user detail", "get", AdminPermission.USERS_VIEW, _user_url()),
    Endpoint("suspend", "post", AdminPermission.USERS_SUSPEND, _user_url("suspend/")),
    Endpoint(
        "activate",
        "post",
        AdminPermission.USERS_SUSPEND,
        _user_url("activate/", status=UserStatus.SUSPENDED),
    ),
    Endpoint("delete user", "delete", AdminPermission.USERS_DELETE, _user_url()),
    Endpoint(
        "grant role",
        "post",
        AdminPermission.ADMIN_ROLES_MANAGE,
        lambda: (
            f"{API}/users/{UserFactory().pk}/roles/",
            {"role": AdminRoleFactory(name="helpers").name, "reason": "on call"},
        ),
    ),
    Endpoint("revoke role", "delete", AdminPermission.ADMIN_ROLES_MANAGE, _granted_role_url),
    Endpoint(
        "list roles", "get", AdminPermission.ADMIN_ROLES_MANAGE, lambda: (f"{API}/roles/", None)
    ),
    Endpoint(
        "role detail",
        "get",
        AdminPermission.ADMIN_ROLES_MANAGE,
        lambda: (f"{API}/roles/{AdminRole.objects.get(name='super_admin').pk}/", None),
    ),
    Endpoint(
        "create role",
        "post",
        AdminPermission.ADMIN_ROLES_MANAGE,
        lambda: (f"{API}/roles/", {"name": "managers", "permissions": ["admin_roles_manage"]}),
    ),
    Endpoint("replace role", "put", AdminPermission.ADMIN_ROLES_MANAGE, _custom_role_url),
    Endpoint("edit role", "patch", AdminPermission.ADMIN_ROLES_MANAGE, _custom_role_url),
    Endpoint(
        "audit log", "get", AdminPermission.AUDIT_LOG_VIEW, lambda: (f"{API}/audit-logs/", None)
    ),
    Endpoint("audit entry", "get", AdminPermission.AUDIT_LOG_VIEW, _audit_entry_url),
]
ROLES = [*AdminPermission.values, None]


def call(client, endpoint: Endpoint):
    url, body = endpoint.prepare()
    return getattr(client, endpoint.method)(url, body, format="json")


@pytest.mark.parametrize("granted", ROLES, ids=lambda code: code or "no-role")
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_each_permission_code_opens_exactly_its_endpoints(client_for, endpoint, granted):
    caller = admin_with(granted) if granted else UserFactory()

    response = call(client_for(caller), endpoint)

    if granted == endpoint.permission:
        assert response.status_code in (200, 201, 204), (endpoint.name, response.data)
    else:
        assert response.status_code == 403, (endpoint.name, granted, response.status_code)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_anonymous_callers_are_asked_to_authenticate(api, endpoint):
    assert call(api, endpoint).status_code == 401


def test_permission_matrix_covers_every_admin_route():
    routed = sorted(
        (method, pattern.callback.cls.required_permissions[action])
        for pattern in admin_router.urls
        if hasattr(pattern.callback, "actions") and "format" not in str(pattern.pattern)
        for method, action in pattern.callback.actions.items()
        if method != "head"  # answered like the GET beside it
    )

    assert routed == sorted((endpoint.method, endpoint.permission) for endpoint in ENDPOINTS)


def test_the_admin_root_lists_its_endpoints_only_to_callers_holding_an_admin_role(api, client_for):
    anonymous = api.get(f"{API}/")
    plain = client_for(UserFactory()).get(f"{API}/")
    staff_without_role = client_for(UserFactory(role=UserRole.ADMIN)).get(f"{API}/")
    admin = client_for(admin_with(AdminPermission.AUDIT_LOG_VIEW)).get(f"{API}/")

    assert (anonymous.status_code, anonymous.data["code"]) == (401, "not_authenticated")
    assert (plain.status_code, plain.data["code"]) == (403, "permission_denied")
    assert staff_without_role.status_code == 403
    assert admin.status_code == 200
    assert set(admin.data) == {"users", "roles", "audit-logs"}


def test_revoked_roles_grant_nothing(client_for):
    caller = admin_with(AdminPermission.USERS_VIEW)
    AdminUser.objects.filter(user=caller).update(revoked_at="2026-01-01T00:00:00Z")

    assert client_for(caller).get(f"{API}/users/").status_code == 403


def test_permissions_are_the_union_of_active_roles(client_for):
    caller = admin_with(AdminPermission.USERS_VIEW)
    AdminUser.objects.create(user=caller, role=AdminRoleFactory(permissions=["audit_log_view"]))
    client = client_for(caller)

    assert client.get(f"{API}/users/").status_code == 200
    assert client.get(f"{API}/audit-logs/").status_code == 200
    assert client.post(f"{API}/users/{UserFactory().pk}/suspend/").status_code == 403


# What the actions do, and what they write to the audit log ----------------------------


def only_audit_entry() -> AdminAuditLog:
    (entry,) = AdminAuditLog.objects.all()
    return entry


def test_suspend_signs_the_user_out_and_audits_before_and_after(client_for):
    admin = admin_with(AdminPermission.USERS_SUSPEND)
    target = UserFactory()
    target_client = client_for(target)  # also records a live refresh token

    response = client_for(admin).post(
        f"{API}/users/{target.pk}/suspend/",
        {"reason": "spam"},
        HTTP_USER_AGENT="curl/8.0",
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 200
    assert response.data["status"] == "suspended"
    assert target_client.get("/api/v1/auth/me/").status_code == 401
    assert not RefreshToken.objects.live().filter(user=target).exists()
    entry = only_audit_entry()
    assert (entry.admin_id, entry.action, entry.resource_type, entry.resource_id) == (
        admin.pk,
        "user_suspended",
        "user",
        str(target.pk),
    )
    assert entry.changes["before"]["status"] == "active"
    assert entry.changes["after"]["status"] == "suspended"
    assert entry.changes["reason"] == "spam"
    assert (entry.ip_address, entry.user_agent) == ("203.0.113.9", "curl/8.0")


def test_activate_restores_a_suspended_user(client_for):
    admin = admin_with(AdminPermission.USERS_SUSPEND)
    target = UserFactory(status=UserStatus.SUSPENDED, is_active=False)

    response = client_for(admin).post(f"{API}/users/{target.pk}/activate/")

    assert response.status_code == 200
    target.refresh_from_db()
    assert target.can_sign_in
    assert only_audit_entry().action == "user_activated"


@pytest.mark.parametrize(
    ("action", "status"), [("suspend", UserStatus.SUSPENDED), ("activate", UserStatus.ACTIVE)]
)
def test_suspending_or_activating_twice_is_a_conflict(client_for, action, status):
    admin = admin_with(AdminPermission.USERS_SUSPEND)
    target = UserFactory(status=status)

    response = client_for(admin).post(f"{API}/users/{target.pk}/{action}/")

    assert response.status_code == 409
    assert not AdminAuditLog.objects.exists()


def test_admins_cannot_suspend_themselves(client_for):
    admin = admin_with(AdminPermission.USERS_SUSPEND)

    response = client_for(admin).post(f"{API}/users/{admin.pk}/suspend/")

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.can_sign_in


def test_delete_removes_the_user_and_audits_what_was_there(client_for):
    admin = admin_with(AdminPermission.USERS_DELETE)
    target = UserFactory(email="gone@example.com")

    assert client_for(admin).delete(f"{API}/users/{target.pk}/").status_code == 204

    assert not User.objects.filter(pk=target.pk).exists()
    entry = only_audit_entry()
    assert entry.action == "user_deleted"
    assert entry.changes["before"]["email"] == "gone@example.com"
    assert "password" not in entry.changes["before"]


def test_unknown_user_is_404(client_for):
    admin = admin_with(AdminPermission.USERS_VIEW)

    response = client_for(admin).get(f"{API}/users/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


def test_grant_and_revoke_keep_the_row_and_are_audited(client_for):
    admin = admin_with(*AdminPermission.values)
    target = UserFactory()
    client = client_for(admin)

    granted = client.post(f"{API}/users/{target.pk}/roles/", {"role": "billing_admin"})
    assert granted.status_code == 201
    assert target.admin_permissions() == {
        "users_view",
        "billing_view",
        "invoices_export",
        "metrics_view",
    }
    assert (
        client.post(f"{API}/users/{target.pk}/roles/", {"role": "billing_admin"}).status_code == 409
    )

    assert client.delete(f"{API}/users/{target.pk}/roles/billing_admin/").status_code == 204
    assert target.admin_permissions() == set()
    grant = AdminUser.objects.get(user=target)
    assert grant.revoked_at is not None
    assert grant.granted_by_id == admin.pk
    assert list(AdminAuditLog.objects.order_by("created_at").values_list("action", flat=True)) == [
        "role_granted",
        "role_revoked",
    ]

    regranted = client.post(f"{API}/users/{target.pk}/roles/", {"role": "billing_admin"})
    assert regranted.status_code == 201
    assert AdminUser.objects.filter(user=target).count() == 1


def test_grant_names_an_unknown_role_as_a_field_error(client_for):
    admin = admin_with(AdminPermission.ADMIN_ROLES_MANAGE)

    response = client_for(admin).post(f"{API}/users/{UserFactory().pk}/roles/", {"role": "wizard"})

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["role"]


def test_revoking_a_role_not_held_is_404(client_for):
    admin = admin_with(AdminPermission.ADMIN_ROLES_MANAGE)

    response = client_for(admin).delete(f"{API}/users/{UserFactory().pk}/roles/super_admin/")

    assert response.status_code == 404


def test_system_roles_cannot_be_edited(client_for):
    admin = admin_with(AdminPermission.ADMIN_ROLES_MANAGE)
    super_admin = AdminRole.objects.get(name="super_admin")

    response = client_for(admin).patch(f"{API}/roles/{super_admin.pk}/", {"permissions": []})

    assert response.status_code == 403
    super_admin.refresh_from_db()
    assert len(super_admin.permissions) == len(AdminPermission.values)


def test_creating_and_editing_a_role_is_audited_and_validated(client_for):
    client = client_for(
        admin_with(AdminPermission.ADMIN_ROLES_MANAGE, AdminPermission.AUDIT_LOG_VIEW)
    )

    bad = client.post(f"{API}/roles/", {"name": "x", "permissions": ["fly"]}, format="json")
    assert bad.status_code == 400
    assert list(bad.data["fields"]) == ["permissions"]
    duplicate = client.post(
        f"{API}/roles/", {"name": "super_admin", "permissions": []}, format="json"
    )
    assert duplicate.status_code == 400
    assert list(duplicate.data["fields"]) == ["name"]

    created = client.post(
        f"{API}/roles/", {"name": "auditor", "permissions": ["audit_log_view"]}, format="json"
    )
    assert created.status_code == 201
    assert created.data["is_system_role"] is False
    edited = client.patch(
        f"{API}/roles/{created.data['id']}/", {"description": "Reads the log"}, format="json"
    )
    assert edited.status_code == 200
    assert list(AdminAuditLog.objects.order_by("created_at").values_list("action", flat=True)) == [
        "role_created",
        "role_updated",
    ]


def test_user_list_searches_and_filters(client_for):
    client = client_for(admin_with(AdminPermission.USERS_VIEW))
    UserFactory(email="grace@example.com", username="grace", status=UserStatus.SUSPENDED)
    UserFactory(email="alan@example.com", username="alan")

    found = client.get(f"{API}/users/", {"search": "grace"}).data
    suspended = client.get(f"{API}/users/", {"status": "suspended"}).data

    assert [user["username"] for user in found["results"]] == ["grace"]
    assert [user["username"] for user in suspended["results"]] == ["grace"]


def test_audit_log_filters_by_admin_action_resource_and_date(client_for):
    reader = admin_with(AdminPermission.AUDIT_LOG_VIEW)
    first, second = UserFactory(), UserFactory()
    for admin, action in ((first, "user_suspended"), (second, "role_granted")):
        AdminAuditLog.objects.create(
            admin=admin, action=action, resource_type="user", resource_id=str(admin.pk)
        )
    client = client_for(reader)

    def actions(**query):
        return [
            entry["action"] for entry in client.get(f"{API}/audit-logs/", query).data["results"]
        ]

    assert actions(admin=first.pk) == ["user_suspended"]
    assert actions(action="role_granted") == ["role_granted"]
    assert sorted(actions(resource="user")) == ["role_granted", "user_suspended"]
    assert actions(resource_id=str(second.pk)) == ["role_granted"]
    assert actions(created_after="2999-01-01T00:00:00Z") == []
    bad = client.get(f"{API}/audit-logs/", {"created_after": "yesterday"})
    assert bad.status_code == 400
    assert list(bad.data["fields"]) == ["created_after"]


# Admins act only within what they hold ----------------------------------------------


def test_admins_cannot_grant_themselves_a_role(client_for):
    admin = admin_with(*AdminPermission.values)

    response = client_for(admin).post(f"{API}/users/{admin.pk}/roles/", {"role": "billing_admin"})

    assert response.status_code == 403
    assert response.data["code"] == "self_grant"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "users/{target}/roles/", {"role": "super_admin"}),
        ("post", "roles/", {"name": "everything", "permissions": AdminPermission.values}),
        ("patch", "roles/{custom}/", {"permissions": ["users_delete"]}),
        ("post", "users/{boss}/suspend/", None),
        ("delete", "users/{boss}/", None),
    ],
    ids=["grant", "create role", "widen role", "suspend", "delete"],
)
def test_a_role_manager_cannot_reach_beyond_their_own_permissions(client_for, method, path, body):
    manager = admin_with(AdminPermission.ADMIN_ROLES_MANAGE, AdminPermission.USERS_SUSPEND)
    AdminUser.objects.create(user=manager, role=AdminRoleFactory(permissions=["users_delete"]))
    ids = {
        "target": UserFactory().pk,
        "custom": AdminRoleFactory(permissions=["users_view"]).pk,
        "boss": admin_with(*AdminPermission.values).pk,
    }

    response = getattr(client_for(manager), method)(
        f"{API}/{path.format(**ids)}", body, format="json"
    )

    assert response.status_code == 403
    assert response.data["code"] == "beyond_own_permissions"
    assert not AdminAuditLog.objects.exists()


def test_activating_a_deactivated_user_is_audited_as_activation(client_for):
    admin = admin_with(AdminPermission.USERS_SUSPEND)
    target = UserFactory(is_active=False)

    assert client_for(admin).post(f"{API}/users/{target.pk}/activate/").status_code == 200

    assert only_audit_entry().action == "user_activated"


@pytest.mark.parametrize(
    "name",
    ["a/b", "Super_Admin", "super_admin\u200b", "billing admin", "r\u00f4le", "SUPPORT"],
)
def test_role_names_are_lower_case_letters_digits_and_underscores(client_for, name):
    client = client_for(admin_with(AdminPermission.ADMIN_ROLES_MANAGE))

    response = client.post(f"{API}/roles/", {"name": name, "permissions": []}, format="json")

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["name"]
    assert not AdminRole.objects.filter(name=name).exists()


def test_every_role_that_can_be_granted_can_be_revoked_by_name(client_for):
    client = client_for(admin_with(AdminPermission.ADMIN_ROLES_MANAGE))
    target = UserFactory()
    created = client.post(f"{API}/roles/", {"name": "on_call_2", "permissions": []}, format="json")
    client.post(f"{API}/users/{target.pk}/roles/", {"role": "on_call_2"})

    response = client.delete(f"{API}/users/{target.pk}/roles/on_call_2/")

    assert created.status_code == 201
    assert response.status_code == 204
