# The Celery app is made when the project loads, so that every task declared
# with ``socrates.celery.job`` binds to it (Celery's Django set-up).
from socrates.celery import app as celery_app

__all__ = ("celery_app",)
