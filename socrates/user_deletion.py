"""What deleting users does in socrates_specs: each user reference's rule
(``UserRefField.on_user_delete``), applied set-based to a batch of user ids.

Every statement names the deleted users as an array and changes only rows
that still name them, so applying a batch twice, or two drainers at once,
changes nothing more the second time.
"""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from django.apps import apps
from django.db import connections, router

from socrates.db.transactions import atomic_for
from socrates.userrefs import OnUserDelete, UserRefField, user_ref_fields

# Owners are handed on first, so that what follows them (a share's
# ``shared_by_id``) goes to the new owner; rows are deleted or cleared after.
RULE_ORDER = (OnUserDelete.HAND_ON, OnUserDelete.DELETE, OnUserDelete.SET_NULL)


def deletion_steps() -> list[UserRefField]:
    """The user references with something to do, in the order they run."""
    fields = [field for field in user_ref_fields() if field.on_user_delete in RULE_ORDER]
    ordered: list[UserRefField] = []
    done: set[str] = set()
    for rule in RULE_ORDER:
        waiting = [field for field in fields if field.on_user_delete is rule]
        while waiting:
            ready = [field for field in waiting if set(field.after) <= done]
            if not ready:
                raise RuntimeError(f"A cycle in the `after` of {[f.label for f in waiting]}.")
            for field in ready:
                ordered.append(field)
                done.add(field.label)
                waiting.remove(field)
    return ordered


def statement(field: UserRefField) -> str:
    if field.sql:
        return field.sql
    table, column = field.model._meta.db_table, field.column
    if field.on_user_delete is OnUserDelete.DELETE:
        return f"DELETE FROM {table} WHERE {column} = ANY(%(users)s)"
    touched = ", updated_at = now()" if _has_column(field.model, "updated_at") else ""
    return f"UPDATE {table} SET {column} = NULL{touched} WHERE {column} = ANY(%(users)s)"


def _has_column(model, name: str) -> bool:
    return any(field.column == name for field in model._meta.concrete_fields)


def apply_user_deletion(user_ids: Sequence[UUID]) -> dict[str, int]:
    """Applies every rule to ``user_ids`` in one transaction on socrates_specs;
    returns the rows changed per column."""
    steps = deletion_steps()
    changed = {}
    database = router.db_for_write(steps[0].model)
    with atomic_for(steps[0].model), connections[database].cursor() as cursor:
        # One batch at a time: a batch choosing heirs must see what an earlier
        # one did (an heir deleted meanwhile is no heir), not its own snapshot.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended('user deletion', 0))")
        for field in steps:
            cursor.execute(statement(field), {"users": list(user_ids)})
            changed[field.label] = cursor.fetchone()[0] if cursor.description else cursor.rowcount
    return changed


# The integrity check ------------------------------------------------------------------

COPY_BATCH = 50_000
EXAMPLES = 5


@dataclass(frozen=True)
class Orphans:
    """Rows of one column that name no user in socrates_auth."""

    column: str
    rule: OnUserDelete
    rows: int
    users: int
    examples: list[str]

    @property
    def needs_repair(self) -> bool:
        # Kept rows name a former user on purpose.
        return self.rows > 0 and self.rule is not OnUserDelete.KEEP


@dataclass(frozen=True)
class IntegrityReport:
    columns: list[Orphans]
    missing_users: list[UUID]

    @property
    def needs_repair(self) -> bool:
        return any(column.needs_repair for column in self.columns)


def find_orphans(*, progress: Callable[[str], None] = lambda label: None) -> IntegrityReport:
    """Every user reference checked against the users of socrates_auth.

    The user ids are streamed into a temporary table on the socrates_specs
    side, so each column is one anti-join in PostgreSQL, however many rows:
    nothing but counts and a few ids comes back to Python.
    """
    fields = user_ref_fields()
    specs = router.db_for_write(fields[0].model)
    with atomic_for(fields[0].model), connections[specs].cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE known_users (id uuid PRIMARY KEY) ON COMMIT DROP")
        _copy_user_ids(cursor)
        cursor.execute("ANALYZE known_users")
        columns, missing = [], set()
        for field in fields:
            progress(field.label)
            table, column = field.model._meta.db_table, field.column
            orphaned = (
                f"FROM {table} r WHERE r.{column} IS NOT NULL "
                f"AND NOT EXISTS (SELECT FROM known_users k WHERE k.id = r.{column})"
            )
            cursor.execute(f"SELECT count(*), count(DISTINCT r.{column}) {orphaned}")
            rows, users = cursor.fetchone()
            examples = []
            if rows:
                cursor.execute(f"SELECT r.id::text {orphaned} ORDER BY r.id LIMIT {EXAMPLES}")
                examples = [row[0] for row in cursor.fetchall()]
                if field.on_user_delete is not OnUserDelete.KEEP:
                    cursor.execute(f"SELECT DISTINCT r.{column} {orphaned}")
                    missing.update(row[0] for row in cursor.fetchall())
            columns.append(Orphans(field.label, field.on_user_delete, rows, users, examples))
        # Dropped now, not only at commit: a caller's own transaction may go on.
        cursor.execute("DROP TABLE known_users")
    return IntegrityReport(columns=columns, missing_users=sorted(missing))


def _copy_user_ids(specs_cursor) -> None:
    user_model = apps.get_model("accounts", "User")
    auth = router.db_for_read(user_model)
    # A server-side cursor: the ids stream through, a batch at a time.
    with atomic_for(user_model), connections[auth].chunked_cursor() as source:
        source.execute(f"SELECT id::text FROM {user_model._meta.db_table}")
        while batch := source.fetchmany(COPY_BATCH):
            specs_cursor.copy_expert(
                "COPY known_users (id) FROM STDIN",
                io.StringIO("".join(f"{row[0]}\n" for row in batch)),
            )


REPAIR_BATCH = 500


def repair(report: IntegrityReport) -> int:
    """Applies the deletion rules to every user the report found missing, a
    batch of users per transaction; returns the rows changed."""
    changed = 0
    users = report.missing_users
    for start in range(0, len(users), REPAIR_BATCH):
        changed += sum(apply_user_deletion(users[start : start + REPAIR_BATCH]).values())
    return changed
