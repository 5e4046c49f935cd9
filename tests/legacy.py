"""A legacy (Alembic-built) Socrates database pair, made from docs/SCHEMA.md.

Ground work for adopting a legacy database in place: ``legacy_ddl`` writes the
DDL that the legacy Alembic scripts left behind, as SCHEMA.md describes it;
``build_legacy_pair`` runs it into a scratch pair and ``fill_legacy_pair`` puts
rows in every table. The small catalog reader at the end reads a scratch
database over psycopg2, because the readers of tests/test_schema.py go through
Django's connections, which only reach the test databases.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from graphlib import TopologicalSorter
from pathlib import Path
from typing import NamedTuple

import bcrypt
from psycopg2.extras import Json, execute_values

from tests.postgres import ScratchPair, Server
from tests.schema_reference import (
    SCHEMA_PATH,
    Column,
    Database,
    Schema,
    SchemaDocumentError,
    Table,
    closed_set_values,
    load_schema,
)
from tests.test_schema import COLUMNS_SQL

# The password of every filled-in legacy user, so that a later test can sign in.
LEGACY_PASSWORD = "legacy-Passw0rd"
ROWS_PER_TABLE = 3


def alembic_heads(path: Path = SCHEMA_PATH) -> dict[str, str]:
    """Each alias's Alembic head revision, which only SCHEMA.md's opening prose gives."""
    match = re.search(r"auth head `(\w+)`, specs head `(\w+)`", path.read_text(encoding="utf-8"))
    if not match:
        raise SchemaDocumentError("no Alembic head revisions in the opening paragraph")
    return {"auth": match[1], "specs": match[2]}


def _quoted(name: str) -> str:
    # Columns such as key, type, value and version read better quoted everywhere.
    return f'"{name}"'


def _column_names(columns: tuple[str, ...]) -> str:
    return ", ".join(_quoted(column) for column in columns)


def dependency_order(database: Database) -> list[Table]:
    """Referenced tables before the tables whose foreign keys point at them."""
    graph = {
        name: {fk.ref_table for fk in table.foreign_keys} for name, table in database.tables.items()
    }
    return [database.tables[name] for name in TopologicalSorter(graph).static_order()]


def _column_ddl(column: Column) -> str:
    # The document spells float8 "DOUBLE PRECISION (float8)"; the rest is SQL as written.
    parts = [_quoted(column.name), column.type.removesuffix(" (float8)")]
    if not column.nullable:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    return " ".join(parts)


def _create_table(table: Table) -> str:
    lines = [_column_ddl(column) for column in table.columns.values()]
    lines.append(f'CONSTRAINT {_quoted(table.name + "_pkey")} PRIMARY KEY ("id")')
    lines += [
        f"CONSTRAINT {_quoted(name)} UNIQUE ({_column_names(columns)})"
        for name, columns in table.unique_constraints.items()
    ]
    lines += [
        f"CONSTRAINT {_quoted(fk.name)} FOREIGN KEY ({_quoted(fk.column)}) "
        f"REFERENCES {_quoted(fk.ref_table)} ({_quoted(fk.ref_column)}) ON DELETE {fk.on_delete}"
        for fk in table.foreign_keys
    ]
    lines += [
        f"CONSTRAINT {_quoted(check.name)} CHECK ({_quoted(check.column)} IN "
        f"({', '.join(_literal(value) for value in sorted(check.values))}))"
        for check in table.explicit_checks.values()
    ]
    return f"CREATE TABLE {_quoted(table.name)} (\n    " + ",\n    ".join(lines) + "\n)"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def legacy_ddl(schema: Schema, alias: str) -> list[str]:
    """The statements that give an empty database the legacy schema of ``alias``.

    CHECKs only where SCHEMA.md lists them as the catalog's (users' role and
    status); the other closed sets are the Django models' addition (rule 6).
    """
    statements = []
    for table in dependency_order(schema.databases[alias]):
        statements.append(_create_table(table))
        # The primary key and the unique constraints create their own indexes.
        statements += [
            f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {_quoted(index.name)} "
            f"ON {_quoted(table.name)} ({_column_names(index.columns)})"
            for index in table.indexes
            if not index.backs_constraint
        ]
    head = alembic_heads()[alias]
    statements += [
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        f"INSERT INTO alembic_version (version_num) VALUES ('{head}')",
    ]
    return statements


def pair_databases(pair: ScratchPair) -> tuple[tuple[str, str], ...]:
    """Each alias with the name of its database in the pair."""
    return (("auth", pair.auth), ("specs", pair.specs))


def build_legacy_pair(server: Server, pair: ScratchPair) -> None:
    """Create the pair's two databases and give them the legacy schema."""
    schema = load_schema()
    for alias, database in pair_databases(pair):
        server.execute(f'CREATE DATABASE "{database}"')
        # One round trip, which PostgreSQL runs as a single transaction.
        server.execute(";\n".join(legacy_ddl(schema, alias)), database=database)


# Filling ------------------------------------------------------------------------

START = datetime(2024, 1, 1, tzinfo=UTC)


def _value(table: Table, column: Column, row: int):
    """A value for a column without a server default, by its type.

    Closed sets get an allowed value, so that the rows stay valid under the
    CHECKs the Django schema adds. The types listed are the ones such columns
    have; a new one fails here (KeyError) rather than inserting nonsense.
    """
    allowed = closed_set_values(column)
    if allowed:
        return sorted(allowed)[row % len(allowed)]
    kind = column.type
    if kind.startswith("VARCHAR("):
        return f"{column.name}-{row}"
    if kind.startswith("NUMERIC("):
        return Decimal("0.50")  # fits every NUMERIC(p,s) of the document
    return {
        "UUID": lambda: str(uuid.uuid4()),
        "TEXT": lambda: f"{table.name}.{column.name} {row}",
        "INTEGER": lambda: row + 1,
        "JSONB": lambda: Json({"row": row}),
        "JSON": lambda: Json({"row": row}),
        "TIMESTAMPTZ": lambda: START + timedelta(days=row),
        "DOUBLE PRECISION (float8)": lambda: 0.5,
    }[kind]()


def _is_user_id(table: Table, column: Column, schema: Schema) -> bool:
    # The cross-database user ids, and admin_users.granted_by_id ("user id, no FK").
    return (table.name, column.name) in schema.user_id_columns or column.meaning.startswith(
        "user id"
    )


def _rows(table: Table, schema: Schema, ids: dict[str, list[str]], count: int):
    """Rows for one table; columns with a server default are left to it, except id."""
    foreign_keys = {fk.column: fk.ref_table for fk in table.foreign_keys}
    # Columns whose meaning a generic "<column>-<row>" would break.
    special = {
        # The legacy backend stored passlib's bcrypt; cost 4 keeps the tests fast.
        "hashed_password": lambda row: bcrypt.hashpw(
            LEGACY_PASSWORD.encode(), bcrypt.gensalt(rounds=4)
        ).decode(),
        "email": lambda row: f"legacy{row}@example.com",
        "quiet_hours_start": lambda row: "22:00",
        "quiet_hours_end": lambda row: "07:00",
    }
    for row in range(count):
        values = {"id": ids[table.name][row]}
        for column in table.columns.values():
            if column.name in values or column.default is not None:
                continue
            if column.name in foreign_keys:
                values[column.name] = ids[foreign_keys[column.name]][row]
            elif column.type == "UUID" and _is_user_id(table, column, schema):
                values[column.name] = ids["users"][row]
            elif column.name in special:
                values[column.name] = special[column.name](row)
            else:
                values[column.name] = _value(table, column, row)
        if "total_tokens" in values:
            # BEHAVIOUR.md: total_tokens = input_tokens + output_tokens is enforced.
            values["total_tokens"] = values["input_tokens"] + values["output_tokens"]
        yield values


def fill_legacy_pair(
    server: Server, pair: ScratchPair, rows_per_table: int = ROWS_PER_TABLE
) -> dict[str, int]:
    """Insert ``rows_per_table`` rows into every table; return each table's row count.

    Row n of a table points at row n of each table it references, and every
    user id (cross-database ones included) at the n-th user, so that the specs
    rows name users that exist in auth.
    """
    schema = load_schema()
    ids = {name: [str(uuid.uuid4()) for _ in range(rows_per_table)] for name in schema.tables}
    for alias, database in pair_databases(pair):
        connection = server.connect(database)
        try:
            with connection.cursor() as cursor:
                for table in dependency_order(schema.databases[alias]):
                    rows = list(_rows(table, schema, ids, rows_per_table))
                    execute_values(
                        cursor,
                        f"INSERT INTO {_quoted(table.name)} ({_column_names(tuple(rows[0]))}) "
                        "VALUES %s",
                        [list(values.values()) for values in rows],
                        page_size=1000,
                    )
        finally:
            connection.close()
    return row_counts(server, pair)


def row_counts(server: Server, pair: ScratchPair) -> dict[str, int]:
    """The number of rows in each table that SCHEMA.md describes."""
    schema = load_schema()
    return {
        table: server.execute(f"SELECT count(*) FROM {_quoted(table)}", database=database)[0][0]
        for alias, database in pair_databases(pair)
        for table in schema.databases[alias].tables
    }


# Reading the catalog of a scratch database ----------------------------------------------


class CatalogColumn(NamedTuple):
    type: str
    nullable: bool
    default: str | None


class CatalogIndex(NamedTuple):
    table: str
    columns: tuple[str, ...]
    unique: bool


class CatalogConstraint(NamedTuple):
    kind: str  # pg_constraint.contype: p, u, f or c
    table: str
    columns: tuple[str, ...]
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None  # pg_constraint.confdeltype


def _column_list(key: str, relation: str) -> str:
    """SQL for the attribute names of an int2 key array, in key order."""
    return f"""ARRAY(SELECT a.attname::text FROM unnest({key}) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute a ON a.attrelid = {relation} AND a.attnum = k.num
                     ORDER BY k.ord)"""


def catalog_columns(server: Server, database: str) -> dict[tuple[str, str], CatalogColumn]:
    rows = server.execute(COLUMNS_SQL, database=database)
    return {(table, name): CatalogColumn(*rest) for table, name, *rest in rows}


def catalog_indexes(server: Server, database: str) -> dict[str, CatalogIndex]:
    rows = server.execute(
        f"""
        SELECT i.relname, t.relname, {_column_list("ix.indkey::int2[]", "ix.indrelid")},
               ix.indisunique
        FROM pg_index ix
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public'
        """,
        database=database,
    )
    return {
        name: CatalogIndex(table, tuple(columns), unique) for name, table, columns, unique in rows
    }


def catalog_constraints(server: Server, database: str) -> dict[str, CatalogConstraint]:
    rows = server.execute(
        f"""
        SELECT con.conname, con.contype, c.relname,
               {_column_list("con.conkey", "con.conrelid")}, ref.relname,
               {_column_list("con.confkey", "con.confrelid")}, NULLIF(con.confdeltype, ' ')
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class ref ON ref.oid = con.confrelid
        -- PostgreSQL 18 also lists NOT NULL as constraints ('n'): columns say that.
        WHERE n.nspname = 'public' AND con.contype <> 'n'
        """,
        database=database,
    )
    return {
        name: CatalogConstraint(kind, table, tuple(columns), ref, tuple(ref_columns), on_delete)
        for name, kind, table, columns, ref, ref_columns, on_delete in rows
    }


# What adopting must keep and reach ------------------------------------------------------

SNAPSHOT_QUERIES = {
    "tables": """SELECT schemaname, tablename FROM pg_tables
                 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')""",
    "columns": COLUMNS_SQL,
    "constraints": """SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid)
                      FROM pg_constraint
                      WHERE connamespace = 'public'::regnamespace AND contype <> 'n'""",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": """SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid)
                   FROM pg_trigger WHERE NOT tgisinternal""",
    "functions": """SELECT proname, pg_get_functiondef(oid) FROM pg_proc
                    WHERE pronamespace = 'public'::regnamespace""",
    "migrations": "SELECT app, name FROM django_migrations",
}


def schema_snapshot(server: Server, database: str) -> dict[str, set[tuple]]:
    """Everything a migration builds, as comparable sets: objects with their
    names and PostgreSQL's own rendering of their definitions."""
    snapshot = {}
    for part, sql in SNAPSHOT_QUERIES.items():
        if part == "migrations" and "django_migrations" not in server.tables(database):
            snapshot[part] = set()
            continue
        snapshot[part] = {tuple(row) for row in server.execute(sql, database=database)}
    return snapshot


def copy_row(server: Server, database: str, table: str, row_id: str, **changes) -> str:
    """Insert a copy of a row with a new id and ``changes``; return the new id."""
    new_id = str(uuid.uuid4())
    server.execute(
        f"""INSERT INTO {_quoted(table)}
            SELECT (jsonb_populate_record(NULL::{_quoted(table)}, to_jsonb(r) || %s)).*
            FROM {_quoted(table)} r WHERE id = %s""",
        [Json({**changes, "id": new_id}), row_id],
        database=database,
    )
    return new_id
