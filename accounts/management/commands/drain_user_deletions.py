from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accounts.services import drain_user_deletions
from socrates.db import errors


class Command(BaseCommand):
    help = (
        "Apply the deletion rules of deleted users in socrates_specs, for deletions "
        "whose process stopped before it could (safe to run again, or twice at once)."
    )

    def handle(self, *args, **options):
        try:
            drained = drain_user_deletions()
        except DatabaseError as error:
            raise CommandError(
                f"stopped: {errors.describe(error).summary}; what was not drained stays pending"
            ) from None
        self.stdout.write(f"drained {drained} user deletion(s)")
