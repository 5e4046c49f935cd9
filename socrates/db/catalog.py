"""Reading one schema's tables, columns, constraints and indexes from pg_catalog.

Definitions come from PostgreSQL's own renderers (``pg_get_constraintdef``,
``pg_get_indexdef``), read with that schema alone on the search path, so that
the same object in two schemas renders as the same text.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    type: str
    nullable: bool
    default: str | None


@dataclass(frozen=True)
class Constraint:
    name: str
    table: str
    kind: str  # pg_constraint.contype
    definition: str
    columns: tuple[str, ...]
    deferrable: bool
    deferred: bool
    index: str | None  # the index behind a primary key or unique constraint
    ref_table: str | None
    ref_columns: tuple[str, ...]

    @property
    def signature(self) -> tuple:
        # Deferrability can be altered in place, so it does not make a
        # foreign key a different one.
        return (self.table, self.kind, DEFERRABILITY.sub("", self.definition))


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    definition: str
    unique: bool
    keys: tuple[str, ...]
    predicate: str | None
    nulls_distinct: bool
    constraint: str | None

    @property
    def body(self) -> str:
        """The definition after the table name: method, keys, predicate."""
        return INDEX_DEFINITION.match(self.definition)["body"]

    @property
    def signature(self) -> tuple:
        return (self.table, self.unique, self.body)


DEFERRABILITY = re.compile(r" (NOT )?DEFERRABLE( INITIALLY (DEFERRED|IMMEDIATE))?")
INDEX_DEFINITION = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ (?P<body>USING .*)$")


@dataclass
class Catalog:
    tables: set[str]
    columns: dict[tuple[str, str], Column]
    constraints: list[Constraint]
    indexes: list[Index]

    def without(self, table: str) -> Catalog:
        return Catalog(
            self.tables - {table},
            {key: column for key, column in self.columns.items() if key[0] != table},
            [c for c in self.constraints if c.table != table],
            [i for i in self.indexes if i.table != table],
        )


def _names(key: str, relation: str) -> str:
    return f"""ARRAY(SELECT a.attname::text FROM unnest({key}) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = k.num
                     ORDER BY k.ord)"""


@contextmanager
def search_path(cursor, schema: str):
    """``schema`` alone on the search path, for the rest of the block (in a transaction)."""
    cursor.execute("SELECT current_setting('search_path')")
    (previous,) = cursor.fetchone()
    cursor.execute("SELECT set_config('search_path', %s, true)", [schema])
    try:
        yield
    finally:
        cursor.execute("SELECT set_config('search_path', %s, true)", [previous])


def read_catalog(cursor, schema: str) -> Catalog:
    """The tables, columns, constraints and indexes of ``schema``.

    Read with ``schema`` alone on the search path, so that definitions name
    its tables unqualified and two schemas' definitions compare as text.
    """
    with search_path(cursor, schema):
        return _read_catalog(cursor, schema)


def _read_catalog(cursor, schema: str) -> Catalog:
    cursor.execute(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relkind IN ('r', 'p')""",
        [schema],
    )
    tables = {name for (name,) in cursor.fetchall()}
    cursor.execute(
        """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
                  pg_get_expr(d.adbin, d.adrelid)
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0
             AND NOT a.attisdropped""",
        [schema],
    )
    columns = {(table, name): Column(*shape) for table, name, *shape in cursor.fetchall()}
    cursor.execute(
        f"""SELECT con.conname, c.relname, con.contype, pg_get_constraintdef(con.oid),
                   {_names("con.conkey", "con.conrelid")}, con.condeferrable, con.condeferred,
                   CASE WHEN con.contype IN ('p', 'u', 'x') THEN i.relname END,
                   ref.relname, {_names("con.confkey", "con.confrelid")}
            FROM pg_constraint con
            JOIN pg_class c ON c.oid = con.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_class i ON i.oid = con.conindid
            LEFT JOIN pg_class ref ON ref.oid = con.confrelid
            -- PostgreSQL 18 lists NOT NULL as constraints too: columns say that.
            WHERE n.nspname = %s AND con.contype <> 'n'""",
        [schema],
    )
    constraints = [
        Constraint(name, table, kind, definition, tuple(cols), deferrable, deferred, index, ref,
                   tuple(ref_cols))
        for name, table, kind, definition, cols, deferrable, deferred, index, ref, ref_cols
        in cursor.fetchall()
    ]  # fmt: skip
    backing = {c.index: c.name for c in constraints if c.index}
    cursor.execute(
        """SELECT i.relname, t.relname, pg_get_indexdef(i.oid), ix.indisunique,
                  ARRAY(SELECT pg_get_indexdef(i.oid, k, true)
                        FROM generate_series(1, ix.indnkeyatts) k ORDER BY k),
                  pg_get_expr(ix.indpred, ix.indrelid, true), NOT ix.indnullsnotdistinct
           FROM pg_index ix
           JOIN pg_class i ON i.oid = ix.indexrelid
           JOIN pg_class t ON t.oid = ix.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           WHERE n.nspname = %s""",
        [schema],
    )
    indexes = [
        Index(name, table, definition, unique, tuple(keys), predicate, distinct, backing.get(name))
        for name, table, definition, unique, keys, predicate, distinct in cursor.fetchall()
    ]
    return Catalog(tables, columns, constraints, indexes)
