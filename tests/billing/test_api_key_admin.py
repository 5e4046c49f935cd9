"""API keys in the Django admin: read, revoked through the service, hash never shown."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AdminPermission, User, UserRole
from billing import services
from billing.models import APIKey, APIKeyStatus
from collaboration.models import ActivityAction, ActivityLog
from collaboration.services import ActivityContext
from tests.accounts.factories import UserFactory, admin_with

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

CHANGELIST = "/admin/billing/apikey/"


@pytest.fixture
def issued():
    return services.create_api_key(
        context=ActivityContext(user_id=UserFactory().pk), name="deploy bot", scope=["read"]
    )


def staff_with(*permissions) -> User:
    user = admin_with(*permissions)
    User.objects.filter(pk=user.pk).update(role=UserRole.ADMIN)
    return User.objects.get(pk=user.pk)


def test_the_pages_show_the_preview_never_the_hash_or_the_key(client, issued):
    client.force_login(staff_with(AdminPermission.USERS_VIEW))

    listed = client.get(CHANGELIST)
    opened = client.get(f"{CHANGELIST}{issued.api_key.pk}/change/")

    for page in (listed, opened):
        assert page.status_code == 200
        html = page.content.decode()
        assert "deploy bot" in html
        assert issued.api_key.key_preview in html
        assert issued.api_key.key_hash not in html
        assert issued.secret not in html
    assert "Revoke the selected keys" not in listed.content.decode()
    assert client.get(f"{CHANGELIST}add/").status_code == 403


def test_revoking_in_the_admin_goes_through_the_service(client, issued):
    revoker = staff_with(AdminPermission.USERS_VIEW, AdminPermission.USERS_SUSPEND)
    client.force_login(revoker)

    client.post(CHANGELIST, {"action": "revoke", "_selected_action": [issued.api_key.pk]})

    assert APIKey.objects.get(pk=issued.api_key.pk).status == APIKeyStatus.REVOKED
    revoked = ActivityLog.objects.get(action=ActivityAction.API_KEY_REVOKED)
    assert revoked.user_id == revoker.pk


def test_the_admin_shows_and_filters_a_key_past_its_expiry_as_expired(client, issued):
    APIKey.objects.filter(pk=issued.api_key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client.force_login(staff_with(AdminPermission.USERS_VIEW))

    opened = client.get(f"{CHANGELIST}{issued.api_key.pk}/change/").content.decode()
    expired = client.get(CHANGELIST, {"status": "expired"}).context["cl"].result_list
    active = client.get(CHANGELIST, {"status": "active"}).context["cl"].result_list

    assert '<div class="readonly">expired</div>' in opened
    assert [key.pk for key in expired] == [issued.api_key.pk]
    assert list(active) == []
