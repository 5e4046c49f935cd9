"""Accounts' background work (``socrates.celery``): each task calls a service
and may run again."""

import logging

from accounts import services
from socrates.celery import job

logger = logging.getLogger(__name__)


@job("accounts.drain_user_deletions")
def drain_user_deletions() -> int:
    """Applies the rules of every pending user deletion in socrates_specs.
    Enqueued when a deletion commits (``accounts.signals``) and run by beat
    every ``USER_DELETION_SWEEP_SECONDS`` for any whose task was lost; one
    that fails stays pending and the task is retried."""
    drained = services.drain_user_deletions()
    logger.info("drained %d user deletion(s)", drained)
    return drained


@job("accounts.purge_refresh_tokens")
def purge_refresh_tokens() -> int:
    """Deletes expired refresh tokens (daily, by beat)."""
    purged = services.purge_expired_refresh_tokens()
    logger.info("purged %d expired refresh token(s)", purged)
    return purged
