"""Django's ``migrate``, made safe for a project without a usable "default".

Without ``--database`` it migrates ``auth`` then ``specs`` (the "default"
alias is a dummy that would end in a traceback), and a database that can't be
reached ends in one line naming the alias and the masked URL. A database
built by the legacy Alembic scripts, or in a state it doesn't recognise, is
left to ``run_migrations_safe`` (which adopts the first), in one line.
"""

from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS

from socrates.adoption import DatabaseKind, recognise
from socrates.databases import DATABASE_ALIASES
from socrates.management.mixins import require_reachable


class Command(migrate.Command):
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
        return super().handle(*args, **options)
