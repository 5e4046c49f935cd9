"""DRF's pagination, reproduced: the same pages, the same links.

Page numbers (StandardPagination): ``count``, ``next``, ``previous``, 50 a page.
Cursors (ChronologicalCursorPagination = DRF CursorPagination on ``created_at``):
an opaque base64 query string with ``p`` (the position, ``str()`` of the
timestamp), ``o`` (an offset past rows sharing that position) and ``r``
(reversed); links are built exactly as ``CursorPagination.get_next_link`` and
``get_previous_link`` build them.
"""

import base64
from dataclasses import dataclass
from datetime import datetime
from urllib import parse

from starlette.requests import Request

from bench.peers.legacy.errors import ApiError

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# BIGINT's upper bound // MAX_PAGE_SIZE: beyond any page, within OFFSET's range.
MAX_PAGE = (2**63 - 1) // MAX_PAGE_SIZE
# DRF's CursorPagination.offset_cutoff.
OFFSET_CUTOFF = 1000


def positive_int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        message = f"A whole number from 1 to {maximum}."
        raise ApiError(400, f"{name}: {message}", "invalid", {name: [message]})
    return int(raw)


def replace_query_param(url: str, key: str, value) -> str:
    """DRF's rest_framework.utils.urls.replace_query_param."""
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    query_dict = parse.parse_qs(query, keep_blank_values=True)
    query_dict[key] = [value]
    query = parse.urlencode(sorted(query_dict.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


def remove_query_param(url: str, key: str) -> str:
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    query_dict = parse.parse_qs(query, keep_blank_values=True)
    query_dict.pop(key, None)
    query = parse.urlencode(sorted(query_dict.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


# Page numbers ---------------------------------------------------------------------


@dataclass
class PageWindow:
    """The page asked for (``?page``, ``?page_size``, checked before anything is
    counted, as DRF does), then sliced to what exists by ``fit``."""

    number: int
    size: int
    offset: int = 0
    limit: int = 0
    count: int = 0

    @classmethod
    def from_request(cls, request: Request) -> "PageWindow":
        size = positive_int_param(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
        return cls(number=positive_int_param(request, "page", 1, MAX_PAGE), size=size)

    def fit(self, count: int) -> None:
        """Django's Paginator: an empty first page is allowed; a page past the
        last is a 404; the last page is cut at ``count``."""
        pages = max(1, -(-count // self.size))
        if self.number > pages:
            raise ApiError(404, "Invalid page.", "not_found")
        self.count = count
        self.offset = (self.number - 1) * self.size
        self.limit = min(self.offset + self.size, count) - self.offset

    def links(self, request: Request) -> tuple[str | None, str | None]:
        url = str(request.url)
        has_next = self.number * self.size < self.count
        next_link = replace_query_param(url, "page", self.number + 1) if has_next else None
        if self.number == 1:
            previous_link = None
        elif self.number == 2:
            previous_link = remove_query_param(url, "page")
        else:
            previous_link = replace_query_param(url, "page", self.number - 1)
        return next_link, previous_link


# Cursors ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    offset: int
    reverse: bool
    position: str | None


def decode_cursor(request: Request) -> Cursor | None:
    encoded = request.query_params.get("cursor")
    if encoded is None:
        return None
    try:
        querystring = base64.b64decode(encoded.encode("ascii")).decode("ascii")
        tokens = parse.parse_qs(querystring, keep_blank_values=True)
        offset = int(tokens.get("o", ["0"])[0])
        if offset < 0:
            raise ValueError(offset)
        reverse = bool(int(tokens.get("r", ["0"])[0]))
        position = tokens.get("p", [None])[0]
        if position is not None:
            # Django parses the position into the column's type for the filter.
            datetime.fromisoformat(position)
    except (TypeError, ValueError):
        raise ApiError(404, "Invalid cursor", "not_found") from None
    return Cursor(min(offset, OFFSET_CUTOFF), reverse, position)


def encode_cursor(request: Request, cursor: Cursor) -> str:
    tokens = {}
    if cursor.offset != 0:
        tokens["o"] = str(cursor.offset)
    if cursor.reverse:
        tokens["r"] = "1"
    if cursor.position is not None:
        tokens["p"] = cursor.position
    querystring = parse.urlencode(tokens, doseq=True)
    encoded = base64.b64encode(querystring.encode("ascii")).decode("ascii")
    return replace_query_param(str(request.url), "cursor", encoded)


def position_of(row) -> str:
    return str(row.created_at)


def _marker(rows, compare: str | None) -> tuple[str, int] | None:
    """The first of ``rows`` whose position differs from the one before it
    (``compare`` before the first): its position, and how many rows came first."""
    for skipped, row in enumerate(rows):
        position = position_of(row)
        if position != compare:
            return position, skipped
        compare = position
    return None


@dataclass
class CursorPage:
    """One page of rows read by ``cursor`` (``rows``: up to size + 1, in query order)."""

    cursor: Cursor | None
    size: int
    rows: list

    def __post_init__(self):
        cursor, size = self.cursor, self.size
        if cursor is None:
            offset, reverse, current = 0, False, None
        else:
            offset, reverse, current = cursor.offset, cursor.reverse, cursor.position
        self.page = self.rows[:size]
        following = position_of(self.rows[-1]) if len(self.rows) > size else None
        if reverse:
            self.page.reverse()
            self.has_next = current is not None or offset > 0
            self.has_previous = following is not None
            self.next_position = current if self.has_next else None
            self.previous_position = following
        else:
            self.has_next = following is not None
            self.has_previous = current is not None or offset > 0
            self.next_position = following
            self.previous_position = current if self.has_previous else None

    def next_link(self, request: Request) -> str | None:
        if not self.has_next:
            return None
        cursor = self.cursor
        if self.page and cursor and cursor.reverse and cursor.offset != 0:
            # Turning round from an offset cursor: the first position found
            # can't be the marker.
            compare = position_of(self.page[-1])
        else:
            compare = self.next_position
        # The last row whose position differs from the row after it marks the
        # page's end; the rows after it sharing its successor's position are the offset.
        marker = _marker(reversed(self.page), compare)
        offset, position = (marker[1], marker[0]) if marker else (0, None)
        if self.page and marker is None:
            if not self.has_previous:
                offset, position = self.size, None
            elif cursor.reverse:
                offset, position = 0, self.previous_position
            else:
                offset, position = cursor.offset + self.size, self.previous_position
        if not self.page:
            position = self.next_position
        return encode_cursor(request, Cursor(offset, False, position))

    def previous_link(self, request: Request) -> str | None:
        if not self.has_previous:
            return None
        cursor = self.cursor
        if self.page and cursor and not cursor.reverse and cursor.offset != 0:
            compare = position_of(self.page[0])
        else:
            compare = self.previous_position
        marker = _marker(self.page, compare)
        offset, position = (marker[1], marker[0]) if marker else (0, None)
        if self.page and marker is None:
            if not self.has_next:
                offset, position = self.size, None
            elif cursor.reverse:
                offset, position = cursor.offset + self.size, self.next_position
            else:
                offset, position = 0, self.next_position
        if not self.page:
            position = self.previous_position
        return encode_cursor(request, Cursor(offset, True, position))
