"""Django's ``showmigrations``; without ``--database``, each database with its own apps.

Stock Django lists every app for one database, the other database's apps too:
their migrations are recorded there, but none of their tables is.
"""

from django.core.management.base import CommandError
from django.core.management.commands import showmigrations
from django.db import DEFAULT_DB_ALIAS

from socrates.databases import APP_DATABASES, database_for_app
from socrates.management.mixins import require_reachable


class Command(showmigrations.Command):
    help = showmigrations.Command.help + " Without --database: auth, then specs, each its own apps."

    def handle(self, *args, **options):
        if options["database"] != DEFAULT_DB_ALIAS:
            return self._show(*args, **options)
        app_labels = options["app_label"]
        self._validate_app_names(None, app_labels)
        for app_label in app_labels:
            if database_for_app(app_label) is None:
                raise CommandError(f"App '{app_label}' is in no database (socrates/databases.py)")
        for alias, own_apps in APP_DATABASES.items():
            shown = sorted(set(app_labels or own_apps) & set(own_apps))
            if not shown:
                continue
            if options["verbosity"]:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database '{alias}':"))
            self._show(*args, **{**options, "database": alias, "app_label": shown})
        return None

    def _show(self, *args, **options):
        require_reachable(options["database"])
        return super().handle(*args, **options)
