"""Where a live database's schema has drifted from what the migrations build.

The target is built the way adopting builds it (``adoption.build_target``):
every migration applied to an empty scratch schema of the same database,
inside a transaction that is rolled back, so nothing of it is ever seen
outside and the live schema is only read.
"""

from __future__ import annotations

from django.db import connections, transaction

from socrates.adoption import LIVE_SCHEMA, build_target
from socrates.db.catalog import differences, read_catalog


def schema_drift(alias: str) -> list[str]:
    """Every difference between ``alias``'s live schema and the migrations' one."""
    connection = connections[alias]
    with transaction.atomic(using=alias):
        target = build_target(connection, alias)
        with connection.cursor() as cursor:
            live = read_catalog(cursor, LIVE_SCHEMA)
        transaction.set_rollback(True, using=alias)
    return differences(live, target.final)
