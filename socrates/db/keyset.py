"""A cursor page of one parent's rows, by statements written once.

DRF's CursorPagination asks a queryset for three things: an order by the
cursor's column (either way), a filter past a position, and a slice. Composed
by the ORM, those cost a message page more than PostgreSQL's work for it.
``KeysetRows`` answers the same three with one of four statements (either
order, with or without a position), written once per process, and gives rows
as the queryset would: dicts after ``values()``, model instances otherwise.

They are not prepared (``socrates.db.prepared``): planning them is cheap, and
a plan made once for every parent would serve a parent of a million rows as
it serves one of ten (by its parent's index, then a sort of all its rows).
Planned for each parent, as the ORM's would be, they read the page in order.
"""

from functools import cache

from django.db import connections, router
from django.db.models import Model

from socrates.db.models import converted_rows


class KeysetRows:
    """The rows of ``model`` whose ``parent`` is ``parent_id``, in the order of
    ``key`` then the primary key, as CursorPagination reads a queryset."""

    def __init__(self, model: type[Model], *, parent: str, parent_id, key: str):
        self.model = model
        self.parent_id = parent_id
        self._parent = model._meta.get_field(parent)
        self._key = model._meta.get_field(key)
        self._fields = tuple(model._meta.concrete_fields)
        self._as_dicts = False
        self._descending = False
        self._after = None

    def _copy(self, **changes) -> "KeysetRows":
        copy = object.__new__(KeysetRows)
        copy.__dict__.update(self.__dict__, **changes)
        return copy

    def values(self, *attnames: str) -> "KeysetRows":
        fields = tuple(self.model._meta.get_field(name) for name in attnames)
        return self._copy(_fields=fields, _as_dicts=True)

    def order_by(self, *ordering: str) -> "KeysetRows":
        # The key, then the primary key between rows of one key, both one way.
        descending = ordering[0].startswith("-")
        sign = "-" if descending else ""
        if ordering not in ((f"{sign}{self._key.name}", f"{sign}{self.model._meta.pk.name}"),):
            raise ValueError(
                f"Rows are read in the order of {self._key.name} then the primary key,"
                f" not {', '.join(ordering)}."
            )
        return self._copy(_descending=descending)

    def filter(self, **past_position) -> "KeysetRows":
        # The paginator filters in its order's direction: a position is where
        # the page starts, exclusive.
        ((lookup, position),) = past_position.items()
        if lookup != f"{self._key.name}__{'lt' if self._descending else 'gt'}":
            raise ValueError(f"Rows are read past a position in their order, not by {lookup}.")
        return self._copy(_after=self._key.to_python(position))

    def __getitem__(self, window: slice) -> list:
        connection = connections[router.db_for_read(self.model)]
        positioned = self._after is not None
        statement = _page_statement(
            self.model, self._fields, self._parent, self._key, self._descending, positioned
        )
        parameters = [self._parent.get_db_prep_value(self.parent_id, connection)]
        if positioned:
            parameters.append(self._key.get_db_prep_value(self._after, connection))
        parameters += [window.stop - window.start, window.start]
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            rows = converted_rows(cursor.fetchall(), self._fields, connection)
        attnames = [field.attname for field in self._fields]
        if self._as_dicts:
            return [dict(zip(attnames, row, strict=True)) for row in rows]
        return [self.model.from_db(connection.alias, attnames, row) for row in rows]


@cache
def _page_statement(model, fields, parent, key, descending: bool, positioned: bool) -> str:
    columns = ", ".join(f'"{field.column}"' for field in fields)
    direction, past = ("DESC", "<") if descending else ("ASC", ">")
    condition = f'"{parent.column}" = %s' + (f' AND "{key.column}" {past} %s' if positioned else "")
    return (
        f'SELECT {columns} FROM "{model._meta.db_table}" WHERE {condition}'
        f' ORDER BY "{key.column}" {direction}, "{model._meta.pk.column}" {direction}'
        " LIMIT %s OFFSET %s"
    )
