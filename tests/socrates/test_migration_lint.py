"""The migration linter: squawk on each migration's SQL, an allow-list with reasons.

A probe migration is rendered as ``sqlmigrate`` prints it (BEGIN/COMMIT when
atomic) for the next migration of ``collaboration``, on ``activity_logs``, a
table that exists, and judged by the same function as the migrations on disk.
"""

import pytest
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.operations import (
    AddConstraintNotValid,
    AddIndexConcurrently,
    RemoveIndexConcurrently,
    ValidateConstraint,
)
from django.db import connections, migrations, models
from django.db.migrations.loader import MigrationLoader

from socrates.migration_lint import RUN_PYTHON, lint_migration
from tests.postgres import Server, run_manage

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

PROBE_INDEX = models.Index(fields=["resource_name"], name="ix_probe")
NOT_NULL_CHECK = models.CheckConstraint(
    condition=models.Q(resource_name__isnull=False), name="ck_probe_resource_name_not_null"
)

UNCONSTRAINED_PROJECT = models.ForeignKey(
    "specs.project", null=True, on_delete=models.CASCADE, db_constraint=False, db_index=False
)


def probe(*operations, atomic: bool = True) -> migrations.Migration:
    migration = migrations.Migration("9999_probe", "collaboration")
    migration.operations = list(operations)
    migration.atomic = atomic
    return migration


def sqlmigrate_output(*steps: migrations.Migration) -> str:
    """What ``sqlmigrate`` prints for the last of ``steps``, each applied after the last on disk."""
    state = MigrationLoader(None).project_state()
    # A connection of its own: the test's transaction would make Django refuse
    # to render a concurrent index even for a non-atomic migration.
    connection = connections.create_connection("specs")
    try:
        for step in steps:
            with connection.schema_editor(collect_sql=True, atomic=step.atomic) as editor:
                state = step.apply(state, editor, collect_sql=True)
    finally:
        connection.close()
    sql = "\n".join(editor.collected_sql)
    return f"BEGIN;\n{sql}\nCOMMIT;\n" if step.atomic else sql


def broken_rules(*steps: migrations.Migration, allow_list=None) -> set[str]:
    lint = lint_migration("specs", steps[-1], sqlmigrate_output(*steps), allow_list or {})
    return {violation.rule for violation in lint.new_violations}


def test_every_migration_passes_squawk_or_is_allowed_with_a_reason(server: Server):
    test_databases = {
        f"DATABASE_URL_{alias.upper()}": server.url(connections[alias].settings_dict["NAME"])
        for alias in ("auth", "specs")
    }
    completed = run_manage("lint_migrations", env=test_databases)
    assert completed.exit_code == 0, completed.output
    assert "✅ auth: accounts.0001_initial" in completed.stdout
    assert "✅ specs: rag.0001_initial" in completed.stdout
    assert "0 new violation(s)" in completed.stdout


# Each operation as Django writes it, on a table that holds rows, and what squawk says.
UNSAFE_OPERATIONS = [
    (migrations.AddIndex("activitylog", PROBE_INDEX), {"require-concurrent-index-creation"}),
    (
        migrations.RemoveIndex("activitylog", "ix_activity_logs_project"),
        {"require-concurrent-index-deletion"},
    ),
    (migrations.AddConstraint("activitylog", NOT_NULL_CHECK), {"constraint-missing-not-valid"}),
    (
        migrations.AddConstraint(
            "activitylog", models.UniqueConstraint(fields=["resource_name"], name="uq_probe")
        ),
        {"constraint-missing-not-valid", "disallowed-unique-constraint"},
    ),
    (
        migrations.AddField(
            "activitylog",
            "project",
            models.ForeignKey("specs.project", null=True, on_delete=models.CASCADE),
        ),
        {
            "adding-foreign-key-constraint",
            "constraint-missing-not-valid",
            "require-concurrent-index-creation",
        },
    ),
    (
        migrations.AddField("activitylog", "token", models.UUIDField(db_default=RandomUUID())),
        {"adding-field-with-default"},
    ),
    (
        migrations.AlterField(
            "activitylog", "resource_name", models.CharField(max_length=255, default="")
        ),
        {"adding-not-nullable-field"},
    ),
    (
        migrations.AlterField("activitylog", "resource_name", models.TextField(null=True)),
        {"changing-column-type"},
    ),
    (migrations.RemoveField("activitylog", "user_agent"), {"ban-drop-column"}),
    (migrations.RenameField("activitylog", "user_agent", "agent"), {"renaming-column"}),
    (
        migrations.RunSQL('CREATE INDEX CONCURRENTLY "ix_probe" ON "activity_logs" ("action")'),
        {"ban-concurrent-index-creation-in-transaction"},
    ),
]


@pytest.mark.parametrize(
    ("operation", "rules"),
    [
        pytest.param(operation, rules, id=operation.describe())
        for operation, rules in UNSAFE_OPERATIONS
    ],
)
def test_a_new_migration_that_locks_a_live_table_fails_the_lint(operation, rules):
    assert broken_rules(probe(operation)) == rules


def test_a_violation_listed_with_its_reason_passes_and_a_stale_listing_fails():
    unsafe = probe(migrations.AddIndex("activitylog", PROBE_INDEX))
    reason = {"collaboration.9999_probe": {"require-concurrent-index-creation": "empty table"}}
    assert broken_rules(unsafe, allow_list=reason) == set()

    safe = probe(AddIndexConcurrently("activitylog", PROBE_INDEX), atomic=False)
    lint = lint_migration("specs", safe, sqlmigrate_output(safe), reason)
    assert lint.unused_allowances == ["require-concurrent-index-creation"]


def test_a_data_migration_needs_a_reason_as_squawk_cannot_read_it():
    def backfill(apps, schema_editor):
        pass

    assert broken_rules(probe(migrations.RunPython(backfill))) == {RUN_PYTHON}


SAFE_FORMS = {
    "concurrent index": [probe(AddIndexConcurrently("activitylog", PROBE_INDEX), atomic=False)],
    "concurrent index removal": [
        probe(RemoveIndexConcurrently("activitylog", "ix_activity_logs_project"), atomic=False)
    ],
    "constraint NOT VALID, then VALIDATE": [
        probe(AddConstraintNotValid("activitylog", NOT_NULL_CHECK)),
        probe(ValidateConstraint("activitylog", NOT_NULL_CHECK.name)),
    ],
    "NOT NULL column with a constant default": [
        probe(migrations.AddField("activitylog", "attempts", models.IntegerField(default=0)))
    ],
    "NOT NULL in steps: a CHECK NOT VALID, then VALIDATE and SET NOT NULL": [
        probe(AddConstraintNotValid("activitylog", NOT_NULL_CHECK)),
        probe(
            ValidateConstraint("activitylog", NOT_NULL_CHECK.name),
            migrations.AlterField(
                "activitylog", "resource_name", models.CharField(max_length=255, default="")
            ),
            migrations.RemoveConstraint("activitylog", NOT_NULL_CHECK.name),
        ),
    ],
    "unique: a concurrent unique index, then a constraint using it": [
        probe(
            migrations.RunSQL(
                'CREATE UNIQUE INDEX CONCURRENTLY "uq_probe" ON "activity_logs" ("resource_name")',
                'DROP INDEX CONCURRENTLY "uq_probe"',
            ),
            atomic=False,
        ),
        probe(
            migrations.RunSQL(
                'ALTER TABLE "activity_logs" ADD CONSTRAINT "uq_probe" '
                'UNIQUE USING INDEX "uq_probe"',
                'ALTER TABLE "activity_logs" DROP CONSTRAINT "uq_probe"',
            )
        ),
    ],
    "foreign key: the column, its index concurrently, the constraint NOT VALID, VALIDATE": [
        probe(migrations.AddField("activitylog", "project", UNCONSTRAINED_PROJECT)),
        probe(
            AddIndexConcurrently(
                "activitylog", models.Index(fields=["project"], name="ix_activity_logs_project_id")
            ),
            atomic=False,
        ),
        probe(
            migrations.SeparateDatabaseAndState(
                database_operations=[
                    migrations.RunSQL(
                        'ALTER TABLE "activity_logs" ADD CONSTRAINT "fk_activity_logs_project" '
                        'FOREIGN KEY ("project_id") REFERENCES "projects" ("id") NOT VALID',
                        'ALTER TABLE "activity_logs" DROP CONSTRAINT "fk_activity_logs_project"',
                    )
                ],
                state_operations=[
                    migrations.AlterField(
                        "activitylog",
                        "project",
                        models.ForeignKey(
                            "specs.project", null=True, on_delete=models.CASCADE, db_index=False
                        ),
                    )
                ],
            )
        ),
        probe(
            migrations.RunSQL(
                'ALTER TABLE "activity_logs" VALIDATE CONSTRAINT "fk_activity_logs_project"',
                migrations.RunSQL.noop,
            )
        ),
    ],
    "volatile default: the column without it, then the default for new rows": [
        probe(migrations.AddField("activitylog", "token", models.UUIDField(null=True))),
        probe(
            migrations.AlterField(
                "activitylog", "token", models.UUIDField(null=True, db_default=RandomUUID())
            )
        ),
    ],
    "rename a field, keeping its column": [
        probe(
            migrations.AlterField(
                "activitylog",
                "user_agent",
                models.CharField(max_length=500, null=True, db_column="user_agent"),
            ),
            migrations.RenameField("activitylog", "user_agent", "agent"),
        )
    ],
    "rename a model, keeping its table": [
        probe(migrations.RenameModel("ActivityLog", "ActivityEntry"))
    ],
    "drop a column: from the state first": [
        probe(
            migrations.SeparateDatabaseAndState(
                state_operations=[migrations.RemoveField("activitylog", "user_agent")]
            )
        )
    ],
    "a table with its indexes and constraints, in one migration": [
        probe(
            migrations.CreateModel(
                "Probe",
                [
                    ("id", models.BigAutoField(primary_key=True)),
                    ("project", models.ForeignKey("specs.project", on_delete=models.CASCADE)),
                    ("rank", models.IntegerField()),
                ],
                options={"db_table": "probes"},
            ),
            migrations.AddIndex("probe", models.Index(fields=["rank"], name="ix_probes_rank")),
            migrations.AddConstraint(
                "probe", models.UniqueConstraint(fields=["project", "rank"], name="uq_probes")
            ),
        )
    ],
}


@pytest.mark.parametrize("steps", SAFE_FORMS.values(), ids=SAFE_FORMS.keys())
def test_the_safe_forms_in_the_readme_pass_the_lint(steps):
    for count in range(1, len(steps) + 1):
        assert broken_rules(*steps[:count]) == set()
