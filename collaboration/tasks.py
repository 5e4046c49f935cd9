"""Collaboration's background work (``socrates.celery``): each task calls a
service and may run again."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from collaboration import services
from socrates.celery import job

logger = logging.getLogger(__name__)


@job("collaboration.purge_invitations")
def purge_invitations() -> tuple[int, int]:
    """Marks lapsed invitations expired and deletes those that ended more than
    ``INVITATION_RETENTION_DAYS`` ago (hourly, by beat)."""
    ended_before = timezone.now() - timedelta(days=settings.INVITATION_RETENTION_DAYS)
    expired, deleted = services.purge_invitations(ended_before=ended_before)
    logger.info("expired %d invitation(s); deleted %d ended invitation(s)", expired, deleted)
    return expired, deleted
