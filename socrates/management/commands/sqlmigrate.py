"""Django's ``sqlmigrate``; without ``--database``, the app's own database."""

from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.commands import sqlmigrate
from django.db import DEFAULT_DB_ALIAS

from socrates.databases import database_for_app


class Command(sqlmigrate.Command):
    help = sqlmigrate.Command.help + " Without --database: the app's own database."

    def execute(self, *args, **options):
        # Chosen here, not in handle(): execute() asks the database too, for the
        # BEGIN/COMMIT around the SQL.
        if options["database"] == DEFAULT_DB_ALIAS:
            options["database"] = self._database_of(options["app_label"])
        return super().execute(*args, **options)

    @staticmethod
    def _database_of(app_label: str) -> str:
        try:
            apps.get_app_config(app_label)
        except LookupError as err:
            raise CommandError(str(err)) from None
        alias = database_for_app(app_label)
        if alias is None:
            raise CommandError(f"App '{app_label}' is in no database (socrates/databases.py)")
        return alias
