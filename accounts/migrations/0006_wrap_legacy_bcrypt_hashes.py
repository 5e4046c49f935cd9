"""Wrap every bare bcrypt hash (written by the legacy backend) in Argon2.

The hasher is imported rather than written out: a wrapped hash is only
useful to the hasher that verifies it, and its format must never change.
"""

from django.db import migrations
from django.db.models import Q

from accounts.hashers import LEGACY_BCRYPT_PREFIXES, Argon2WrappedBCryptPasswordHasher


def wrap_legacy_bcrypt_hashes(apps, schema_editor):
    users = apps.get_model("accounts", "User").objects.using(schema_editor.connection.alias)
    hasher = Argon2WrappedBCryptPasswordHasher()
    legacy = Q()
    for prefix in LEGACY_BCRYPT_PREFIXES:
        legacy |= Q(password__startswith=prefix)
    for pk, password in users.filter(legacy).values_list("pk", "password").iterator(2000):
        try:
            wrapped = hasher.wrap(password)
        except ValueError:
            # Malformed: it matches no password (User.check_password), and
            # wrapping it would not make it one.
            continue
        # Only if unchanged meanwhile: a sign-in may have rehashed it.
        users.filter(pk=pk, password=password).update(password=wrapped)


class Migration(migrations.Migration):
    # Argon2 takes a while per row: each row commits on its own, and a run
    # stopped half-way is finished by the next (wrapped rows no longer match).
    atomic = False

    dependencies = [("accounts", "0005_user_deletions")]

    operations = [
        migrations.RunPython(wrap_legacy_bcrypt_hashes, migrations.RunPython.noop, elidable=True)
    ]
