"""Django's ``migrate``, made safe for a project without a usable "default".

Without ``--database`` it migrates ``auth`` then ``specs`` (the "default"
alias is a dummy that would end in a traceback), and a database that can't be
reached ends in one line naming the alias and the masked URL. A database
built by the legacy Alembic scripts, or in a state it doesn't recognise, is
left to ``run_migrations_safe`` (which adopts the first), in one line.

Every migration is applied under a lock timeout and tried again while other
sessions hold its tables (``socrates.migration_locks``), with one line each
saying how long it waited; when the tries run out it stops with exit status 6,
naming those sessions.
"""

from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS

from socrates.adoption import DatabaseKind, recognise
from socrates.databases import DATABASE_ALIASES
from socrates.management.mixins import NeedsSessionsOfItsOwn, require_reachable
from socrates.migration_locks import LockRetryingExecutor, migration_progress


class Command(NeedsSessionsOfItsOwn, migrate.Command):
    help = migrate.Command.help + " Without --database: the auth database, then specs."

    def handle(self, *args, **options):
        if options["database"] != DEFAULT_DB_ALIAS:
            return self._migrate(*args, **options)
        for alias in DATABASE_ALIASES:
            if options["verbosity"]:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database '{alias}':"))
            self._migrate(*args, **{**options, "database": alias})
        return None

    def _migrate(self, *args, **options):
        alias = options["database"]
        require_reachable(alias)
        recognition = recognise(alias)
        if recognition.kind is DatabaseKind.LEGACY:
            raise CommandError(
                f"database '{alias}' was built by the legacy Alembic scripts (revision "
                f"{recognition.alembic_version}): adopt it with 'python manage.py "
                "run_migrations_safe'; nothing was changed"
            )
        if recognition.kind is DatabaseKind.REFUSED:
            raise CommandError(f"database '{alias}': {recognition.reason}; nothing was changed")
        # Django's migrate builds its executor from this module-level name: the
        # one seam that puts its every migration, the test databases' included,
        # under lock retries without copying its handle().
        stock_executor = migrate.MigrationExecutor
        migrate.MigrationExecutor = LockRetryingExecutor
        migration_progress.connect(self._say_progress)
        try:
            return super().handle(*args, **options)
        finally:
            migration_progress.disconnect(self._say_progress)
            migrate.MigrationExecutor = stock_executor

    def migration_progress_callback(self, action, migration=None, fake=False):
        # An applied or unapplied migration gets the executor's line instead,
        # which says how long it waited for locks; faked ones keep Django's.
        if action.startswith(("apply_", "unapply_")) and not fake:
            return
        super().migration_progress_callback(action, migration, fake)

    def _say_progress(self, sender, event, **kwargs):
        if self.verbosity >= 1:
            self.stdout.write(f"  {event.line()}")
