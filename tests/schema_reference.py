"""A reader of ``docs/SCHEMA.md``, the binding description of both databases.

Pure Python (no Django), so that the document can be checked on its own and the
schema tests compare the live catalog with what the document says rather than
with a second hand-written copy of it. Any departure from the document's
expected shape raises ``SchemaDocumentError``: a silently half-parsed document
would make the schema tests pass for the wrong reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "SCHEMA.md"

DATABASE_ALIASES = {"socrates_auth": "auth", "socrates_specs": "specs"}

ON_DELETE_ACTIONS = ("CASCADE", "RESTRICT", "SET NULL", "SET DEFAULT", "NO ACTION")

# Every type spelling the document uses; anything else is a typo or a new
# type the tests do not know how to compare yet.
DOC_TYPE = re.compile(
    r"UUID|UUID\[\]|TEXT|INTEGER|BOOLEAN|JSONB|JSON|TIMESTAMPTZ|VARCHAR\[\]"
    r"|VARCHAR\(\d+\)|NUMERIC\(\d+,\d+\)|DOUBLE PRECISION \(float8\)"
)
VARCHAR_N = re.compile(r"VARCHAR\(\d+\)")

CLOSED_SET_TOKEN = re.compile(r"[a-z][a-z0-9_-]*")
OPEN_SET_MARKERS = ("open set", "e.g.", "...", "examples")


class SchemaDocumentError(ValueError):
    """SCHEMA.md does not have the shape this reader expects."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    default: str | None
    keys: str
    meaning: str


@dataclass(frozen=True)
class LegacyIndex:
    name: str
    columns: tuple[str, ...]
    unique: bool
    backs_constraint: bool


@dataclass(frozen=True)
class ForeignKey:
    table: str
    column: str
    ref_table: str
    ref_column: str
    on_delete: str
    name: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What the catalog can be compared on (the summary lists carry no names)."""
        return (self.table, self.column, self.ref_table, self.ref_column, self.on_delete)


@dataclass(frozen=True)
class Check:
    """A CHECK that a column's value is one of a fixed set."""

    name: str
    table: str
    column: str
    values: frozenset[str]


@dataclass
class Table:
    name: str
    alias: str
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: list[LegacyIndex] = field(default_factory=list)
    unique_constraints: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    explicit_checks: dict[str, Check] = field(default_factory=dict)

    @property
    def closed_sets(self) -> dict[str, Check]:
        """The CHECKs that rule 6 derives from the columns' allowed values."""
        checks = {}
        for column in self.columns.values():
            values = closed_set_values(column)
            if values is not None:
                name = f"ck_{self.name}_{column.name}_valid"
                checks[name] = Check(name, self.name, column.name, values)
        return checks

    @property
    def checks(self) -> dict[str, Check]:
        return {**self.closed_sets, **self.explicit_checks}


@dataclass
class Database:
    name: str
    alias: str
    tables: dict[str, Table] = field(default_factory=dict)
    # From the "Foreign keys in socrates_…" summary lines.
    foreign_key_summary: frozenset[tuple[str, str, str, str, str]] = frozenset()

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return [fk for table in self.tables.values() for fk in table.foreign_keys]

    @property
    def checks(self) -> dict[str, Check]:
        return {name: check for t in self.tables.values() for name, check in t.checks.items()}


@dataclass
class Schema:
    databases: dict[str, Database]
    redundant_indexes: frozenset[str]
    user_id_columns: frozenset[tuple[str, str]]
    # Numbers the prose states, kept so that a test can hold the parse to them.
    stated_table_counts: dict[str, int]
    stated_redundant_count: int
    stated_user_id_count: int
    stated_user_id_table_count: int
    stated_legacy_index_total: int
    stated_legacy_index_explicit: int
    stated_legacy_index_backing: int

    @property
    def tables(self) -> dict[str, Table]:
        return {name: t for db in self.databases.values() for name, t in db.tables.items()}

    @property
    def legacy_indexes(self) -> list[tuple[str, LegacyIndex]]:
        return [(t.name, index) for t in self.tables.values() for index in t.indexes]


def closed_set_values(column: Column) -> frozenset[str] | None:
    """The allowed values of a closed set (SCHEMA.md rule 6), or None for free text."""
    if not VARCHAR_N.fullmatch(column.type):
        return None
    text = column.meaning
    if any(marker in text for marker in OPEN_SET_MARKERS):
        return None
    text = text.removeprefix("CHECK: ")
    text = text.split(";", 1)[0]
    text = re.sub(r"\s*\([^()]*\)\s*$", "", text).strip()
    tokens = [token.strip() for token in text.split(",")]
    if len(tokens) < 2 or not all(CLOSED_SET_TOKEN.fullmatch(token) for token in tokens):
        return None
    return frozenset(tokens)


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(","))


def _cells(line: str) -> list[str]:
    if not (line.startswith("|") and line.endswith("|")):
        raise SchemaDocumentError(f"not a table row: {line!r}")
    return [cell.strip() for cell in line[1:-1].split("|")]


COLUMN_HEADER = [
    "column",
    "type",
    "null",
    "default",
    "keys / constraints",
    "allowed values / meaning",
]
INDEX_LINE = re.compile(
    r"- `(?P<name>\w+)` \((?P<columns>[\w, ]+)\)"
    r"(?P<unique> UNIQUE)?(?P<backs> \(backs constraint\))?"
)
UNIQUE_CELL = re.compile(r"UNIQUE `(?P<name>\w+)`(?: \((?P<columns>[\w, ]+)\))?")
FK_CELL = re.compile(
    r"FK `(?P<name>\w+)` → (?P<ref_table>\w+)\((?P<ref_column>\w+)\) "
    rf"ON DELETE (?P<action>{'|'.join(ON_DELETE_ACTIONS)})"
)
CHECK_CELL = re.compile(r"CHECK `(?P<name>\w+)`")
CHECK_LINE = re.compile(r"CHECK `(?P<name>\w+)`: (?P<column>\w+) IN \((?P<values>[^)]*)\)")
FK_SUMMARY_ITEM = re.compile(
    r"`(?P<table>\w+)\.(?P<column>\w+)→(?P<ref_table>\w+) "
    rf"(?P<action>{'|'.join(ON_DELETE_ACTIONS)})`"
)


def _parse_column(table: Table, line: str) -> None:
    cells = _cells(line)
    if len(cells) != len(COLUMN_HEADER):
        raise SchemaDocumentError(f"{table.name}: expected 6 cells in {line!r}")
    name, type_, null, default, keys, meaning = cells
    if not DOC_TYPE.fullmatch(type_):
        raise SchemaDocumentError(f"{table.name}.{name}: unknown type {type_!r}")
    if null not in ("NULL", "NOT NULL"):
        raise SchemaDocumentError(f"{table.name}.{name}: null cell {null!r}")
    if name in table.columns:
        raise SchemaDocumentError(f"{table.name}.{name}: listed twice")
    table.columns[name] = Column(
        name=name,
        type=type_,
        nullable=null == "NULL",
        default=None if default == "—" else default,
        keys=keys,
        meaning=meaning,
    )
    for match in UNIQUE_CELL.finditer(keys):
        columns = _split_list(match["columns"]) if match["columns"] else (name,)
        known = table.unique_constraints.setdefault(match["name"], columns)
        if known != columns or name not in columns:
            raise SchemaDocumentError(f"{table.name}.{name}: inconsistent {match['name']}")
    for match in FK_CELL.finditer(keys):
        table.foreign_keys.append(
            ForeignKey(
                table.name,
                name,
                match["ref_table"],
                match["ref_column"],
                match["action"],
                match["name"],
            )
        )
    # Every constraint the cell mentions must have been understood.
    mentioned = len(re.findall(r"\b(?:UNIQUE|FK|CHECK)\b", keys))
    understood = sum(len(pattern.findall(keys)) for pattern in (UNIQUE_CELL, FK_CELL, CHECK_CELL))
    if mentioned != understood or (keys not in ("", "PK") and not understood):
        raise SchemaDocumentError(f"{table.name}.{name}: unreadable constraints {keys!r}")


def _parse_index(table: Table, line: str) -> None:
    match = INDEX_LINE.fullmatch(line)
    if not match:
        raise SchemaDocumentError(f"{table.name}: unreadable index line {line!r}")
    if not table.columns:
        raise SchemaDocumentError(f"{table.name}: no columns parsed")
    columns = _split_list(match["columns"])
    unknown = set(columns) - set(table.columns)
    if unknown:
        raise SchemaDocumentError(f"{match['name']}: unknown columns {sorted(unknown)}")
    table.indexes.append(
        LegacyIndex(match["name"], columns, bool(match["unique"]), bool(match["backs"]))
    )


def _parse_check(table: Table, line: str) -> None:
    match = CHECK_LINE.fullmatch(line)
    if not match or match["column"] not in table.columns:
        raise SchemaDocumentError(f"{table.name}: unreadable CHECK line {line!r}")
    table.explicit_checks[match["name"]] = Check(
        match["name"], table.name, match["column"], frozenset(_split_list(match["values"]))
    )


def _check_table(table: Table) -> None:
    """Hold one table's parts to each other: they are written more than once."""
    if not table.columns:
        raise SchemaDocumentError(f"{table.name}: no columns parsed")
    if not table.indexes:
        raise SchemaDocumentError(f"{table.name}: no legacy indexes parsed")
    pkey = LegacyIndex(f"{table.name}_pkey", ("id",), unique=True, backs_constraint=True)
    if table.columns["id"].keys != "PK" or pkey not in table.indexes:
        raise SchemaDocumentError(f"{table.name}: id is not the primary key")
    backing = {
        index.name: index.columns
        for index in table.indexes
        if index.backs_constraint and index.name != f"{table.name}_pkey"
    }
    if backing != table.unique_constraints:
        raise SchemaDocumentError(
            f"{table.name}: unique constraints {table.unique_constraints} "
            f"differ from their backing indexes {backing}"
        )
    for name, check in table.explicit_checks.items():
        cell = table.columns[check.column].keys
        if f"CHECK `{name}`" not in cell:
            raise SchemaDocumentError(f"{table.name}: {name} missing from its column's cell")
        if table.closed_sets.get(name) != check:
            raise SchemaDocumentError(
                f"{table.name}: {name} differs from the column's allowed values"
            )


def _section(text: str, heading: str) -> str:
    """The body of a ``## heading`` section."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not match:
        raise SchemaDocumentError(f"no section {heading!r}")
    return match[1]


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    if not match:
        raise SchemaDocumentError(f"no match for {pattern!r}")
    return int(match[1])


def _parse_databases(text: str) -> dict[str, Database]:
    databases: dict[str, Database] = {}
    database: Database | None = None
    table: Table | None = None
    in_database_sections = False
    for raw in text.splitlines():
        line = raw.strip()
        heading = re.fullmatch(r"## (.*)", line)
        if heading:
            db = re.fullmatch(r"Database `(\w+)` \(alias `(\w+)`\)", heading[1])
            in_database_sections = bool(db)
            database = table = None
            if db:
                name, alias = db.groups()
                if DATABASE_ALIASES.get(name) != alias:
                    raise SchemaDocumentError(f"unexpected database {name} / {alias}")
                database = databases[alias] = Database(name, alias)
            continue
        if not in_database_sections or database is None:
            continue
        table_heading = re.fullmatch(r"### `(\w+)`.*", line)
        if table_heading:
            if table is not None:
                _check_table(table)
            table = Table(table_heading[1], database.alias)
            if table.name in database.tables:
                raise SchemaDocumentError(f"{table.name}: described twice")
            database.tables[table.name] = table
            continue
        if table is None:
            continue
        if line.startswith("|"):
            cells = _cells(line)
            if cells == COLUMN_HEADER or set("".join(cells)) <= set("-"):
                continue
            _parse_column(table, line)
        elif line.startswith("- `"):
            _parse_index(table, line)
        elif line.startswith("CHECK `"):
            _parse_check(table, line)
        elif line and line != "Legacy indexes (name: columns):":
            raise SchemaDocumentError(f"{table.name}: unexpected line {line!r}")
    if table is not None:
        _check_table(table)
    if set(databases) != set(DATABASE_ALIASES.values()):
        raise SchemaDocumentError(f"databases found: {sorted(databases)}")
    return databases


def _parse_fk_summaries(text: str, databases: dict[str, Database]) -> None:
    # A summary runs from its "Foreign keys in" to the next one or a blank line.
    summaries = re.findall(
        r"^Foreign keys in (\w+) \((?:all )?(\d+)[;)](.*?)(?=^Foreign keys in |\n\n)",
        text,
        re.S | re.M,
    )
    if {name for name, _, _ in summaries} != set(DATABASE_ALIASES):
        raise SchemaDocumentError(f"foreign key summaries found: {summaries}")
    for name, stated, body in summaries:
        items = frozenset(
            (m["table"], m["column"], m["ref_table"], "id", m["action"])
            for m in FK_SUMMARY_ITEM.finditer(body)
        )
        if len(items) != int(stated) or len(items) != body.count("→"):
            raise SchemaDocumentError(
                f"{name}: summary states {stated} foreign keys, {len(items)} read"
            )
        databases[DATABASE_ALIASES[name]].foreign_key_summary = items


def _parse_user_id_columns(text: str) -> dict[tuple[str, str], bool]:
    """Each cross-database user-id column, mapped to whether the table says NULL."""
    section = _section(text, "Cross-database references")
    rows = re.findall(r"^\| (\w+)\.(\w+) \| (NOT NULL|NULL)[ (]", section, re.M)
    if len({(table, column) for table, column, _ in rows}) != len(rows):
        raise SchemaDocumentError("a user-id column is listed twice")
    return {(table, column): null == "NULL" for table, column, null in rows}


def _parse_redundant_indexes(text: str) -> frozenset[str]:
    section = _section(text, "Redundant legacy indexes (do not recreate; drop when adopting)")
    # Each list of redundant names follows a colon; a name before the colon
    # (``Exact duplicate of `idx_…`:``) is the index that stays.
    names: list[str] = []
    for listed in re.findall(r":\s*((?:`\w+`(?:,\s*)?)+)", section):
        names += re.findall(r"`(\w+)`", listed)
    if len(set(names)) != len(names):
        raise SchemaDocumentError("a redundant index is listed twice")
    return frozenset(names)


def parse_schema(text: str) -> Schema:
    databases = _parse_databases(text)
    _parse_fk_summaries(text, databases)
    user_id_nullability = _parse_user_id_columns(text)
    for database in databases.values():
        from_cells = frozenset(fk.key for fk in database.foreign_keys)
        if from_cells != database.foreign_key_summary:
            raise SchemaDocumentError(
                f"{database.name}: foreign keys only in the table cells "
                f"{sorted(from_cells - database.foreign_key_summary)}, only in the summary "
                f"{sorted(database.foreign_key_summary - from_cells)}"
            )
    schema = Schema(
        databases=databases,
        redundant_indexes=_parse_redundant_indexes(text),
        user_id_columns=frozenset(user_id_nullability),
        stated_table_counts={
            alias: _number(rf"`{name}` \((\d+) tables\)", text)
            for name, alias in DATABASE_ALIASES.items()
        },
        stated_redundant_count=_number(r"except the (\d+) redundant ones", text),
        stated_user_id_count=_number(r"(\d+) user-id columns in \d+ tables", text),
        stated_user_id_table_count=_number(r"\d+ user-id columns in (\d+) tables", text),
        stated_legacy_index_total=_number(r"Legacy totals, for comparison: (\d+) indexes", text),
        stated_legacy_index_explicit=_number(r"\((\d+) created explicitly", text),
        stated_legacy_index_backing=_number(r"(\d+) backing primary keys", text),
    )
    _check_references(schema, user_id_nullability)
    return schema


def _check_references(schema: Schema, user_id_nullability: dict[tuple[str, str], bool]) -> None:
    """Names in the closing sections must agree with the tables described above."""
    tables = schema.tables
    indexes = {index.name: index for _, index in schema.legacy_indexes}
    for name in schema.redundant_indexes:
        if name not in indexes or indexes[name].backs_constraint:
            raise SchemaDocumentError(f"redundant index {name} is not a plain legacy index")
    # The per-column cells mark the same columns "cross-DB user id".
    marked = {
        (table.name, column.name)
        for table in tables.values()
        for column in table.columns.values()
        if column.meaning.startswith("cross-DB user id")
    }
    if marked != schema.user_id_columns:
        raise SchemaDocumentError(
            f"cross-database list and column cells disagree: {marked ^ schema.user_id_columns}"
        )
    for (table, column), nullable in user_id_nullability.items():
        described = tables[table].columns[column]
        if tables[table].alias != "specs" or described.type != "UUID":
            raise SchemaDocumentError(f"user-id column {table}.{column} is not a specs UUID")
        if described.nullable != nullable:
            raise SchemaDocumentError(f"user-id column {table}.{column}: nullability differs")
    for database in schema.databases.values():
        for fk in database.foreign_keys:
            if fk.ref_column not in database.tables.get(fk.ref_table, Table("", "")).columns:
                raise SchemaDocumentError(f"{fk.name} references outside {database.name}")


@cache
def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    return parse_schema(path.read_text(encoding="utf-8"))
