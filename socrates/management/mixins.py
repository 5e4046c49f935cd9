"""Stock Django commands adjusted to a project whose "default" database is unusable."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from django.db.migrations.executor import MigrationExecutor

from socrates.databases import DATABASE_ALIASES, masked_url
from socrates.db import errors
from socrates.db.direct import direct_connections
from socrates.management import pending_work

DATABASE_CHOICES = " or ".join(f"--database {alias}" for alias in DATABASE_ALIASES)


def which_database(reason: str = "") -> CommandError:
    """The one-line refusal of a command that cannot guess its database."""
    return CommandError(f"{reason}say which database: {DATABASE_CHOICES}")


def require_reachable(alias: str) -> None:
    """A database that can't be reached is one line, not a traceback."""
    try:
        connections[alias].ensure_connection()
    except DatabaseError as exc:
        url = masked_url(connections[alias].settings_dict)
        raise CommandError(f"database '{alias}' ({url}): {errors.describe(exc).summary}") from None


class NeedsDatabase:
    """A stock command that only makes sense on one named database."""

    def handle(self, *args, **options):
        if options["database"] == DEFAULT_DB_ALIAS:
            raise which_database()
        return super().handle(*args, **options)


class UserDatabaseByDefault:
    """``--database`` defaults to the users' database, not to "default"."""

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=router.db_for_write(get_user_model()))


class ChecksEveryDatabasesMigrations:
    """Warn about unapplied migrations in auth and specs, and about work an app
    left pending (``pending_work``).

    Django only looks at "default", and silently skips the dummy one.
    """

    def check_migrations(self):
        for alias in DATABASE_ALIASES:
            try:
                executor = MigrationExecutor(connections[alias])
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            except DatabaseError as exc:
                url = masked_url(connections[alias].settings_dict)
                self.stdout.write(
                    self.style.WARNING(
                        f"Database '{alias}' ({url}): {errors.describe(exc).summary}"
                    )
                )
                continue
            if plan:
                self.stdout.write(
                    self.style.NOTICE(
                        f"Database '{alias}' has {len(plan)} unapplied migration(s); "
                        "run 'python manage.py run_migrations_safe'."
                    )
                )
        for warning in pending_work.warnings():
            self.stdout.write(self.style.WARNING(warning))


class NeedsSessionsOfItsOwn:
    """Advisory locks and session settings: behind a transaction-mode pooler,
    the command talks to the servers themselves (socrates.db.direct)."""

    def execute(self, *args, **options):
        with direct_connections():
            return super().execute(*args, **options)
