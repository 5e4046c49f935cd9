from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("rag", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE document_chunks ADD COLUMN lock_probe text",
            "ALTER TABLE document_chunks DROP COLUMN lock_probe",
        )
    ]
