from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("online_migration", "0002_concurrent_index")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE conversation_history ADD CONSTRAINT conversation_history_reviewed_fk "
            "FOREIGN KEY (reviewed_session_id) REFERENCES sessions (id) NOT VALID",
            "ALTER TABLE conversation_history DROP CONSTRAINT conversation_history_reviewed_fk",
        )
    ]
