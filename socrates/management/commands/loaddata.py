"""Django's ``loaddata``; without ``--database``, the database the fixture's rows belong to.

The fixtures are read once beforehand to find it. Rows of both databases
can't be loaded in one transaction, so they get a one-line refusal instead.
"""

import os

from django.core import serializers
from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.core.management.utils import parse_apps_and_model_labels
from django.db import DEFAULT_DB_ALIAS, router

from socrates.databases import DATABASE_ALIASES
from socrates.management.mixins import which_database


class Command(loaddata.Command):
    help = loaddata.Command.help + " Without --database: the database of the fixtures' rows."

    def handle(self, *fixture_labels, **options):
        if options["database"] == DEFAULT_DB_ALIAS:
            options["database"] = self._database_of(fixture_labels, options)
        return super().handle(*fixture_labels, **options)

    def _database_of(self, fixture_labels: tuple[str, ...], options: dict) -> str:
        if loaddata.READ_STDIN in fixture_labels:
            raise which_database("stdin can't be read twice: ")
        # What the stock command sets before it looks for fixtures. With no
        # database, files named after one (name.auth.json) are not looked for;
        # find_fixtures() is cached, so the load reads the very files read here.
        self.using, self.app_label, self.format = None, options["app_label"], options["format"]
        self.verbosity = options["verbosity"]
        self.serialization_formats = serializers.get_public_serializer_formats()
        excluded_models, excluded_apps = parse_apps_and_model_labels(options["exclude"])
        databases = set()
        for label in fixture_labels:
            for fixture_file, _dir, _name in self.find_fixtures(label):
                _name, ser_fmt, cmp_fmt = self.parse_name(os.path.basename(fixture_file))
                open_method, mode = self.compression_formats[cmp_fmt]
                with open_method(fixture_file, mode) as fixture:
                    # using=None: natural keys are looked up where the router says.
                    for obj in serializers.deserialize(
                        ser_fmt,
                        fixture,
                        using=None,
                        ignorenonexistent=options["ignore"],
                        handle_forward_references=True,
                    ):
                        model = type(obj.object)
                        if (
                            model not in excluded_models
                            and model._meta.app_config not in excluded_apps
                        ):
                            databases.add(router.db_for_write(model))
        if len(databases) == 1:
            return databases.pop()
        if databases:
            raise CommandError(
                "the fixtures hold rows of both databases: load them with "
                + " and again with ".join(f"--database {alias}" for alias in DATABASE_ALIASES)
            )
        raise which_database("the fixtures hold no rows: ")
