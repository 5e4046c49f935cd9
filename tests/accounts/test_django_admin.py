"""The Django admin over accounts: the same rules and the same audit log as the API."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command

from accounts.models import AdminAuditLog, AdminRole, AdminUser, User, UserRole, UserStatus
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_createsuperuser_without_database_makes_a_super_admin_in_auth(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", interactive=False, email="boss@example.com", username="boss")

    user = User.objects.get(email="boss@example.com")
    assert user.role == UserRole.ADMIN
    assert user.check_password(PASSWORD)
    assert user.is_superuser
    assert AdminUser.objects.get(user=user).role.name == "super_admin"


def test_staff_sign_in_through_the_login_form_by_email_or_username(client):
    user = User.objects.create_superuser("root@example.com", PASSWORD, username="root")

    for login in (user.email, "root"):
        client.logout()
        response = client.post("/admin/login/", {"username": login, "password": PASSWORD})
        assert response.status_code == 302, login
        assert client.get("/admin/").status_code == 200


def test_a_suspended_staff_member_loses_the_admin_session(client, signed_in_superuser):
    User.objects.filter(pk=signed_in_superuser.pk).update(status=UserStatus.SUSPENDED)

    assert client.get("/admin/").status_code == 302


def test_every_accounts_model_has_an_admin_page(client, signed_in_superuser):
    for model in ("user", "adminrole", "adminuser", "adminauditlog", "refreshtoken"):
        assert client.get(f"/admin/accounts/{model}/").status_code == 200, model


def test_editing_a_user_in_the_admin_is_audited(client, signed_in_superuser):
    target = UserFactory(name="Old")
    form = {
        "email": target.email,
        "username": target.username,
        "name": "New",
        "surname": target.surname,
        "role": target.role,
        "status": target.status,
        "is_active": "on",
    }

    response = client.post(f"/admin/accounts/user/{target.pk}/change/", form)

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.name == "New"
    entry = AdminAuditLog.objects.get()
    assert (entry.admin_id, entry.action, entry.resource_id) == (
        signed_in_superuser.pk,
        "user_updated",
        str(target.pk),
    )
    assert (entry.changes["before"]["name"], entry.changes["after"]["name"]) == ("Old", "New")


def test_the_suspend_action_signs_the_user_out_and_is_audited(client, signed_in_superuser):
    target = UserFactory()

    client.post(
        "/admin/accounts/user/", {"action": "suspend", "_selected_action": [str(target.pk)]}
    )

    target.refresh_from_db()
    assert target.status == UserStatus.SUSPENDED
    assert AdminAuditLog.objects.get().action == "user_suspended"


def test_adding_a_user_in_the_admin_is_audited_and_validates_the_password(
    client, signed_in_superuser
):
    form = {"email": "new@example.com", "username": "newbie", "role": "user"}

    weak = client.post("/admin/accounts/user/add/", {**form, "initial_password": "123"})
    assert weak.status_code == 200  # the form again, with the error
    assert not User.objects.filter(email="new@example.com").exists()

    client.post("/admin/accounts/user/add/", {**form, "initial_password": PASSWORD})
    assert User.objects.get(email="new@example.com").check_password(PASSWORD)
    assert AdminAuditLog.objects.get().action == "user_created"


def test_granting_in_the_admin_is_audited(client, signed_in_superuser):
    target = UserFactory()
    role = AdminRole.objects.get(name="support_admin")

    client.post("/admin/accounts/adminuser/add/", {"user": target.pk, "role": role.pk})

    assert AdminUser.objects.get(user=target).granted_by_id == signed_in_superuser.pk
    assert AdminAuditLog.objects.get().action == "role_granted"


def test_system_roles_are_read_only_in_the_admin(client, signed_in_superuser):
    role = AdminRole.objects.get(name="super_admin")

    response = client.post(
        f"/admin/accounts/adminrole/{role.pk}/change/",
        {"name": "hacked", "description": "", "permissions": "users_view"},
    )

    assert response.status_code == 403
    role.refresh_from_db()
    assert role.name == "super_admin"
    assert not AdminAuditLog.objects.exists()


def test_audit_entries_cannot_be_changed_or_deleted_in_the_admin(client, signed_in_superuser):
    entry = AdminAuditLog.objects.create(
        admin=signed_in_superuser, action="user_suspended", resource_type="user", resource_id="1"
    )

    change = client.post(f"/admin/accounts/adminauditlog/{entry.pk}/change/", {"action": "x"})
    delete = client.post(f"/admin/accounts/adminauditlog/{entry.pk}/delete/", {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    assert AdminAuditLog.objects.get(pk=entry.pk).action == "user_suspended"


def test_non_staff_users_cannot_reach_the_admin(client):
    client.force_login(UserFactory())

    assert client.get("/admin/accounts/user/").status_code == 302


def test_staff_see_and_do_only_what_their_admin_codes_allow(client):
    support = UserFactory(role=UserRole.ADMIN)
    AdminUser.objects.create(user=support, role=AdminRole.objects.get(name="support_admin"))
    target = UserFactory()
    client.force_login(support)

    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/adminauditlog/").status_code == 403
    assert client.get(f"/admin/accounts/user/{target.pk}/delete/").status_code == 403
    client.post(
        f"/admin/accounts/user/{target.pk}/change/", {"email": target.email, "role": "admin"}
    )
    target.refresh_from_db()
    assert target.role == UserRole.USER

    client.post("/admin/accounts/user/", {"action": "suspend", "_selected_action": [target.pk]})
    target.refresh_from_db()
    assert target.status == UserStatus.SUSPENDED


def test_staff_without_admin_roles_see_nothing(client):
    client.force_login(UserFactory(role=UserRole.ADMIN))

    assert client.get("/admin/accounts/user/").status_code == 403


def test_a_refused_change_is_reported_and_not_logged_as_done(client, signed_in_superuser):
    response = client.post(
        f"/admin/accounts/user/{signed_in_superuser.pk}/change/",
        {"email": signed_in_superuser.email, "username": "root", "role": "admin",
         "status": "suspended", "is_active": "on"},
        follow=True,
    )  # fmt: skip

    signed_in_superuser.refresh_from_db()
    assert signed_in_superuser.status == UserStatus.ACTIVE
    texts = [str(message) for message in response.context["messages"]]
    assert texts == ["You cannot change the status of your own account."]
    assert not LogEntry.objects.exists()
    assert not AdminAuditLog.objects.exists()


def test_a_revoked_grant_can_be_granted_again_in_the_admin(client, signed_in_superuser):
    target = UserFactory()
    role = AdminRole.objects.get(name="support_admin")
    AdminUser.objects.create(user=target, role=role, revoked_at="2026-01-01T00:00:00Z")

    client.post("/admin/accounts/adminuser/add/", {"user": target.pk, "role": role.pk})

    grant = AdminUser.objects.get(user=target)
    assert grant.revoked_at is None
    assert AdminAuditLog.objects.get().action == "role_granted"
