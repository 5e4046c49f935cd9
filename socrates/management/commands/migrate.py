"""Django's ``migrate``, made safe for a project without a usable "default".

Without ``--database`` it migrates ``auth`` then ``specs`` (the "default"
alias is a dummy that would end in a traceback), and a database that can't be
reached ends in one line naming the alias and the masked URL.
"""

from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS

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
        require_reachable(options["database"])
        return super().handle(*args, **options)
