"""Statements sent on every request, prepared once per connection.

PostgreSQL plans each statement it receives. For the few constant statements
every request sends (the token's user; the project with the caller's access),
planning costs more than running them: PREPAREd once per server session, they
are planned once, and PostgreSQL re-plans them itself when a table they read
changes. A prepared statement lives in its server session, so behind a pooler
that shares sessions between clients (PgBouncer in transaction mode) they are
turned off with ``DATABASE_PREPARED_STATEMENTS=false``.
"""

import re

from django.conf import settings
from django.db import connections, router
from django.db.models import Model


def columns_of(model: type[Model]) -> str:
    """The model's columns, named: a prepared ``SELECT table.*`` would fail
    once a migration adds a column (its result type may not change)."""
    table = model._meta.db_table
    return ", ".join(f'{table}."{field.column}"' for field in model._meta.concrete_fields)


class PreparedStatement:
    """A query of one ``model`` row: it selects ``columns_of(model)``, then any
    further columns, which become attributes of the instance. The SQL has
    ``%s`` placeholders for parameters of ``parameter_types``."""

    def __init__(self, name: str, model: type[Model], sql: str, parameter_types: tuple[str, ...]):
        self.name = name
        self.model = model
        self.sql = sql
        numbers = iter(range(1, len(parameter_types) + 1))
        self._definition = f"PREPARE {name} ({', '.join(parameter_types)}) AS " + re.sub(
            "%s", lambda _: f"${next(numbers)}", sql
        )
        self._execute = f"EXECUTE {name} ({', '.join(['%s'] * len(parameter_types))})"
        self._fields = model._meta.concrete_fields

    def first(self, parameters: list) -> Model | None:
        """The first row as a model instance, or None. Built as Django's own
        queries build rows (``from_db`` after each field's converters), but
        without composing a query: at two statements a request, RawQuerySet
        cost more than the statement."""
        connection = connections[router.db_for_read(self.model)]
        # Opening the cursor runs the health check, which may reconnect.
        with connection.cursor() as cursor:
            if not settings.DATABASE_PREPARED_STATEMENTS:
                cursor.execute(self.sql, parameters)
            else:
                if self.name not in connection.prepared_statements:
                    cursor.execute(self._definition)
                    connection.prepared_statements.add(self.name)
                cursor.execute(self._execute, parameters)
            row = cursor.fetchone()
            extra = [column.name for column in cursor.description[len(self._fields) :]]
        if row is None:
            return None
        values = list(row[: len(self._fields)])
        for index, field in enumerate(self._fields):
            for converter in field.get_db_converters(connection):
                values[index] = converter(values[index], field.cached_col, connection)
        instance = self.model.from_db(
            connection.alias, [field.attname for field in self._fields], values
        )
        for name, value in zip(extra, row[len(self._fields) :], strict=True):
            setattr(instance, name, value)
        return instance
