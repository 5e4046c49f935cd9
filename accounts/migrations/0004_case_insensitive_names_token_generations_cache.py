"""Usernames and admin role names unique ignoring case, token generations, and
the table of Django's database cache (the throttle counters, shared by every
server process)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

# Rows that differ only in case would make the new unique indexes fail half-way
# through; name them instead, so that an operator can rename them first.
CASE_TWINS = """
SELECT UPPER({column}), string_agg({column}, ', ' ORDER BY {column})
FROM {table} WHERE {column} IS NOT NULL
GROUP BY UPPER({column}) HAVING COUNT(*) > 1 ORDER BY 1
"""


def refuse_case_twins(apps, schema_editor):
    problems = []
    with schema_editor.connection.cursor() as cursor:
        for table, column in (("users", "username"), ("admin_roles", "name")):
            cursor.execute(CASE_TWINS.format(table=table, column=column))
            problems += [f"{table}.{column}: {names}" for _, names in cursor.fetchall()]
    if problems:
        raise RuntimeError(
            "These values differ only in case and must be renamed before migrating: "
            + "; ".join(problems)
        )


# What `manage.py createcachetable` would create, made by a migration so that
# every database that is migrated has it.
CREATE_CACHE_TABLE = """
CREATE TABLE django_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX django_cache_expires ON django_cache (expires);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_log_append_only"),
    ]

    operations = [
        # Undoing a check changes nothing: the reverse has nothing to do.
        migrations.RunPython(refuse_case_twins, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="adminrole",
            name="name",
            field=models.CharField(
                max_length=100,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[a-z0-9_]+$", "Use only lower-case letters, digits and underscores."
                    )
                ],
            ),
        ),
        migrations.AddConstraint(
            model_name="adminrole",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("name"), name="uq_admin_roles_name_ci"
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("username"), name="uq_users_username_ci"
            ),
        ),
        migrations.CreateModel(
            name="TokenGeneration",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="token_generation",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("generation", models.IntegerField(db_default=0, default=0)),
            ],
            options={"db_table": "user_token_generations"},
        ),
        migrations.RunSQL(CREATE_CACHE_TABLE, "DROP TABLE django_cache;"),
    ]
