from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("specs", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE conversation_history ADD COLUMN reviewed_session_id uuid",
            "ALTER TABLE conversation_history DROP COLUMN reviewed_session_id",
        )
    ]
