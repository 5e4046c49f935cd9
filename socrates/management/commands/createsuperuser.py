from django.contrib.auth.management.commands import createsuperuser

from socrates.management.mixins import ChecksEveryDatabasesMigrations, UserDatabaseByDefault


class Command(ChecksEveryDatabasesMigrations, UserDatabaseByDefault, createsuperuser.Command):
    pass
