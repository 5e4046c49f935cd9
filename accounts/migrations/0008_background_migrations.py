"""The progress of background migrations (``socrates.background_migrations``),
and the wrapping of legacy bcrypt hashes queued where there are any: its
work, once 0006's, runs outside the schema migrations, in batches."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Q

import socrates.db.models
from accounts.hashers import LEGACY_BCRYPT_PREFIXES

WRAP_LEGACY_BCRYPT_HASHES = "wrap_legacy_bcrypt_hashes"


def queue_wrapping_where_needed(apps, schema_editor):
    database = schema_editor.connection.alias
    users = apps.get_model("accounts", "User").objects.using(database)
    legacy = Q()
    for prefix in LEGACY_BCRYPT_PREFIXES:
        legacy |= Q(password__startswith=prefix)
    if users.filter(legacy).exists():
        progress = apps.get_model("accounts", "BackgroundMigrationProgress")
        progress.objects.using(database).get_or_create(name=WRAP_LEGACY_BCRYPT_HASHES)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_user_change_notifications"),
    ]

    operations = [
        migrations.CreateModel(
            name="BackgroundMigrationProgress",
            fields=[
                ("name", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("position", models.TextField(blank=True, null=True)),
                ("rows_done", models.BigIntegerField(db_default=0, default=0)),
                ("rows_changed", models.BigIntegerField(db_default=0, default=0)),
                (
                    "queued_at",
                    models.DateTimeField(
                        db_default=socrates.db.models.TransactionNow(),
                        default=django.utils.timezone.now,
                    ),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True, null=True)),
            ],
            options={
                "db_table": "background_migrations",
            },
        ),
        # Unapplying drops the table, and the queued job with it.
        migrations.RunPython(queue_wrapping_where_needed, migrations.RunPython.noop),
    ]
