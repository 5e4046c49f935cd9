from django.contrib.auth.management.commands import changepassword

from socrates.management.mixins import UserDatabaseByDefault


class Command(UserDatabaseByDefault, changepassword.Command):
    pass
