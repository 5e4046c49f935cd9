# Static files (admin CSS) are served by staticfiles' runserver, which this extends.
from django.contrib.staticfiles.management.commands import runserver

from socrates.management.mixins import ChecksEveryDatabasesMigrations


class Command(ChecksEveryDatabasesMigrations, runserver.Command):
    pass
