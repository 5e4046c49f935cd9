"""Reading one schema's tables, columns, constraints, indexes, triggers,
functions and extensions from pg_catalog, and listing where two differ.

Definitions come from PostgreSQL's own renderers (``pg_get_constraintdef``,
``pg_get_indexdef``, ``pg_get_triggerdef``), read with that schema alone on
the search path, so that the same object in two schemas renders as the same
text.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field


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

    @property
    def unqualified(self) -> str:
        # pg_get_indexdef names the table's schema whatever the search path.
        unique = "UNIQUE " if self.unique else ""
        return f"CREATE {unique}INDEX {self.name} ON {self.table} {self.body}"


@dataclass(frozen=True)
class Trigger:
    table: str
    name: str
    definition: str
    enabled: str  # pg_trigger.tgenabled: O origin, A always, R replica, D disabled


@dataclass(frozen=True)
class Function:
    name: str
    arguments: str
    result: str
    body: str


DEFERRABILITY = re.compile(r" (NOT )?DEFERRABLE( INITIALLY (DEFERRED|IMMEDIATE))?")
INDEX_DEFINITION = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ (?P<body>USING .*)$")


@dataclass
class Catalog:
    tables: set[str]
    columns: dict[tuple[str, str], Column]
    constraints: list[Constraint]
    indexes: list[Index]
    triggers: list[Trigger] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)  # name: version

    def without(self, table: str) -> Catalog:
        return Catalog(
            self.tables - {table},
            {key: column for key, column in self.columns.items() if key[0] != table},
            [c for c in self.constraints if c.table != table],
            [i for i in self.indexes if i.table != table],
            [t for t in self.triggers if t.table != table],
            self.functions,
            self.extensions,
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
    """The tables, columns, constraints, indexes, triggers, functions and
    extensions of ``schema``.

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
    # Pretty-printed, the only form that leaves a table on the search path unqualified.
    cursor.execute(
        """SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid, true), t.tgenabled
           FROM pg_trigger t
           JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND NOT t.tgisinternal""",
        [schema],
    )
    triggers = [Trigger(*row) for row in cursor.fetchall()]
    # The body as written: pg_get_functiondef would name the schema.
    cursor.execute(
        """SELECT p.proname, pg_get_function_identity_arguments(p.oid),
                  pg_get_function_result(p.oid), p.prosrc
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = %s""",
        [schema],
    )
    functions = [Function(*row) for row in cursor.fetchall()]
    cursor.execute(
        """SELECT e.extname, e.extversion FROM pg_extension e
           JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = %s""",
        [schema],
    )
    extensions = dict(cursor.fetchall())
    return Catalog(tables, columns, constraints, indexes, triggers, functions, extensions)


# Comparing -------------------------------------------------------------------------------


def differences(found: Catalog, wanted: Catalog) -> list[str]:
    """Every way ``found`` differs from ``wanted`` (what the migrations build),
    one sentence each, by object name; empty when they are the same."""
    lines = [f"table {name}: missing" for name in sorted(wanted.tables - found.tables)]
    lines += [
        f"table {name}: not made by the migrations" for name in sorted(found.tables - wanted.tables)
    ]
    shared = found.tables & wanted.tables
    for key in sorted(set(found.columns) | set(wanted.columns)):
        if key[0] in shared:
            lines += _column_differences(".".join(key), found.columns.get(key),
                                         wanted.columns.get(key))  # fmt: skip
    lines += _compared(
        "constraint",
        {f"{c.name} on {c.table}": c.definition for c in found.constraints},
        {f"{c.name} on {c.table}": c.definition for c in wanted.constraints},
    )
    # An index behind a constraint comes and goes with it: said once above.
    lines += _compared(
        "index",
        {f"{i.name} on {i.table}": i.unqualified for i in found.indexes if not i.constraint},
        {f"{i.name} on {i.table}": i.unqualified for i in wanted.indexes if not i.constraint},
    )
    lines += _compared(
        "trigger",
        {f"{t.name} on {t.table}": _trigger(t) for t in found.triggers},
        {f"{t.name} on {t.table}": _trigger(t) for t in wanted.triggers},
    )
    lines += _compared(
        "function",
        {f"{f.name}({f.arguments})": f"RETURNS {f.result} AS {f.body!r}" for f in found.functions},
        {f"{f.name}({f.arguments})": f"RETURNS {f.result} AS {f.body!r}" for f in wanted.functions},
    )
    lines += _compared("extension", found.extensions, wanted.extensions)
    return lines


TRIGGER_STATES = {"O": "", "A": " (enabled always)", "R": " (enabled on replicas only)",
                  "D": " (disabled)"}  # fmt: skip


def _trigger(trigger: Trigger) -> str:
    return trigger.definition + TRIGGER_STATES[trigger.enabled]


def _compared(kind: str, found: dict[str, str], wanted: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(set(found) | set(wanted)):
        if name not in found:
            lines.append(f"{kind} {name}: missing (the migrations make {wanted[name]})")
        elif name not in wanted:
            lines.append(f"{kind} {name}: not made by the migrations ({found[name]})")
        elif found[name] != wanted[name]:
            lines.append(f"{kind} {name}: is {found[name]}, the migrations make {wanted[name]}")
    return lines


def _column_differences(name: str, found: Column | None, wanted: Column | None) -> list[str]:
    if found is None:
        return [f"column {name}: missing (the migrations make {_column(wanted)})"]
    if wanted is None:
        return [f"column {name}: not made by the migrations ({_column(found)})"]
    lines = []
    if found.type != wanted.type:
        lines.append(f"column {name}: type is {found.type}, the migrations make {wanted.type}")
    if found.nullable != wanted.nullable:
        lines.append(f"column {name}: {_nullability(found)}, the migrations make it "
                     + _nullability(wanted))  # fmt: skip
    if found.default != wanted.default:
        lines.append(f"column {name}: default is {found.default or 'none'}, the migrations "
                     f"make {wanted.default or 'none'}")  # fmt: skip
    return lines


def _nullability(column: Column) -> str:
    return "NULL allowed" if column.nullable else "NOT NULL"


def _column(column: Column) -> str:
    default = f" DEFAULT {column.default}" if column.default is not None else ""
    return f"{column.type} {_nullability(column)}{default}"
