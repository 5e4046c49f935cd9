"""Statements sent on every request, prepared once per connection.

PostgreSQL plans each statement it receives. For the few constant statements
every request sends (the token's user; the project with the caller's access;
an API key and its count), planning costs more than running them: PREPAREd
once per server session, they are planned once, and PostgreSQL re-plans them
itself when a table they read changes. A prepared statement lives in its
server session, so behind a pooler that shares sessions between clients
(PgBouncer in transaction mode), ``DATABASE_DEDICATED_SESSIONS=false`` sends
the statements themselves.
"""

import re
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db import connections, router
from django.db.models import Model

from socrates.db.models import converted_rows


def columns_of(model: type[Model]) -> str:
    """The model's columns, named: a prepared ``SELECT table.*`` would fail
    once a migration adds a column (its result type may not change)."""
    table = model._meta.db_table
    return ", ".join(f'{table}."{field.column}"' for field in model._meta.concrete_fields)


# A fetched row, and the names of its columns.
Fetched = tuple[tuple, list[str]]


class PreparedStatement:
    """A statement on the database of ``model`` (written to when ``writes``),
    whose parameters have the given PostgreSQL types: positional ``%s``
    placeholders and a tuple of types, or ``%(name)s`` placeholders and a
    mapping of names to types."""

    def __init__(
        self,
        name: str,
        model: type[Model],
        sql: str,
        parameter_types: Sequence[str] | Mapping[str, str],
        *,
        writes: bool = False,
    ):
        self.name = name
        self.model = model
        self.sql = sql
        self.writes = writes
        if isinstance(parameter_types, Mapping):
            numbers = {key: n for n, key in enumerate(parameter_types, 1)}
            body = re.sub(r"%\((\w+)\)s", lambda match: f"${numbers[match[1]]}", sql)
            placeholders = [f"%({key})s" for key in parameter_types]
            types = list(parameter_types.values())
        else:
            counter = iter(range(1, len(parameter_types) + 1))
            body = re.sub("%s", lambda _: f"${next(counter)}", sql)
            placeholders = ["%s"] * len(parameter_types)
            types = list(parameter_types)
        self._definition = f"PREPARE {name} ({', '.join(types)}) AS {body}"
        self._execute = f"EXECUTE {name} ({', '.join(placeholders)})"
        self._fields = model._meta.concrete_fields

    def _database(self):
        route = router.db_for_write if self.writes else router.db_for_read
        return connections[route(self.model)]

    def fetch(self, parameters) -> Fetched | None:
        """The first row and the names of its columns, or None."""
        connection = self._database()
        # Opening the cursor runs the health check, which may reconnect.
        with connection.cursor() as cursor:
            if not settings.DATABASE_DEDICATED_SESSIONS:
                cursor.execute(self.sql, parameters)
            else:
                if self.name not in connection.prepared_statements:
                    cursor.execute(self._definition)
                    connection.prepared_statements.add(self.name)
                cursor.execute(self._execute, parameters)
            row = cursor.fetchone()
            return None if row is None else (row, [column.name for column in cursor.description])

    def row(self, parameters) -> tuple | None:
        """The first row, as it comes."""
        found = self.fetch(parameters)
        return None if found is None else found[0]

    def first(self, parameters) -> Model | None:
        """The first row as a ``model`` instance (``instance``), or None."""
        found = self.fetch(parameters)
        return None if found is None else self.instance(*found)

    def instance(self, row: tuple, names: list[str]) -> Model:
        """A fetched row as a ``model`` instance: the statement selects
        ``columns_of(model)``, then any further columns, which become
        attributes. Built as Django's own queries build rows (``from_db`` after
        each field's converters), but without composing a query: at two
        statements a request, RawQuerySet cost more than the statement."""
        connection = self._database()
        count = len(self._fields)
        (values,) = converted_rows([row[:count]], self._fields, connection)
        instance = self.model.from_db(
            connection.alias, [field.attname for field in self._fields], values
        )
        for name, value in zip(names[count:], row[count:], strict=True):
            setattr(instance, name, value)
        return instance
