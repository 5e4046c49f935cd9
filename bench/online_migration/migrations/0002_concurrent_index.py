from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("online_migration", "0001_nullable_column")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY conversation_history_role_created "
            "ON conversation_history (role, created_at)",
            "DROP INDEX CONCURRENTLY conversation_history_role_created",
        )
    ]
