from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("online_migration", "0003_foreign_key_not_valid")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE conversation_history VALIDATE CONSTRAINT conversation_history_reviewed_fk",
            migrations.RunSQL.noop,
        )
    ]
