"""Django's ``dbshell``, which has no "default" database to open: it needs ``--database``."""

from django.core.management.commands import dbshell

from socrates.management.mixins import NeedsDatabase


class Command(NeedsDatabase, dbshell.Command):
    help = dbshell.Command.help + " Needs --database: auth or specs."
