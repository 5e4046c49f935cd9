"""Every app's migrations unapplied back to its first one and applied again,
on a pair of databases with rows in every table: the rows of every table the
round trip did not drop stay. Then the project's first migrations are
unapplied too (``migrate accounts zero``, ``migrate specs zero``) and applied
again: the schema ends equal to a fresh pair's.

Run in this process, with the ``auth`` and ``specs`` connections pointed at
a scratch pair for the while (``pointed_at``), so that ``migrate`` runs as
operators run it and the services write the project's own tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython, RunSQL

from socrates.adoption import LIVE_SCHEMA, project_apps
from socrates.databases import APP_DATABASES
from socrates.db.catalog import Catalog, differences, read_catalog
from tests.legacy import fill_legacy_pair, pair_databases
from tests.postgres import ScratchPair, Server, scratch_pair

# Django's own tables that nothing here writes to; every other table gets rows.
UNWRITTEN_DJANGO_TABLES = {
    "auth_group",
    "auth_group_permissions",
    "django_admin_log",
    "django_session",
    # django-celery-results' groups and chords: the project uses neither.
    "django_celery_results_groupresult",
    "django_celery_results_chordcounter",
}
# Rows that the round trip deletes and writes again, under new ids (their
# number is still checked).
REWRITTEN_ROWS = {
    "django_migrations": "the records of the migrations unapplied and applied again",
    "admin_roles": "the system roles: 0002's reverse removes them, its forward seeds them",
}


@contextmanager
def pointed_at(pair: ScratchPair) -> Iterator[None]:
    """The ``auth`` and ``specs`` connections on ``pair``'s databases, then back."""
    names = {}
    for alias, database in pair_databases(pair):
        connection = connections[alias]
        connection.close()
        names[alias] = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = database
    try:
        yield
    finally:
        for alias, name in names.items():
            connections[alias].close()
            connections[alias].settings_dict["NAME"] = name


def create_and_migrate(server: Server, pair: ScratchPair) -> None:
    for _alias, database in pair_databases(pair):
        server.execute(f'CREATE DATABASE "{database}"')
    call_command("migrate", verbosity=0)


def catalog(alias: str) -> Catalog:
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        return read_catalog(cursor, LIVE_SCHEMA)


@dataclass(frozen=True)
class TableState:
    oid: int  # a table dropped and created again has a new one
    rows: int
    ids: frozenset[str]


def tables(alias: str) -> dict[str, TableState]:
    states = {}
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT relname, oid FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = %s::regnamespace",
            [LIVE_SCHEMA],
        )
        for name, oid in cursor.fetchall():
            key = "id" if ("id",) in _columns(cursor, oid) else "ctid"
            cursor.execute(f'SELECT {key}::text FROM "{name}"')
            ids = frozenset(row_id for (row_id,) in cursor.fetchall())
            states[name] = TableState(oid, len(ids), ids)
    return states


def _columns(cursor, oid: int) -> list[tuple[str]]:
    cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0", [oid])
    return cursor.fetchall()


def fill_extension_tables() -> None:
    """The project's own tables, through the services that write them."""
    from accounts.models import User
    from accounts.services import remember_user_deletion, sign_out_everywhere
    from billing.models import APIKey
    from billing.services import count_api_key_use
    from billing.tiers import Tier
    from socrates import background_migrations
    from socrates.celery import app as celery_app

    sign_out_everywhere(user=User.objects.order_by("email").first())  # user_token_generations
    remember_user_deletion(user_id=uuid.uuid4(), using="auth")  # user_deletions
    cache.set("round-trip", "kept", timeout=3600)  # django_cache: the throttle counters
    api_key = APIKey.objects.filter(status="active").order_by("id").first()
    count_api_key_use(api_key=api_key, tier=Tier.PRO)  # api_request_windows
    wrapping = background_migrations.registered()["wrap_legacy_bcrypt_hashes"]
    background_migrations.run(wrapping, max_batches=1)  # background_migrations
    # django_celery_results_taskresult: a task's failure, as a worker records it.
    celery_app.backend.mark_as_failure(str(uuid.uuid4()), RuntimeError("round trip"))


@dataclass
class AppTrip:
    alias: str
    app: str
    first: str
    unapplied: list[str]
    reapplied: list[str]


@dataclass
class RoundTrip:
    before: dict[str, dict[str, TableState]]
    after: dict[str, dict[str, TableState]]
    trips: list[AppTrip] = field(default_factory=list)
    differences: dict[str, list[str]] = field(default_factory=dict)

    def report(self) -> str:
        lines = []
        for trip in self.trips:
            lines.append(
                f"{trip.alias} {trip.app} -> {trip.first}: unapplied "
                f"{', '.join(trip.unapplied) or 'nothing'}; reapplied "
                f"{', '.join(trip.reapplied) or 'nothing'}"
            )
        for alias, found in self.after.items():
            kept = [
                name for name, state in found.items() if self.before[alias][name].oid == state.oid
            ]
            dropped = sorted(set(found) - set(kept))
            rows = sum(found[name].rows for name in kept)
            lines.append(
                f"{alias}: {len(kept)} tables kept with {rows} rows; dropped and rebuilt: "
                f"{', '.join(dropped) or 'none'}; differences from a fresh database: "
                f"{len(self.differences[alias])}"
            )
        return "\n".join(lines)


def _names(plan) -> list[str]:
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def round_trip_each_app(alias: str, apps, *, to_zero: bool = False) -> list[AppTrip]:
    """Each app back to its first migration (or before it) and forward again."""
    trips = []
    for app in apps:
        executor = MigrationExecutor(connections[alias])
        [(_app, first)] = executor.loader.graph.root_nodes(app)
        target = "zero" if to_zero else first
        unapplied = _names(executor.migration_plan([(app, None if to_zero else first)]))
        # Unapplies what depends on it in other apps too.
        call_command("migrate", app, target, database=alias, verbosity=0)
        executor = MigrationExecutor(connections[alias])
        reapplied = _names(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        call_command("migrate", database=alias, verbosity=0)
        trips.append(AppTrip(alias, app, target, unapplied, reapplied))
    return trips


def base_apps(alias: str) -> list[str]:
    """The project's apps in ``alias`` that build on none of the others.

    Taking one to zero takes every app built on it too: the project's
    ``migrate`` refuses a database where some app's tables stay without
    their first migration recorded (a half-migrated database).
    """
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    ours = project_apps(alias)
    return [
        app
        for app in ours
        if not any(
            parent.key[0] in ours
            for root in graph.root_nodes(app)
            for parent in graph.node_map[root].parents
        )
    ]


@pytest.fixture(scope="module")
def round_trip(django_db_setup, django_db_blocker) -> RoundTrip:
    server = Server.of_test_databases()
    with (
        django_db_blocker.unblock(),
        scratch_pair(server) as fresh_pair,
        scratch_pair(server) as pair,
    ):
        with pointed_at(fresh_pair):
            create_and_migrate(server, fresh_pair)
            fresh = {alias: catalog(alias) for alias in APP_DATABASES}
        with pointed_at(pair):
            create_and_migrate(server, pair)
            fill_legacy_pair(server, pair, rows_per_table=2)
            fill_extension_tables()
            result = RoundTrip(before={alias: tables(alias) for alias in APP_DATABASES}, after={})
            for alias in APP_DATABASES:
                result.trips += round_trip_each_app(alias, APP_DATABASES[alias])
            result.after = {alias: tables(alias) for alias in APP_DATABASES}
            # Then the project's first migrations too, and every row with them.
            for alias in APP_DATABASES:
                result.trips += round_trip_each_app(alias, base_apps(alias), to_zero=True)
                result.differences[alias] = differences(catalog(alias), fresh[alias])
        print(result.report())
        yield result


def test_every_table_has_rows_before_the_round_trip(round_trip):
    empty = [
        f"{alias}.{name}"
        for alias, found in round_trip.before.items()
        for name, state in found.items()
        if not state.rows and name not in UNWRITTEN_DJANGO_TABLES
    ]
    assert empty == []
    assert len(round_trip.before["auth"]) + len(round_trip.before["specs"]) > 29


def test_each_app_back_to_its_first_migration_and_forward_has_the_fresh_schema(round_trip):
    assert round_trip.differences == {"auth": [], "specs": []}
    unapplied = {f"{trip.alias} {trip.app}": trip.unapplied for trip in round_trip.trips}
    # Each app's later migrations went, and with them what depends on them.
    assert "accounts.0007_user_change_notifications" in unapplied["auth accounts"]
    assert "accounts.0002_seed_system_admin_roles" in unapplied["auth accounts"]
    assert "billing.0002_api_request_windows" in unapplied["specs billing"]
    assert "collaboration.0002_activity_logs_project_index" in unapplied["specs collaboration"]
    for trip in round_trip.trips:
        assert sorted(trip.reapplied) == sorted(trip.unapplied), trip


def test_rows_of_the_tables_the_round_trip_kept_are_all_there(round_trip):
    lost = {}
    kept = 0
    for alias, found in round_trip.after.items():
        for name, state in found.items():
            before = round_trip.before[alias][name]
            if before.oid != state.oid:
                continue  # created by a migration that was unapplied: rows go with it
            kept += 1
            missing = before.ids - state.ids
            if missing and name not in REWRITTEN_ROWS:
                lost[f"{alias}.{name}"] = len(missing)
            if before.rows != state.rows:
                lost[f"{alias}.{name} (count)"] = (before.rows, state.rows)
    assert lost == {}
    assert kept >= 29


def test_every_data_step_of_the_projects_migrations_says_how_it_is_undone():
    """A RunPython without reverse_code, or a RunSQL without reverse_sql, makes
    its migration impossible to unapply without saying why: an irreversible
    step gives a reverse that raises IrreversibleError with the reason."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    ours = {app for alias in APP_DATABASES for app in project_apps(alias)}
    silent = [
        f"{label}.{name}: {operation.describe()}"
        for (label, name), migration in sorted(loader.disk_migrations.items())
        if label in ours
        for operation in migration.operations
        if isinstance(operation, RunPython | RunSQL) and not operation.reversible
    ]
    assert silent == []
