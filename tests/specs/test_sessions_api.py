"""Sessions and their conversation: message_count stays equal to the messages."""

import base64
import threading
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from collaboration.models import SharePermission
from specs import services
from specs.models import ConversationMessage, Session
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory, ShareFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def sessions_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/sessions/"


def test_a_session_is_started_by_an_editor_and_ended_once(client_for):
    project = ProjectFactory()
    editor = UserFactory()
    ShareFactory(
        project=project, shared_with_user_id=editor.pk, permission_level=SharePermission.EDIT
    )
    client = client_for(editor)

    started = client.post(sessions_url(project), {"title": "Kick-off", "status": "completed"})
    ended = client.post(f"{sessions_url(project)}{started.data['id']}/end/")
    again = client.post(f"{sessions_url(project)}{started.data['id']}/end/")

    assert started.status_code == 201, started.data
    assert (started.data["user_id"], started.data["status"]) == (str(editor.pk), "active")
    assert started.data["mode"] == "socratic"
    assert (ended.status_code, ended.data["status"]) == (200, "completed")
    assert ended.data["ended_at"] is not None
    assert again.status_code == 409


def test_posting_messages_counts_them_and_pages_by_cursor(client_for):
    project = ProjectFactory()
    owner = client_for(User.objects.get(pk=project.owner_id))
    session = owner.post(sessions_url(project), {}).data
    messages_url = f"{sessions_url(project)}{session['id']}/messages/"

    for n in range(5):
        response = owner.post(messages_url, {"role": "user", "content": f"answer {n}"})
        assert response.status_code == 201, response.data
    first = owner.get(messages_url, {"page_size": 2}).data
    with CaptureQueriesContext(connections["specs"]) as queries:
        second = owner.get(first["next"]).data
        specs_statements = len(queries)

    assert Session.objects.get(pk=session["id"]).message_count == 5
    assert [m["content"] for m in first["results"]] == ["answer 0", "answer 1"]
    assert [m["content"] for m in second["results"]] == ["answer 2", "answer 3"]
    assert "count" not in first
    # The access check (which finds the session too) and the page.
    assert specs_statements == 2


def test_walking_a_conversation_forward_then_back_shows_each_message_once(client_for):
    project = ProjectFactory()
    session = Session.objects.create(project=project)
    start = timezone.now()
    # Three messages written at one instant straddle a page boundary.
    ConversationMessage.objects.bulk_create(
        ConversationMessage(
            session=session,
            role="user",
            content=f"m{n}",
            created_at=start + timedelta(seconds=offset),
        )
        for n, offset in enumerate((0, 1, 1, 1, 2, 3, 4))
    )
    ids = {m.content: m.pk for m in ConversationMessage.objects.filter(session=session)}
    owner = client_for(User.objects.get(pk=project.owner_id))

    page = owner.get(f"{sessions_url(project)}{session.pk}/messages/", {"page_size": 2}).data
    forward = [m["content"] for m in page["results"]]
    while page["next"]:
        page = owner.get(page["next"]).data
        forward += [m["content"] for m in page["results"]]
    backward = [m["content"] for m in page["results"]]
    while page["previous"]:
        page = owner.get(page["previous"]).data
        backward = [m["content"] for m in page["results"]] + backward

    # Between messages written at one instant, the order is their ids'.
    tied = sorted(["m1", "m2", "m3"], key=lambda content: ids[content])
    assert forward == backward == ["m0", *tied, "m4", "m5", "m6"]


@pytest.mark.parametrize("position", ["not-a-date", "2026-13-45 99:00:00+00:00", ""])
def test_a_cursor_whose_position_is_no_timestamp_is_not_found(client_for, position):
    project = ProjectFactory()
    session = Session.objects.create(project=project)
    cursor = base64.b64encode(urlencode({"p": position}).encode()).decode()

    response = client_for(User.objects.get(pk=project.owner_id)).get(
        f"{sessions_url(project)}{session.pk}/messages/", {"cursor": cursor}
    )

    assert (response.status_code, response.data["detail"]) == (404, "Invalid cursor")


def test_a_viewer_reads_the_conversation_but_cannot_post(client_for):
    project = ProjectFactory()
    viewer = UserFactory()
    ShareFactory(project=project, shared_with_user_id=viewer.pk)
    session = Session.objects.create(project=project)
    url = f"{sessions_url(project)}{session.pk}/messages/"

    assert client_for(viewer).get(url).status_code == 200
    assert client_for(viewer).post(url, {"role": "user", "content": "hi"}).status_code == 403


def test_a_session_of_another_project_is_not_found(client_for):
    project, other = ProjectFactory(), ProjectFactory()
    session = Session.objects.create(project=other)
    owner = client_for(User.objects.get(pk=project.owner_id))

    url = f"{sessions_url(project)}{session.pk}/messages/"

    with CaptureQueriesContext(connections["specs"]) as queries:
        response = owner.get(url)
        specs_statements = len(queries)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such session.", "code": "not_found"}
    assert owner.post(url, {"role": "user", "content": "hi"}).status_code == 404
    # The session is looked for in the access check's own statement.
    assert specs_statements == 1


@pytest.mark.django_db(databases=["specs"], transaction=True)
def test_message_count_is_exact_under_concurrent_posts():
    session = Session.objects.create(project=ProjectFactory(owner_id=uuid.uuid4()))
    errors = []

    def post(n):
        try:
            services.post_message(session=session, role="user", content=f"message {n}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    session.refresh_from_db()
    assert session.message_count == ConversationMessage.objects.filter(session=session).count()
    assert session.message_count == 20


def test_an_ended_session_stays_ended_and_completing_by_status_ends_it(client_for):
    project = ProjectFactory()
    owner = client_for(User.objects.get(pk=project.owner_id))
    session = owner.post(sessions_url(project), {}).data
    url = f"{sessions_url(project)}{session['id']}/"

    completed = owner.patch(url, {"status": "completed", "title": "Done"}, format="json")
    reopened = owner.patch(url, {"status": "active"}, format="json")

    assert (completed.data["status"], completed.data["title"]) == ("completed", "Done")
    assert completed.data["ended_at"] is not None
    assert reopened.status_code == 409
