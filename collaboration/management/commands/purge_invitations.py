from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from collaboration.services import purge_invitations


class Command(BaseCommand):
    help = (
        "Mark lapsed pending invitations expired, and delete invitations that ended "
        "(accepted, declined, revoked, expired) more than --days ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.INVITATION_RETENTION_DAYS,
            help="default: INVITATION_RETENTION_DAYS (%(default)s)",
        )

    def handle(self, *args, days, **options):
        expired, deleted = purge_invitations(ended_before=timezone.now() - timedelta(days=days))
        self.stdout.write(f"expired {expired} invitation(s); deleted {deleted} ended invitation(s)")
