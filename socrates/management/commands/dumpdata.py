"""Django's ``dumpdata``; without ``--database``, the one database of the labels given.

A fixture comes from one database: with no labels, or labels on both, it
asks for ``--database`` rather than guess.
"""

from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.commands import dumpdata
from django.db import DEFAULT_DB_ALIAS

from socrates.databases import database_for_app
from socrates.management.mixins import DATABASE_CHOICES, which_database


class Command(dumpdata.Command):
    help = dumpdata.Command.help + " Without --database: the database of the labels given."

    def handle(self, *app_labels, **options):
        if options["database"] == DEFAULT_DB_ALIAS:
            options["database"] = self._database_of(app_labels)
        return super().handle(*app_labels, **options)

    @staticmethod
    def _database_of(labels: tuple[str, ...]) -> str:
        databases = {}
        for label in labels:
            app_label = label.split(".")[0]
            try:
                apps.get_app_config(app_label)
            except LookupError as err:
                raise CommandError(str(err)) from None
            databases.setdefault(database_for_app(app_label), []).append(label)
        # An app in no database has no rows to dump (stock skips it too).
        databases.pop(None, None)
        if len(databases) == 1:
            return next(iter(databases))
        if not databases:
            raise which_database()
        spread = "; ".join(f"{alias}: {', '.join(found)}" for alias, found in databases.items())
        raise CommandError(
            f"labels on both databases ({spread}); dump each with {DATABASE_CHOICES}"
        )
