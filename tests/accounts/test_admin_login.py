"""A superuser made with ``createsuperuser`` (no --database) can use the admin."""

import pytest
from django.core.management import call_command

from accounts.models import User, UserRole

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def test_createsuperuser_writes_an_admin_to_the_auth_database(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Str0ng-Pass-99")

    call_command("createsuperuser", interactive=False, email="root@example.com", username="root")

    user = User.objects.get(email="root@example.com")
    assert user.role == UserRole.ADMIN
    assert user.check_password("Str0ng-Pass-99")


def test_admin_users_reach_the_admin_and_others_do_not(client):
    admin = User.objects.create_superuser("root@example.com", "Str0ng-Pass-99")
    member = User.objects.create_user("member@example.com", "Str0ng-Pass-99")

    client.force_login(member)
    assert client.get("/admin/").status_code == 302

    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
