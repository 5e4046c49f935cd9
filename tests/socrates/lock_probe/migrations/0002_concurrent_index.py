from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("lock_probe", "0001_add_column")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY lock_probe_chunk_index ON document_chunks (chunk_index)",
            "DROP INDEX CONCURRENTLY lock_probe_chunk_index",
        )
    ]
