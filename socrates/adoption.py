"""Adopting a database built by the legacy Alembic scripts, in place.

The target is not written down here: it is what Django's own migrations build.
They are applied to an empty scratch schema inside the adopting transaction,
and the live ``public`` schema is compared with it in the catalog:

- the columns must be the same (the legacy shape), or nothing is done;
- every constraint and unique index the migrations would add is first checked
  against the rows, and rows that break one stop the adoption with a report;
- then the difference is applied: legacy constraints and indexes that match a
  target one by definition are renamed to its name, the others dropped, the
  missing ones created;
- the initial migrations are recorded as applied, the later ones run, and
  ``alembic_version`` is moved out of the way into its own schema.

All of it happens in one transaction on the database; the scratch schema is
dropped in it. A failure anywhere leaves the database as it was.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from socrates.databases import APP_DATABASES, AUTH, SPECS
from socrates.db.catalog import Catalog, Constraint, Index, read_catalog, search_path

# The last revision of each legacy database (docs/SCHEMA.md): older ones must
# first be brought there by the legacy scripts.
LEGACY_HEADS = {AUTH: "010", SPECS: "017"}
ALEMBIC_TABLE = "alembic_version"
DJANGO_MIGRATIONS = "django_migrations"
# Where alembic_version goes: kept as evidence, out of the application's schema.
RETIRED_SCHEMA = "retired_alembic"
SCRATCH_SCHEMA = "socrates_adoption_target"
LIVE_SCHEMA = "public"
EXAMPLES = 5


class DatabaseKind(StrEnum):
    EMPTY = "empty"  # none of the project's tables: a plain migrate builds them
    DJANGO = "django"
    LEGACY = "legacy"
    REFUSED = "refused"


@dataclass(frozen=True)
class Recognition:
    kind: DatabaseKind
    reason: str = ""
    alembic_version: str | None = None


class AdoptFix(StrEnum):
    """Repairs that keep every row and its meaning, asked for by name."""

    DUPLICATE_PENDING_INVITATIONS = "duplicate-pending-invitations"
    DUPLICATE_CURRENT_SPECIFICATIONS = "duplicate-current-specifications"


class Repair(NamedTuple):
    table: str
    constraints: tuple[str, ...]  # whose violations it removes
    sql: str


REPAIRS: dict[AdoptFix, Repair] = {
    # The newest pending invitation to a person stays pending; the older ones
    # were superseded by it and become expired.
    AdoptFix.DUPLICATE_PENDING_INVITATIONS: Repair(
        "project_invitations",
        ("uq_invitations_pending_user", "uq_invitations_pending_email"),
        """
        UPDATE project_invitations SET status = 'expired', updated_at = now()
        WHERE id IN (
            SELECT id FROM (
                SELECT id,
                       CASE WHEN invited_user_id IS NULL THEN 1 ELSE row_number() OVER (
                           PARTITION BY project_id, invited_user_id
                           ORDER BY created_at DESC, id DESC) END AS by_user,
                       CASE WHEN invited_email IS NULL THEN 1 ELSE row_number() OVER (
                           PARTITION BY project_id, upper(invited_email)
                           ORDER BY created_at DESC, id DESC) END AS by_email
                FROM project_invitations WHERE status = 'pending'
            ) ranked
            WHERE by_user > 1 OR by_email > 1
        )
        """,
    ),
    # The highest version of a key stays current; the others are marked
    # superseded by it, as a new version would have done.
    AdoptFix.DUPLICATE_CURRENT_SPECIFICATIONS: Repair(
        "specifications",
        ("uq_specifications_current_key",),
        """
        UPDATE specifications s
        SET is_current = false,
            superseded_at = coalesce(s.superseded_at, now()),
            superseded_by = ranked.winner::text
        FROM (
            SELECT id,
                   first_value(id) OVER newest_first AS winner,
                   row_number() OVER newest_first AS position
            FROM specifications WHERE is_current
            WINDOW newest_first AS (
                PARTITION BY project_id, key ORDER BY version DESC, created_at DESC, id DESC)
        ) ranked
        WHERE s.id = ranked.id AND ranked.position > 1
        """,
    ),
}
REPAIR_OF_CONSTRAINT = {name: fix for fix, repair in REPAIRS.items() for name in repair.constraints}


class NotAdoptable(Exception):
    def __init__(self, reason: str, details: list[str]):
        super().__init__(reason)
        self.details = details


# Recognising what a database holds ------------------------------------------------


def project_apps(alias: str) -> list[str]:
    """The project's own apps in this database (their package is in this
    repository): the ones whose tables are legacy. Django's and other
    installed packages' apps (django_celery_results) are not."""
    return [
        label
        for label in APP_DATABASES[alias]
        if Path(apps.get_app_config(label).path).parent == settings.BASE_DIR
    ]


def _initial_migrations(loader: MigrationLoader, alias: str) -> list[tuple[str, str]]:
    return [node for label in project_apps(alias) for node in loader.graph.root_nodes(label)]


def legacy_tables(alias: str) -> set[str]:
    """The tables that the project's initial migrations create: the legacy ones."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    state = loader.project_state(_initial_migrations(loader, alias), at_end=True)
    return {
        model.options["db_table"]
        for (label, _name), model in state.models.items()
        if label in project_apps(alias)
    }


def recognise(alias: str) -> Recognition:
    """What the database of ``alias`` holds, read from its catalog only."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    ours = sorted(legacy_tables(alias) & tables)
    has_django = DJANGO_MIGRATIONS in tables
    if ALEMBIC_TABLE in tables:
        if has_django:
            return Recognition(
                DatabaseKind.REFUSED,
                f"both {ALEMBIC_TABLE} and django_migrations are present: a conversion "
                "from Alembic was started by other means and not finished",
            )
        return _recognise_legacy(connection, alias)
    if has_django:
        return _recognise_django(connection, alias, ours)
    if ours:
        return Recognition(
            DatabaseKind.REFUSED,
            f"tables {_listed(ours)} exist but neither {ALEMBIC_TABLE} nor django_migrations "
            "says what built them",
        )
    return Recognition(DatabaseKind.EMPTY)


def _recognise_legacy(connection, alias: str) -> Recognition:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version_num FROM {ALEMBIC_TABLE} ORDER BY 1")
        versions = [version for (version,) in cursor.fetchall()]
    head = LEGACY_HEADS[alias]
    shown = ", ".join(versions) or "empty"
    if versions != [head]:
        return Recognition(
            DatabaseKind.REFUSED,
            f"legacy Alembic database at revision {shown}; only the last legacy revision "
            f"({head}) can be adopted: finish the upgrade with the legacy Alembic scripts first",
            alembic_version=shown,
        )
    return Recognition(DatabaseKind.LEGACY, alembic_version=head)


def _recognise_django(connection, alias: str, ours: list[str]) -> Recognition:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    missing = [
        f"{label}.{name}"
        for label, name in _initial_migrations(loader, alias)
        if (label, name) not in loader.applied_migrations
    ]
    if missing and ours:
        return Recognition(
            DatabaseKind.REFUSED,
            f"half-migrated Django database: tables {_listed(ours)} exist but "
            f"django_migrations does not record {_listed(missing)}",
        )
    return Recognition(DatabaseKind.DJANGO)


def _listed(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


# The target: Django's migrations, applied to a scratch schema ---------------------------


@dataclass
class Target:
    initial_migrations: list[tuple[str, str]]
    # The schema right after the initial migrations (what the difference is
    # applied to reach), and after all of them (what the rows must satisfy).
    initial: Catalog
    final: Catalog
    # Django's own DDL for the constraints and indexes its models declare:
    # PostgreSQL's rendering of a CHECK, run again, is stored differently.
    declared_sql: dict[str, str]


def build_target(connection, alias: str) -> Target:
    """Migrate an empty scratch schema; read its catalog twice. Call in a transaction."""
    with connection.cursor() as cursor:
        # Made and dropped in the caller's transaction: never seen outside it.
        cursor.execute(f'CREATE SCHEMA "{SCRATCH_SCHEMA}"')
        with search_path(cursor, SCRATCH_SCHEMA):
            executor = MigrationExecutor(connection)
            initial_migrations = _initial_migrations(executor.loader, alias)
            plan = executor.migration_plan(initial_migrations)
            executor.migrate(initial_migrations, plan=plan)
            # Its own bookkeeping is made by the recorder, not adopted.
            initial = read_catalog(cursor, SCRATCH_SCHEMA).without(DJANGO_MIGRATIONS)
            declared_sql = _declared_sql(connection, executor.loader, initial_migrations)
            executor = MigrationExecutor(connection)
            executor.migrate(executor.loader.graph.leaf_nodes())
            final = read_catalog(cursor, SCRATCH_SCHEMA)
        cursor.execute(f'DROP SCHEMA "{SCRATCH_SCHEMA}" CASCADE')
    return Target(
        initial_migrations=[(m.app_label, m.name) for m, _backwards in plan],
        initial=initial,
        final=final,
        declared_sql=declared_sql,
    )


def _declared_sql(connection, loader: MigrationLoader, migrations) -> dict[str, str]:
    state = loader.project_state(migrations, at_end=True)
    editor = connection.schema_editor()
    statements = {}
    for (app_label, model_name), model_state in state.models.items():
        model = state.apps.get_model(app_label, model_name)
        for item in (
            *model_state.options.get("constraints", ()),
            *model_state.options.get("indexes", ()),
        ):
            statements[item.name] = str(item.create_sql(model, editor))
    return statements


# Comparing -------------------------------------------------------------------------------


def shape_problems(live: Catalog, target: Catalog) -> list[str]:
    """Where the live tables and columns are not the legacy shape."""
    problems = [f"table {name} is missing" for name in sorted(target.tables - live.tables)]
    problems += [
        f"table {name} is not part of the legacy schema"
        for name in sorted(live.tables - target.tables - {ALEMBIC_TABLE})
    ]
    shared = live.tables & target.tables
    for key in sorted(set(target.columns) | set(live.columns)):
        if key[0] not in shared:
            continue
        name = ".".join(key)
        wanted, found = target.columns.get(key), live.columns.get(key)
        if found is None:
            problems.append(f"column {name} is missing")
        elif wanted is None:
            problems.append(f"column {name} is not part of the legacy schema")
        elif found.type != wanted.type:
            problems.append(f"column {name} is {found.type}, the legacy schema has {wanted.type}")
        elif found.nullable and not wanted.nullable:
            problems.append(f"column {name} allows NULL, the legacy schema has NOT NULL")
        elif wanted.nullable and not found.nullable:
            problems.append(f"column {name} is NOT NULL, the legacy schema allows NULL")
    return problems


@dataclass(frozen=True)
class Violation:
    """Rows that would break a constraint the adoption adds."""

    location: str  # table.column, or table (keys) where predicate
    problem: str
    rows: int
    examples: tuple[str, ...]
    fix: str | None

    def __str__(self) -> str:
        repair = (
            f"; --adopt-fix {self.fix} repairs it"
            if self.fix
            else "; no safe automatic repair: correct these rows, then run again"
        )
        examples = ", ".join(self.examples)
        return f"{self.location}: {self.rows} row(s) {self.problem}; e.g. {examples}{repair}"


def _new_rules(live: Catalog, target: Catalog) -> list[Constraint | Index]:
    """Target constraints and unique indexes on legacy tables that the live schema lacks."""
    live_constraints = {c.signature for c in live.constraints}
    live_unique = {i.signature for i in live.indexes if i.unique}
    rules: list[Constraint | Index] = [
        c
        for c in target.constraints
        if c.table in live.tables and c.kind in "cf" and c.signature not in live_constraints
    ]
    rules += [
        i
        for i in target.indexes
        if i.table in live.tables and i.unique and i.signature not in live_unique
    ]
    return rules


def find_violations(cursor, live: Catalog, targets: list[Catalog]) -> list[Violation]:
    seen: set[tuple] = set()
    violations = []
    for target in targets:
        for rule in _new_rules(live, target):
            if rule.signature in seen:
                continue
            seen.add(rule.signature)
            found = _violation(cursor, rule)
            if found:
                violations.append(found)
    return violations


def _violation(cursor, rule: Constraint | Index) -> Violation | None:
    table = _quoted(rule.table)
    if isinstance(rule, Index):
        keys = ", ".join(rule.keys)
        where = [f"({rule.predicate})"] if rule.predicate else []
        if rule.nulls_distinct:
            where += [f"({key}) IS NOT NULL" for key in rule.keys]
        query = f"""
            SELECT id FROM (
                SELECT id, count(*) OVER (PARTITION BY {keys}) AS twins FROM {table}
                WHERE {" AND ".join(where) or "true"}
            ) grouped WHERE twins > 1"""
        name = rule.constraint or rule.name
        location = f"{rule.table} ({keys})" + (f" where {rule.predicate}" if rule.predicate else "")
        problem = f"repeat what {name} keeps unique"
    elif rule.kind == "c":
        check = rule.definition.removeprefix("CHECK ").removesuffix(" NOT VALID")
        query = f"SELECT id FROM {table} WHERE NOT {check}"
        name, location = rule.name, f"{rule.table}.{', '.join(rule.columns)}"
        problem = f"break the CHECK {name}"
    else:
        pairs = " AND ".join(
            f"r.{_quoted(ref)} = t.{_quoted(col)}"
            for col, ref in zip(rule.columns, rule.ref_columns, strict=True)
        )
        present = " AND ".join(f"t.{_quoted(col)} IS NOT NULL" for col in rule.columns)
        query = f"""SELECT t.id FROM {table} t WHERE {present}
                    AND NOT EXISTS (SELECT 1 FROM {_quoted(rule.ref_table)} r WHERE {pairs})"""
        name, location = rule.name, f"{rule.table}.{', '.join(rule.columns)}"
        problem = f"name no row of {rule.ref_table} ({name})"
    cursor.execute(
        f"SELECT count(*), (array_agg(id::text ORDER BY id::text))[1:{EXAMPLES}] FROM ({query}) v"
    )
    rows, examples = cursor.fetchone()
    if not rows:
        return None
    return Violation(location, problem, rows, tuple(examples), REPAIR_OF_CONSTRAINT.get(name))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The difference ----------------------------------------------------------------------------


@dataclass
class Difference:
    statements: list[str] = field(default_factory=list)
    summary: Counter = field(default_factory=Counter)


def _take(candidates: dict[tuple, list], signature: tuple, name: str):
    """A live object with this signature, the one of the same name first."""
    found = candidates.get(signature)
    if not found:
        return None
    same = [item for item in found if item.name == name]
    chosen = same[0] if same else found[0]
    found.remove(chosen)
    return chosen


def difference(live: Catalog, target: Catalog, declared_sql: dict[str, str]) -> Difference:
    """DDL that turns the live schema's constraints, indexes and defaults into the target's."""
    diff = Difference()
    renames: list[tuple[str, str, str]] = []  # (statement template, old, new)
    creates: list[str] = []
    by_signature: dict[tuple, list] = defaultdict(list)
    for constraint in live.constraints:
        by_signature[constraint.signature].append(constraint)
    plain_live: dict[tuple, list] = defaultdict(list)
    for index in live.indexes:
        if index.constraint is None:
            plain_live[index.signature].append(index)

    # Foreign keys last: they need the keys they point at.
    for wanted in sorted(target.constraints, key=lambda c: c.kind == "f"):
        table = _quoted(wanted.table)
        match = _take(by_signature, wanted.signature, wanted.name)
        if match is not None:
            if match.name != wanted.name:
                renames.append((f"ALTER TABLE {table} RENAME CONSTRAINT {{}} TO {{}}",
                                match.name, wanted.name))  # fmt: skip
                diff.summary["constraints renamed"] += 1
            if (match.deferrable, match.deferred) != (wanted.deferrable, wanted.deferred):
                creates.append(f"ALTER TABLE {table} ALTER CONSTRAINT {_quoted(wanted.name)} "
                               + _deferrability(wanted))  # fmt: skip
            continue
        creates.append(
            declared_sql.get(wanted.name)
            or f"ALTER TABLE {table} ADD CONSTRAINT {_quoted(wanted.name)} {wanted.definition}"
        )
        diff.summary["constraints added"] += 1

    for wanted in target.indexes:
        if wanted.constraint is not None:
            continue
        match = _take(plain_live, wanted.signature, wanted.name)
        if match is None:
            creates.append(
                declared_sql.get(wanted.name)
                or f"CREATE {'UNIQUE ' if wanted.unique else ''}INDEX {_quoted(wanted.name)} "
                f"ON {_quoted(wanted.table)} {wanted.body}"
            )
            diff.summary["indexes created"] += 1
        elif match.name != wanted.name:
            renames.append(("ALTER INDEX {} RENAME TO {}", match.name, wanted.name))
            diff.summary["indexes renamed"] += 1

    leftover_constraints = [c for group in by_signature.values() for c in group]
    # Foreign keys first: a unique key can't go while one points at it.
    for constraint in sorted(leftover_constraints, key=lambda c: c.kind != "f"):
        diff.statements.append(
            f"ALTER TABLE {_quoted(constraint.table)} DROP CONSTRAINT {_quoted(constraint.name)}"
        )
        diff.summary["constraints dropped"] += 1
    for index in (i for group in plain_live.values() for i in group):
        diff.statements.append(f"DROP INDEX {_quoted(index.name)}")
        diff.summary["indexes dropped"] += 1

    # Through temporary names, so that two objects may swap names.
    for number, (template, old, _new) in enumerate(renames):
        diff.statements.append(template.format(_quoted(old), _quoted(f"adopting_{number}")))
    for number, (template, _old, new) in enumerate(renames):
        diff.statements.append(template.format(_quoted(f"adopting_{number}"), _quoted(new)))
    diff.statements += _defaults(live, target, diff.summary)
    diff.statements += creates
    return diff


def _deferrability(constraint: Constraint) -> str:
    if not constraint.deferrable:
        return "NOT DEFERRABLE"
    return "DEFERRABLE INITIALLY " + ("DEFERRED" if constraint.deferred else "IMMEDIATE")


def _defaults(live: Catalog, target: Catalog, summary: Counter) -> list[str]:
    """Column defaults brought to the target's (no row changes)."""
    statements = []
    for (table, column), wanted in sorted(target.columns.items()):
        found = live.columns.get((table, column))
        if found is None or found.default == wanted.default:
            continue
        action = f"SET DEFAULT {wanted.default}" if wanted.default else "DROP DEFAULT"
        statements.append(f"ALTER TABLE {_quoted(table)} ALTER COLUMN {_quoted(column)} {action}")
        summary["defaults aligned"] += 1
    return statements


# Adopting --------------------------------------------------------------------------------


@dataclass
class Adoption:
    alembic_version: str
    repaired: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    migrations_recorded: list[str] = field(default_factory=list)
    migrations_applied: list[str] = field(default_factory=list)
    seconds: float = 0.0
    retired_as: str = f"{RETIRED_SCHEMA}.{ALEMBIC_TABLE}"

    def as_dict(self) -> dict:
        return asdict(self)


def adopt(
    alias: str,
    *,
    alembic_version: str,
    fixes: frozenset[AdoptFix] = frozenset(),
    apply: bool,
) -> Adoption:
    """Adopt the legacy database of ``alias`` (``recognise`` said so) in one transaction.

    With ``apply`` false everything up to the first change is checked and the
    transaction is rolled back: a rehearsal that says whether a run would
    adopt it. Raises ``NotAdoptable``; on any error the database is untouched.
    """
    connection = connections[alias]
    started = time.perf_counter()
    with transaction.atomic(using=alias):
        adoption = Adoption(alembic_version=alembic_version)
        target = build_target(connection, alias)
        with connection.cursor() as cursor:
            live = read_catalog(cursor, LIVE_SCHEMA)
            problems = shape_problems(live, target.initial)
            if problems:
                raise NotAdoptable("its tables are not the legacy shape", problems)
            for fix in sorted(fixes):
                if REPAIRS[fix].table in live.tables:
                    cursor.execute(REPAIRS[fix].sql)
                    adoption.repaired[fix.value] = cursor.rowcount
            violations = find_violations(cursor, live, [target.initial, target.final])
            if violations:
                raise NotAdoptable(
                    "rows break rules that adopting adds",
                    [str(violation) for violation in violations],
                )
            if not apply:
                transaction.set_rollback(True, using=alias)
                return adoption
            diff = difference(live, target.initial, target.declared_sql)
            for statement in diff.statements:
                cursor.execute(statement)
            adoption.changes = dict(diff.summary)
            _retire_alembic(cursor)
        recorder = MigrationRecorder(connection)
        recorder.ensure_schema()
        for label, name in target.initial_migrations:
            recorder.record_applied(label, name)
        adoption.migrations_recorded = [
            f"{label}.{name}" for label, name in target.initial_migrations
        ]
        adoption.migrations_applied = _apply_atomic_migrations(connection)
    adoption.seconds = round(time.perf_counter() - started, 2)
    return adoption


def _retire_alembic(cursor) -> None:
    cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{RETIRED_SCHEMA}"')
    cursor.execute(f'ALTER TABLE {LIVE_SCHEMA}.{ALEMBIC_TABLE} SET SCHEMA "{RETIRED_SCHEMA}"')
    # psycopg2 fills the literal in on the client: COMMENT takes no parameters.
    cursor.execute(
        f'COMMENT ON TABLE "{RETIRED_SCHEMA}".{ALEMBIC_TABLE} IS %s',
        [
            "Alembic's revision, kept when run_migrations_safe adopted this database on "
            f"{timezone.now():%Y-%m-%d %H:%M UTC}; django_migrations tracks the schema since."
        ],
    )


def _apply_atomic_migrations(connection) -> list[str]:
    """The later migrations, inside the adopting transaction.

    A non-atomic one (a concurrent index build, say), and any that depends on
    it, is left to the plain ``migrate`` that runs after the commit.
    """
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    deferred: set[tuple[str, str]] = set()
    plan = []
    for migration, backwards in executor.migration_plan(graph.leaf_nodes()):
        key = (migration.app_label, migration.name)
        parents = {parent.key for parent in graph.node_map[key].parents}
        if not migration.atomic or parents & deferred:
            deferred.add(key)
        else:
            plan.append((migration, backwards))
    if plan:
        executor.migrate([], plan=plan)
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
