"""The live PostgreSQL catalog of both databases against docs/SCHEMA.md.

The migrations are what build production databases, so these tests read what
they built (pg_catalog) rather than the models. Each comparison collects every
difference before asserting, so that one run shows the whole gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from django.db import connections

from socrates.userrefs import user_ref_fields
from tests.schema_reference import (
    DATABASE_ALIASES,
    SCHEMA_PATH,
    Check,
    LegacyIndex,
    Schema,
    SchemaDocumentError,
    Table,
    load_schema,
    parse_schema,
)

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

ALIASES = tuple(DATABASE_ALIASES.values())

# Django's own tables, each in the one database whose apps need it
# (socrates.databases.APP_DATABASES); the users table stands in for auth_user.
DJANGO_TABLES = {
    "auth": {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "auth_group",
        "auth_group_permissions",
        "django_admin_log",
        "django_session",
        # Django's database cache (throttle counters), and the sign-in
        # generations of users; both this project's own bookkeeping.
        "django_cache",
        "user_token_generations",
        "user_deletions",
        # Where each background migration is (socrates.background_migrations).
        "background_migrations",
        # The background tasks' retries and failures (socrates.celery), with
        # django_celery_results' two other tables, unused (groups, chords).
        "django_celery_results_taskresult",
        "django_celery_results_groupresult",
        "django_celery_results_chordcounter",
    },
    # API-key request windows (billing.models.RequestWindow).
    "specs": {"django_migrations", "api_request_windows"},
}


class Addition(NamedTuple):
    table: str
    serves: str
    # What pg_get_indexdef must show: the point of each addition is its
    # expression or predicate, and losing it would change what it enforces.
    definition: str


# Indexes that the legacy schema lacks, each serving a documented rule or query
# (BEHAVIOUR.md); SCHEMA.md rule 7 asks for them. Nothing else may be added.
DOCUMENTED_INDEX_ADDITIONS = {
    "uq_users_email_ci": Addition(
        "users",
        "emails are unique whatever their case; login by email (email__iexact is UPPER(email))",
        r"CREATE UNIQUE INDEX .* USING btree \(upper\(\(email\)::text\)\)",
    ),
    "uq_users_username_ci": Addition(
        "users",
        "usernames are unique ignoring case; login by username (username__iexact)",
        r"CREATE UNIQUE INDEX .* USING btree \(upper\(\(username\)::text\)\)",
    ),
    "uq_admin_roles_name_ci": Addition(
        "admin_roles",
        "role names are unique ignoring case (no look-alike of super_admin)",
        r"CREATE UNIQUE INDEX .* USING btree \(upper\(\(name\)::text\)\)",
    ),
    "uq_specifications_current_key": Addition(
        "specifications",
        "at most one current row per (project_id, key); fetching the current value of a key",
        r"CREATE UNIQUE INDEX .* USING btree \(project_id, key\) WHERE \(?is_current( = true)?\)?",
    ),
    "uq_invitations_pending_user": Addition(
        "project_invitations",
        "refuse a second pending invitation of the same user to the same project",
        r"CREATE UNIQUE INDEX .* USING btree \(project_id, invited_user_id\) "
        r"WHERE .*status.*'pending'",
    ),
    "uq_invitations_pending_email": Addition(
        "project_invitations",
        "refuse a second pending invitation of the same address (any case) to the same project",
        # UPPER is what Django's ``invited_email__iexact`` compares, so the
        # index also serves that lookup.
        r"CREATE UNIQUE INDEX .* USING btree "
        r"\(project_id, upper\(\(invited_email\)::text\)\) WHERE .*status.*'pending'",
    ),
    "uq_project_shares_user": Addition(
        "project_shares",
        "one share per user of a project (revoking it ends the grant); a user's share",
        r"CREATE UNIQUE INDEX .* USING btree \(project_id, shared_with_user_id\) "
        r"WHERE \(shared_with_user_id IS NOT NULL\)",
    ),
    "uq_project_shares_team": Addition(
        "project_shares",
        "one share per team of a project; a team's share",
        r"CREATE UNIQUE INDEX .* USING btree \(project_id, shared_with_team_id\) "
        r"WHERE \(shared_with_team_id IS NOT NULL\)",
    ),
    "ix_activity_logs_project": Addition(
        "activity_logs",
        "a project's activity, newest first (every project-scoped row names its project)",
        r"CREATE INDEX .* USING btree \(\(\(?changes -> 'project_id'::text\)?\), created_at DESC\)",
    ),
    "ix_chunks_content_fts": Addition(
        "document_chunks",
        "full-text search over chunk content",
        r"CREATE INDEX .* USING gin \(to_tsvector\(.*content.*\)\)",
    ),
}

# From BEHAVIOUR.md ("total_tokens = input_tokens + output_tokens is enforced").
TOTAL_TOKENS_CHECK = "ck_llm_usage_tracking_total_tokens"
TOTAL_TOKENS_CONDITION = "total_tokens = input_tokens + output_tokens"

ON_DELETE = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}

DOC_TYPES = {
    "UUID": "uuid",
    "UUID[]": "uuid[]",
    "TEXT": "text",
    "INTEGER": "integer",
    "DOUBLE PRECISION (float8)": "double precision",
    "BOOLEAN": "boolean",
    "JSONB": "jsonb",
    "JSON": "json",
    "VARCHAR[]": "character varying[]",
    "TIMESTAMPTZ": "timestamp with time zone",
}

NAME_LIMIT = 30


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema()


# Reading the document ----------------------------------------------------------


def expected_format_type(doc_type: str) -> str:
    """The ``format_type()`` spelling of a SCHEMA.md type."""
    if doc_type in DOC_TYPES:
        return DOC_TYPES[doc_type]
    varchar = re.fullmatch(r"VARCHAR\((\d+)\)", doc_type)
    if varchar:
        return f"character varying({varchar[1]})"
    numeric = re.fullmatch(r"NUMERIC\((\d+),(\d+)\)", doc_type)
    if numeric:
        return f"numeric({numeric[1]},{numeric[2]})"
    raise AssertionError(f"no catalog spelling for SCHEMA.md type {doc_type!r}")


CAST = re.compile(r"::[a-z][a-z ]*(?:\(\d+(?:,\d+)?\))?(?:\[\])?$")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _wrapped_in_parentheses(text: str) -> bool:
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for position, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0 and position < len(text) - 1:
            return False
    return True


def normalise_default(expression: str | None) -> object:
    """A default as the document writes it and as PostgreSQL prints it, made comparable.

    The catalog adds casts and parentheses that the document leaves out
    (``'medium'::character varying``, ``'{}'::jsonb``); numbers compare by
    value (``1.0`` and ``1.00``) and function names by lower case.
    """
    if expression is None:
        return None
    text = expression.strip()
    while True:
        stripped = CAST.sub("", text).strip()
        if _wrapped_in_parentheses(stripped):
            stripped = stripped[1:-1].strip()
        if stripped == text:
            break
        text = stripped
    unquoted = text[1:-1] if text.startswith("'") and text.endswith("'") else text
    if NUMBER.fullmatch(unquoted):
        return float(unquoted)
    return text if text.startswith("'") else text.lower()


def legacy_column_lists(table: Table) -> dict[tuple[str, ...], list[LegacyIndex]]:
    lists: dict[tuple[str, ...], list[LegacyIndex]] = {}
    for index in table.indexes:
        lists.setdefault(index.columns, []).append(index)
    return lists


# Reading the catalog ----------------------------------------------------------


def fetch(alias: str, sql: str) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def catalog_tables(alias: str) -> set[str]:
    rows = fetch(
        alias,
        """
        SELECT c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
        """,
    )
    return {name for (name,) in rows}


@dataclass(frozen=True)
class CatalogColumn:
    type: str
    nullable: bool
    default: str | None


# Table, column, type, nullable and default of every column.
COLUMNS_SQL = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       NOT a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
"""


def catalog_columns(alias: str) -> dict[str, dict[str, CatalogColumn]]:
    rows = fetch(alias, COLUMNS_SQL)
    columns: dict[str, dict[str, CatalogColumn]] = {}
    for table, column, type_, nullable, default in rows:
        columns.setdefault(table, {})[column] = CatalogColumn(type_, nullable, default)
    return columns


@dataclass(frozen=True)
class CatalogConstraint:
    table: str
    name: str
    columns: tuple[str, ...]
    definition: str
    ref_table: str | None
    ref_columns: tuple[str, ...]
    on_delete: str | None
    on_update: str | None


def catalog_constraints(alias: str, kind: str) -> list[CatalogConstraint]:
    """Constraints of one ``contype`` ('f', 'u', 'c') on the tables of ``alias``."""
    rows = fetch(
        alias,
        f"""
        SELECT c.relname, con.conname,
               ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
                     ORDER BY k.ord),
               pg_get_constraintdef(con.oid),
               ref.relname,
               ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
                     ORDER BY k.ord),
               NULLIF(con.confdeltype, ' '), NULLIF(con.confupdtype, ' ')
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class ref ON ref.oid = con.confrelid
        WHERE n.nspname = current_schema() AND con.contype = '{kind}'
        """,
    )
    return [
        CatalogConstraint(
            table,
            name,
            tuple(columns),
            definition,
            ref_table,
            tuple(ref_columns or ()),
            ON_DELETE.get(on_delete),
            ON_DELETE.get(on_update),
        )
        for table, name, columns, definition, ref_table, ref_columns, on_delete, on_update in rows
    ]


@dataclass(frozen=True)
class CatalogIndex:
    table: str
    name: str
    # Key columns in order; None stands for an expression.
    columns: tuple[str | None, ...]
    unique: bool
    primary: bool
    partial: bool
    method: str
    definition: str
    constraint: str | None

    @property
    def expression(self) -> bool:
        return None in self.columns

    @property
    def by_columns(self) -> bool:
        """A whole-table btree on plain columns: what a legacy index was."""
        return self.method == "btree" and not self.partial and not self.expression

    @property
    def plain(self) -> bool:
        return self.by_columns and not self.unique


def catalog_indexes(alias: str) -> list[CatalogIndex]:
    rows = fetch(
        alias,
        """
        SELECT t.relname, i.relname,
               ARRAY(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(num, ord)
                     LEFT JOIN pg_attribute a
                       ON a.attrelid = ix.indrelid AND a.attnum = k.num AND k.num > 0
                     WHERE k.ord <= ix.indnkeyatts
                     ORDER BY k.ord),
               ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL, am.amname,
               pg_get_indexdef(ix.indexrelid),
               (SELECT con.conname FROM pg_constraint con
                WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u'))
        FROM pg_index ix
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_am am ON am.oid = i.relam
        WHERE n.nspname = current_schema()
        """,
    )
    return [CatalogIndex(row[0], row[1], tuple(row[2]), *row[3:]) for row in rows]


def indexes_by_table(schema: Schema, alias: str) -> dict[str, list[CatalogIndex]]:
    """The catalog's indexes on the tables SCHEMA.md describes in ``alias``."""
    by_table: dict[str, list[CatalogIndex]] = {t: [] for t in schema.databases[alias].tables}
    for index in catalog_indexes(alias):
        if index.table in by_table:
            by_table[index.table].append(index)
    return by_table


def in_schema_tables(schema: Schema, alias: str, constraints: list[CatalogConstraint]):
    """Django's own tables bring their own constraints, which SCHEMA.md does not list."""
    tables = schema.databases[alias].tables
    return [constraint for constraint in constraints if constraint.table in tables]


def report(problems: list[str]) -> str:
    return f"{len(problems)} difference(s) from docs/SCHEMA.md:\n  " + "\n  ".join(problems)


# The document itself ----------------------------------------------------------


def test_schema_document_totals_match_its_own_prose(schema):
    assert {alias: len(db.tables) for alias, db in schema.databases.items()} == {
        "auth": 5,
        "specs": 24,
    }
    assert schema.stated_table_counts == {"auth": 5, "specs": 24}
    assert len(schema.user_id_columns) == schema.stated_user_id_count == 18
    assert len({table for table, _ in schema.user_id_columns}) == 13
    assert schema.stated_user_id_table_count == 13
    assert len(schema.redundant_indexes) == schema.stated_redundant_count == 15
    assert len(schema.databases["auth"].foreign_keys) == 4
    assert len(schema.databases["specs"].foreign_keys) == 17


def test_schema_document_legacy_index_count_matches_legacy_totals(schema):
    explicit = [index for _, index in schema.legacy_indexes if not index.backs_constraint]
    backing = [index for _, index in schema.legacy_indexes if index.backs_constraint]
    assert len(explicit) == schema.stated_legacy_index_explicit == 150
    # The stated 43 backing indexes (193 in all) also count the primary key of
    # each database's alembic_version table, which the document does not
    # describe because django_migrations replaces it: 29 + 12 + 2 = 43.
    primary_keys = [index for index in backing if index.name.endswith("_pkey")]
    assert len(primary_keys) == 29
    assert len(backing) - len(primary_keys) == 12
    alembic_version_primary_keys = len(DATABASE_ALIASES)
    assert len(backing) + alembic_version_primary_keys == schema.stated_legacy_index_backing
    assert (
        len(schema.legacy_indexes) + alembic_version_primary_keys
        == schema.stated_legacy_index_total
        == 193
    )


def test_schema_document_closed_sets_follow_rule_6(schema):
    checks = schema.databases["auth"].checks | schema.databases["specs"].checks
    assert len(checks) == 35
    # Free text by the rule's own exclusions, though their cells list words.
    for table, column in [
        ("questions", "category"),
        ("generated_projects", "language"),
        ("admin_roles", "name"),
        ("invoices", "currency"),
    ]:
        assert f"ck_{table}_{column}_valid" not in checks
    assert checks["ck_projects_current_phase_valid"].values >= {"discovery", "deployment"}
    assert checks["ck_subscriptions_plan_type_valid"].values == {
        "monthly",
        "yearly",
        "usage-based",
    }


@pytest.mark.parametrize(
    ("original", "broken", "complaint"),
    [
        pytest.param(
            "| name | VARCHAR(100) | NULL |",
            "| name | VARCHAR(10O) | NULL |",
            "unknown type",
            id="misspelt-type",
        ),
        pytest.param(
            "- `ix_users_status` (status)",
            "- `ix_users_status` (statsu)",
            "unknown columns",
            id="index-on-unknown-column",
        ),
        pytest.param(
            "`ix_projects_phase`.",
            "`ix_projects_phase`, `ix_nonexistent`.",
            "redundant index",
            id="unknown-redundant-index",
        ),
        pytest.param(
            "| sessions.user_id |",
            "| sessions.owner_id |",
            "cross-database",
            id="user-id-list-disagrees-with-columns",
        ),
    ],
)
def test_schema_document_of_unexpected_shape_is_refused(original, broken, complaint):
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    assert text.count(original) == 1
    with pytest.raises(SchemaDocumentError, match=complaint):
        parse_schema(text.replace(original, broken))


def test_schema_document_table_without_columns_is_refused():
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    without_rows = re.sub(r"(### `teams`.*?\n)(?:\|.*\n)+", r"\1", text, count=1, flags=re.S)
    assert without_rows != text
    with pytest.raises(SchemaDocumentError, match="teams: no columns parsed"):
        parse_schema(without_rows)


# Tables and columns -----------------------------------------------------------


def test_each_database_holds_exactly_its_own_tables(schema):
    problems = []
    for alias in ALIASES:
        other = next(a for a in ALIASES if a != alias)
        expected = set(schema.databases[alias].tables) | DJANGO_TABLES[alias]
        actual = catalog_tables(alias)
        misplaced = actual & set(schema.databases[other].tables)
        problems += [f"{alias}: {t} belongs to {other}" for t in sorted(misplaced)]
        problems += [
            f"{alias}: unexpected table {t}" for t in sorted(actual - expected - misplaced)
        ]
        problems += [f"{alias}: missing table {t}" for t in sorted(expected - actual)]
    assert not problems, report(problems)


def test_columns_have_documented_names_types_nullability_and_defaults(schema):
    problems = []
    for alias in ALIASES:
        columns = catalog_columns(alias)
        for table in schema.databases[alias].tables.values():
            actual = columns.get(table.name, {})
            if not actual:
                problems.append(f"{table.name}: table missing")
                continue
            extra = sorted(set(actual) - set(table.columns))
            missing = sorted(set(table.columns) - set(actual))
            problems += [f"{table.name}.{c}: column not in SCHEMA.md" for c in extra]
            problems += [f"{table.name}.{c}: column missing" for c in missing]
            for name in sorted(set(table.columns) & set(actual)):
                doc, live = table.columns[name], actual[name]
                where = f"{table.name}.{name}"
                if live.type != expected_format_type(doc.type):
                    problems.append(
                        f"{where}: type {live.type}, expected {expected_format_type(doc.type)}"
                    )
                if live.nullable != doc.nullable:
                    problems.append(
                        f"{where}: {'NULL' if live.nullable else 'NOT NULL'}, "
                        f"expected {'NULL' if doc.nullable else 'NOT NULL'}"
                    )
                if normalise_default(live.default) != normalise_default(doc.default):
                    problems.append(
                        f"{where}: default {live.default or '—'}, expected {doc.default or '—'}"
                    )
    assert not problems, report(problems)


# Keys and constraints ---------------------------------------------------------


def test_foreign_keys_match_the_documented_columns_targets_and_on_delete(schema):
    problems = []
    for alias in ALIASES:
        database = schema.databases[alias]
        foreign_keys = in_schema_tables(schema, alias, catalog_constraints(alias, "f"))
        actual = {
            (fk.table, fk.columns[0], fk.ref_table, fk.ref_columns[0], fk.on_delete)
            for fk in foreign_keys
            if len(fk.columns) == 1
        }
        expected = {fk.key for fk in database.foreign_keys}
        problems += [f"{alias}: missing FK {fk}" for fk in sorted(expected - actual)]
        problems += [f"{alias}: unexpected FK {fk}" for fk in sorted(actual - expected)]
        for fk in foreign_keys:
            if len(fk.columns) != 1:
                problems.append(f"{alias}: {fk.name} spans {fk.columns}")
            if fk.on_update != "NO ACTION":
                problems.append(f"{alias}: {fk.name} has ON UPDATE {fk.on_update}")
    assert not problems, report(problems)


def test_no_foreign_key_leaves_its_database(schema):
    problems = [
        f"{alias}: {fk.table}.{fk.name} references {fk.ref_table}"
        for alias in ALIASES
        for fk in catalog_constraints(alias, "f")
        if fk.ref_table not in set(schema.databases[alias].tables) | DJANGO_TABLES[alias]
    ]
    assert not problems, report(problems)


def test_every_foreign_key_column_leads_some_index(schema):
    problems = []
    for alias in ALIASES:
        indexes = indexes_by_table(schema, alias)
        for fk in in_schema_tables(schema, alias, catalog_constraints(alias, "f")):
            leading = {index.columns[0] for index in indexes[fk.table] if not index.partial}
            if fk.columns[0] not in leading:
                problems.append(f"{fk.table}.{fk.columns[0]}: no index starts with it")
    assert not problems, report(problems)


def test_unique_constraints_have_documented_names_and_columns(schema):
    problems = []
    for alias in ALIASES:
        constraints = {
            c.name: c for c in in_schema_tables(schema, alias, catalog_constraints(alias, "u"))
        }
        # Unique indexes that back no constraint: expression or partial ones.
        unique_indexes = {
            index.name: index
            for indexes in indexes_by_table(schema, alias).values()
            for index in indexes
            if index.unique and index.constraint is None
        }
        expected_additions = {
            name
            for name, addition in DOCUMENTED_INDEX_ADDITIONS.items()
            if name.startswith("uq_") and addition.table in schema.databases[alias].tables
        }
        for table in schema.databases[alias].tables.values():
            for name, columns in table.unique_constraints.items():
                live = constraints.get(name)
                if live is None:
                    problems.append(f"{table.name}: unique constraint {name} missing")
                elif (live.table, live.columns) != (table.name, columns):
                    problems.append(
                        f"{name}: on {live.table} {live.columns}, expected {table.name} {columns}"
                    )
        documented = {
            name for t in schema.databases[alias].tables.values() for name in t.unique_constraints
        }
        extra = (set(constraints) - documented) | (set(unique_indexes) - expected_additions)
        problems += [f"{alias}: undocumented unique constraint/index {n}" for n in sorted(extra)]
        problems += [
            f"{alias}: documented addition {n} missing"
            for n in sorted(expected_additions - set(unique_indexes))
        ]
    assert not problems, report(problems)


def closed_set_in_definition(definition: str) -> tuple[str | None, frozenset[str]]:
    """The column and values of ``CHECK (((col)::text = ANY ((ARRAY['a'::…, …])::text[])))``."""
    column = re.match(r"CHECK \(+(\w+)\)?(?:::text)? = ANY \(", definition)
    values = re.findall(r"'((?:[^']|'')*)'::", definition)
    return (column[1] if column else None), frozenset(v.replace("''", "'") for v in values)


def test_check_constraints_are_the_documented_and_closed_set_ones(schema):
    problems = []
    for alias in ALIASES:
        live = {c.name: c for c in in_schema_tables(schema, alias, catalog_constraints(alias, "c"))}
        expected: dict[str, Check | None] = dict(schema.databases[alias].checks)
        if "llm_usage_tracking" in schema.databases[alias].tables:
            expected[TOTAL_TOKENS_CHECK] = None
        problems += [f"{alias}: CHECK {n} missing" for n in sorted(set(expected) - set(live))]
        problems += [f"{alias}: undocumented CHECK {n}" for n in sorted(set(live) - set(expected))]
        for name in sorted(set(expected) & set(live)):
            check, constraint = expected[name], live[name]
            if check is None:
                condition = re.sub(r"[()]", "", constraint.definition.removeprefix("CHECK "))
                if condition != TOTAL_TOKENS_CONDITION:
                    problems.append(f"{name}: {constraint.definition}")
                continue
            column, values = closed_set_in_definition(constraint.definition)
            if (constraint.table, column) != (check.table, check.column):
                problems.append(f"{name}: on {constraint.table}.{column}")
            if values != check.values:
                missing, extra = sorted(check.values - values), sorted(values - check.values)
                problems.append(f"{name}: values lack {missing}, have extra {extra}")
    assert not problems, report(problems)


# Indexes ----------------------------------------------------------------------


def test_every_needed_legacy_index_column_list_exists(schema):
    problems = []
    for alias in ALIASES:
        indexes = indexes_by_table(schema, alias)
        for table in schema.databases[alias].tables.values():
            for legacy in table.indexes:
                if legacy.name in schema.redundant_indexes:
                    continue
                if not any(
                    index.by_columns
                    and index.columns == legacy.columns
                    and (index.unique or not legacy.unique)
                    for index in indexes[table.name]
                ):
                    kind = "unique index" if legacy.unique else "index"
                    problems.append(f"{table.name}: no {kind} on {legacy.columns} ({legacy.name})")
    assert not problems, report(problems)


def test_redundant_legacy_indexes_are_not_recreated(schema):
    """Each legacy column list is indexed once: duplicates and prefixes are gone."""
    problems = []
    for alias in ALIASES:
        indexes = indexes_by_table(schema, alias)
        for table in schema.databases[alias].tables.values():
            for columns, legacy in legacy_column_lists(table).items():
                needed = any(index.name not in schema.redundant_indexes for index in legacy)
                found = [
                    i.name for i in indexes[table.name] if i.by_columns and i.columns == columns
                ]
                if len(found) != int(needed):
                    names = [index.name for index in legacy]
                    problems.append(
                        f"{table.name} {columns}: {len(found)} indexes {found}, "
                        f"expected {int(needed)} (legacy {names})"
                    )
    assert not problems, report(problems)


def test_only_documented_additions_index_other_column_lists(schema):
    problems = []
    for alias in ALIASES:
        for table_name, indexes in indexes_by_table(schema, alias).items():
            legacy_lists = legacy_column_lists(schema.tables[table_name])
            for index in indexes:
                if index.by_columns and index.columns in legacy_lists:
                    continue
                addition = DOCUMENTED_INDEX_ADDITIONS.get(index.name)
                if addition is None or addition.table != table_name:
                    problems.append(f"{table_name}: undocumented index {index.definition}")
    assert not problems, report(problems)


def test_documented_index_additions_exist_with_their_definition(schema):
    indexes = {
        index.name: index
        for alias in ALIASES
        for table_indexes in indexes_by_table(schema, alias).values()
        for index in table_indexes
    }
    problems = []
    for name, addition in DOCUMENTED_INDEX_ADDITIONS.items():
        index = indexes.get(name)
        if index is None:
            problems.append(f"{addition.table}: {name} missing ({addition.serves})")
        elif index.table != addition.table or not re.match(addition.definition, index.definition):
            problems.append(f"{name}: {index.definition} does not match {addition.definition}")
    assert not problems, report(problems)


def test_no_plain_index_duplicates_or_prefixes_another(schema):
    problems = []
    for alias in ALIASES:
        for table_name, indexes in indexes_by_table(schema, alias).items():
            for plain in (index for index in indexes if index.plain):
                for other in indexes:
                    if (
                        other is not plain
                        and other.method == "btree"
                        and not other.partial
                        and other.columns[: len(plain.columns)] == plain.columns
                    ):
                        problems.append(
                            f"{table_name}: {plain.name} {plain.columns} is covered by "
                            f"{other.name} {other.columns}"
                        )
    assert not problems, report(problems)


def test_index_names_fit_django_limit_except_kept_constraint_names(schema):
    problems = []
    for alias in ALIASES:
        for table_name, indexes in indexes_by_table(schema, alias).items():
            table = schema.tables[table_name]
            for index in indexes:
                kept = index.primary or index.constraint in table.unique_constraints
                if len(index.name) > NAME_LIMIT and not kept:
                    problems.append(f"{table_name}: {index.name} ({len(index.name)} characters)")
    assert not problems, report(problems)


# Cross-database user ids ------------------------------------------------------


def test_user_ref_fields_are_exactly_the_documented_user_id_columns(schema):
    fields = {(field.model._meta.db_table, field.column) for field in user_ref_fields()}
    assert fields == schema.user_id_columns, (
        f"missing {sorted(schema.user_id_columns - fields)}, "
        f"not documented {sorted(fields - schema.user_id_columns)}"
    )


def test_user_id_columns_have_no_foreign_key(schema):
    constrained = [
        f"{fk.table}.{column} ({fk.name})"
        for alias in ALIASES
        for fk in catalog_constraints(alias, "f")
        for column in fk.columns
        if (fk.table, column) in schema.user_id_columns
    ]
    assert not constrained, report(constrained)
