"""Django's ``flush``, which needs ``--database``.

Emptying both databases at once is never what a bare ``flush`` should do, and
"default" is a dummy. (The audit log in auth refuses TRUNCATE anyway.)
"""

from django.core.management.commands import flush

from socrates.management.mixins import NeedsDatabase


class Command(NeedsDatabase, flush.Command):
    help = flush.Command.help + " Needs --database: auth or specs."
