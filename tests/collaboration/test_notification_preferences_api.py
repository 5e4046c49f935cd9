"""Notification preferences: your own, one per type, quiet hours as HH:MM."""

import pytest

from collaboration.models import NotificationPreference
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

API = "/api/v1/notification-preferences/"


def test_a_preference_is_the_callers_and_one_per_type(client_for):
    user, other = UserFactory(), UserFactory()
    body = {"notification_type": "mentions", "user_id": str(other.pk), "frequency": "daily"}

    created = client_for(user).post(API, body, format="json")
    duplicate = client_for(user).post(API, body, format="json")

    assert created.status_code == 201, created.data
    assert created.data["user_id"] == str(user.pk)
    assert duplicate.status_code == 409
    assert client_for(other).get(f"{API}{created.data['id']}/").status_code == 404
    assert client_for(other).get(API).data["count"] == 0


@pytest.mark.parametrize("value", ["24:00", "9:00", "ab:cd", "12:60", "12:00:00"])
def test_quiet_hours_must_be_hh_mm(client_for, value):
    response = client_for(UserFactory()).post(
        API, {"notification_type": "digest", "quiet_hours_start": value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["quiet_hours_start"]
    assert not NotificationPreference.objects.exists()


def test_a_preference_changes_but_keeps_its_type(client_for):
    client = client_for(UserFactory())
    url = f"{API}{client.post(API, {'notification_type': 'digest'}).data['id']}/"

    changed = client.patch(url, {"quiet_hours_start": "22:30", "quiet_hours_enabled": True})
    retyped = client.patch(url, {"notification_type": "other"})

    assert (changed.status_code, changed.data["quiet_hours_start"]) == (200, "22:30")
    assert (retyped.status_code, list(retyped.data["fields"])) == (400, ["notification_type"])
    assert client.delete(url).status_code == 204


def test_a_boolean_in_json_is_true_or_false_only_while_a_form_sends_text(client_for):
    client = client_for(UserFactory())

    refused = [
        client.post(API, {"notification_type": "digest", "slack_enabled": value}, format="json")
        for value in (0, 1, "true", "on")
    ]
    form = client.post(
        API, {"notification_type": "digest", "slack_enabled": "true"}, format="multipart"
    )

    assert [(r.status_code, list(r.json()["fields"])) for r in refused] == [
        (400, ["slack_enabled"])
    ] * 4
    assert (form.status_code, form.json()["slack_enabled"]) == (201, True)
