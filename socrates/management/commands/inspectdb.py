"""Django's ``inspectdb``, which has no "default" database to read: it needs ``--database``."""

from django.core.management.commands import inspectdb

from socrates.management.mixins import NeedsDatabase


class Command(NeedsDatabase, inspectdb.Command):
    help = inspectdb.Command.help + " Needs --database: auth or specs."
