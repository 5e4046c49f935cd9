from django.core.paginator import Paginator
from django.db.models import Count, Window
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

from socrates.api.validation import BIGINT_RANGE


def positive_int_param(request, name: str, default: int, maximum: int) -> int:
    """A whole number from 1 to ``maximum``, or a 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValidationError({name: [f"A whole number from 1 to {maximum}."]})
    return int(raw)


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    # Beyond any real page, but an integer PostgreSQL's OFFSET accepts.
    max_page = BIGINT_RANGE[1] // max_page_size

    def get_page_size(self, request):
        return positive_int_param(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def get_page_number(self, request, paginator):
        return positive_int_param(request, self.page_query_param, 1, self.max_page)

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.page_query_param: {"minimum": 1, "maximum": self.max_page},
            self.page_size_query_param: {
                "minimum": 1,
                "maximum": self.max_page_size,
                "default": self.page_size,
            },
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(bounds[parameter["name"]])
        return parameters


class PageWithCountPaginator(Paginator):
    """A page and the total in one statement: each row of the page carries
    ``COUNT(*) OVER ()``, so the rows are found once instead of twice."""

    def page(self, number):
        bottom = (int(number) - 1) * self.per_page
        rows = list(
            self.object_list.annotate(total_rows=Window(Count("pk")))[
                bottom : bottom + self.per_page
            ]
        )
        # A page past the end has no row to carry the total: counted apart.
        if rows:
            first = rows[0]
            self.count = first["total_rows"] if isinstance(first, dict) else first.total_rows
        else:
            self.count = self.object_list.count()
        return self._get_page(rows, self.validate_number(number), self)


class SmallListPagination(StandardPagination):
    """For lists whose every row is found through an index anyway, such as a
    caller's projects (through their shares). On a whole large table, where
    an index on the ordering can stop a page early, two statements are
    cheaper: the window count reads every row."""

    django_paginator_class = PageWithCountPaginator


class ChronologicalCursorPagination(CursorPagination):
    """Oldest first, by an opaque cursor: a deep page costs what the first
    does (no OFFSET, no COUNT)."""

    # Rows written in one transaction share created_at. A cursor steps over
    # them by counting (its offset), which needs them in the same order in
    # every statement: the id settles it.
    ordering = ("created_at", "id")
    page_size = StandardPagination.page_size
    page_size_query_param = StandardPagination.page_size_query_param
    max_page_size = StandardPagination.max_page_size

    def get_page_size(self, request):
        return positive_int_param(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A position is a created_at: any other text was not made here (and
        # would reach the database as a malformed timestamp).
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
            if not valid:
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    {"minimum": 1, "maximum": self.max_page_size, "default": self.page_size}
                )
        return parameters


class NewestFirstCursorPagination(ChronologicalCursorPagination):
    ordering = ("-created_at", "-id")
