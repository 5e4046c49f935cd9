from django.core.management.base import BaseCommand

from accounts.services import purge_expired_refresh_tokens


class Command(BaseCommand):
    help = "Delete expired refresh tokens. Revoked ones are kept until they expire."

    def handle(self, *args, **options):
        deleted = purge_expired_refresh_tokens()
        self.stdout.write(f"purged {deleted} expired refresh token(s)")
