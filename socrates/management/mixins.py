"""Stock Django commands adjusted to a project whose "default" database is unusable."""

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections, router
from django.db.migrations.executor import MigrationExecutor

from socrates.databases import DATABASE_ALIASES, masked_url
from socrates.db import errors


class UserDatabaseByDefault:
    """``--database`` defaults to the users' database, not to "default"."""

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database=router.db_for_write(get_user_model()))


class ChecksEveryDatabasesMigrations:
    """Warn about unapplied migrations in auth and specs.

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
