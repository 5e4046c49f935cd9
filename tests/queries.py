"""Counting the SQL queries a list costs, on both databases."""

from django.db import connections
from django.test.utils import CaptureQueriesContext


def list_queries(client, url: str, *, page_size: int, rows: int | None = None) -> int:
    """Queries on ``auth`` and ``specs`` for one page of a list, checked to hold ``rows`` results.

    ``rows`` is ``page_size`` unless given: a full page. Page-number and cursor pagination
    both answer with ``results``.
    """
    with (
        CaptureQueriesContext(connections["auth"]) as auth,
        CaptureQueriesContext(connections["specs"]) as specs,
    ):
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, response.data
    assert len(response.data["results"]) == (page_size if rows is None else rows), url
    return len(auth) + len(specs)
