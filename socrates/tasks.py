"""The core's background work: the queued background migrations
(``socrates.background_migrations``), whichever apps registered them."""

import logging

from django.conf import settings

from socrates import background_migrations
from socrates.celery import enqueue, job

logger = logging.getLogger(__name__)


@job("socrates.run_background_migration")
def run_background_migration(name: str) -> str:
    """Runs a queued background migration for at most
    ``BACKGROUND_MIGRATION_TASK_SECONDS``, then enqueues itself for the rest.
    It resumes where the last run stopped, a batch at a time, and a run of
    the job under way elsewhere makes it do nothing."""
    job_ = background_migrations.registered().get(name)
    if job_ is None:
        logger.warning("no background migration is named %s", name)
        return "unknown"
    try:
        outcome = background_migrations.run(
            job_, max_seconds=settings.BACKGROUND_MIGRATION_TASK_SECONDS
        )
    except background_migrations.AlreadyRunning:
        logger.info("%s is already running in another process", name)
        return "already running"
    logger.info("%s", outcome.progress.line())
    if outcome.stopped_by:
        enqueue(run_background_migration, name)
        return "continues"
    return "finished"


@job("socrates.queue_background_migrations")
def queue_background_migrations() -> list[str]:
    """Enqueues a run of each queued background migration that is unfinished
    and not running (every 10 minutes, by beat)."""
    queued = []
    for name, job_ in background_migrations.registered().items():
        record = job_.progress()
        if record is None or record.finished_at is not None:
            continue
        if not background_migrations.is_running(job_) and enqueue(run_background_migration, name):
            queued.append(name)
    return queued
