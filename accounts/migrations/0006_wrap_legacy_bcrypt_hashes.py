"""Once wrapped every bare bcrypt hash in Argon2 here, a row per commit.

That work (one Argon2 hash per legacy user: hours for 100,000) now runs as the
background migration ``wrap_legacy_bcrypt_hashes``
(``accounts.background_migrations``), queued by 0008 and run in batches by
``manage.py run_background_migration``. It changed rows, never the schema, so
databases that applied it as it was and those that apply this no-op end up
alike; the job visits only hashes still bare.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_user_deletions")]

    operations = []
