"""A cursor page read by KeysetRows is the page the ORM's queryset reads."""

from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from specs import selectors
from specs.models import ConversationMessage, Session
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

COLUMNS = ["id", "session_id", "content", "metadata", "created_at"]
# Seconds after the start: the fourth to sixth messages were written at once.
OFFSETS = (0, 1, 2, 3, 3, 3, 4, 5, 6, 7)


@pytest.fixture
def conversation():
    session = Session.objects.create(project=ProjectFactory())
    start = timezone.now()
    times = [start + timedelta(seconds=offset) for offset in OFFSETS]
    ConversationMessage.objects.bulk_create(
        ConversationMessage(
            session=session, role="user", content=f"m{n}", metadata={"n": n}, created_at=time
        )
        for n, time in enumerate(times)
    )
    ConversationMessage.objects.create(
        session=Session.objects.create(project=session.project), role="user", content="elsewhere"
    )
    return session, times


@pytest.mark.parametrize("ordering", [("created_at", "id"), ("-created_at", "-id")])
@pytest.mark.parametrize("position", [None, 1, 4])
@pytest.mark.parametrize("window", [slice(0, 3), slice(2, 5), slice(0, 20)])
def test_a_page_is_the_rows_the_orm_reads(conversation, ordering, position, window):
    session, times = conversation
    orm = ConversationMessage.objects.filter(session=session).values(*COLUMNS).order_by(*ordering)
    keyset = selectors.conversation(session.pk).values(*COLUMNS).order_by(*ordering)
    if position is not None:
        # As CursorPagination filters: past the position, in the order's direction.
        past = "created_at__lt" if ordering[0].startswith("-") else "created_at__gt"
        orm = orm.filter(**{past: str(times[position])})
        keyset = keyset.filter(**{past: str(times[position])})

    with CaptureQueriesContext(connections["specs"]) as queries:
        page = keyset[window]

    assert page == list(orm[window])
    assert page or window.start > 0
    assert len(queries) == 1


def test_without_values_rows_are_instances(conversation):
    session, _ = conversation

    page = selectors.conversation(session.pk).order_by("created_at", "id")[0:5]

    expected = ConversationMessage.objects.filter(session=session).order_by("created_at", "id")[:5]
    assert [(m.pk, m.content, m.metadata, m.created_at) for m in page] == [
        (m.pk, m.content, m.metadata, m.created_at) for m in expected
    ]


def test_another_order_or_filter_is_refused(conversation):
    session, times = conversation
    rows = selectors.conversation(session.pk)

    for ordering in (["content"], ["created_at"], ["created_at", "-id"]):
        with pytest.raises(ValueError, match="order of created_at then the primary key"):
            rows.order_by(*ordering)
    with pytest.raises(ValueError, match="past a position"):
        rows.order_by("created_at", "id").filter(created_at__lt=str(times[0]))
