"""Background work on Celery: the app, what every task shares, and enqueueing.

Every job that is not part of answering a request is a task in its app's
``tasks.py``, declared with ``@job(name)`` and calling the app's services.
A job is written to be run again: its message is acknowledged only once it
has run (``acks_late``), so a worker that dies half-way, or whose process is
killed (``reject_on_worker_lost``), leaves the message to be delivered again.
An exception retries it with an exponential backoff and jitter, up to
``TASK_MAX_RETRIES`` times; each retry and the final failure are recorded in
``django_celery_results``' table (auth database), which the Django admin lists
under "Celery Results". Successes are not recorded.

The core knows no app: apps declare their tasks in ``tasks.py`` (found by
``autodiscover_tasks``), their periodic ones with ``schedule`` from their
``AppConfig.ready()``, and enqueue with ``enqueue`` or ``enqueue_on_commit``.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery, shared_task, signals
from celery.contrib.django.task import DjangoTask
from celery.schedules import crontab

from socrates.logs import RequestContext, current_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")

logger = logging.getLogger(__name__)

# The header carrying the id of the request (or task) that enqueued a task.
REQUEST_ID_HEADER = "socrates_request_id"
# Enqueueing from a request: a broker that is down must not hold the request
# for long. One more try after 0.2 s: a refused connection costs that much, a
# broker that never answers twice CELERY_BROKER_CONNECTION_TIMEOUT.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0.2,
    "interval_step": 0,
    "interval_max": 0.2,
}


class Job(DjangoTask):
    """What every task of the project shares (also Celery's own, such as
    ``celery.backend_cleanup``). ``job()`` adds the retry settings."""

    # Acknowledged once run, not when received: a worker lost mid-task
    # leaves the message to be delivered again.
    acks_late = True
    # A pool process killed mid-task (SIGKILL, the OOM killer) requeues the
    # message instead of failing it.
    reject_on_worker_lost = True
    autoretry_for = (Exception,)
    retry_backoff = True
    retry_jitter = True
    # Successes are not stored; retries and failures are
    # (task_store_errors_even_if_ignored).
    ignore_result = True


app = Celery("socrates", task_cls=Job)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def job(name: str, **options: Any):
    """Declares a task: ``@job("app.what_it_does")`` over a function that calls
    the app's services and may run again (see the module's docstring)."""
    from django.conf import settings

    defaults = {
        "max_retries": settings.TASK_MAX_RETRIES,
        "retry_backoff": settings.TASK_RETRY_BACKOFF_SECONDS,
        "retry_backoff_max": settings.TASK_RETRY_BACKOFF_MAX_SECONDS,
    }
    return shared_task(name=name, base=Job, **(defaults | options))


def schedule(name: str, task: str, when: timedelta | crontab, **options: Any) -> None:
    """Adds ``task`` to beat's schedule under ``name`` (from an app's
    ``AppConfig.ready()``): every ``timedelta``, or at a ``crontab`` (UTC)."""
    app.add_periodic_task(when, app.signature(task), name=name, **options)


def enqueue(task, *args: Any, **kwargs: Any) -> bool:
    """Sends ``task`` to the broker; False, and a warning logged, when the
    broker can't be reached (whatever was to be done must be found again by
    a periodic task: a sweep)."""
    try:
        task.apply_async(args, kwargs, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception as error:  # the broker's client raises its own kinds
        logger.warning(
            "%s was not enqueued (%s: %s); the periodic sweep will do its work",
            task.name,
            type(error).__name__,
            error,
        )
        return False
    return True


def enqueue_on_commit(task, *args: Any, using: str, **kwargs: Any) -> None:
    """``enqueue`` once the transaction on database ``using`` commits (never
    if it rolls back): a worker must see what the transaction wrote."""
    from django.db import transaction

    transaction.on_commit(partial(enqueue, task, *args, **kwargs), using=using)


# The broker, for /readyz ------------------------------------------------------


def broker_problem() -> str | None:
    """One connection and a round trip to the broker, each bounded by
    ``CELERY_BROKER_CONNECTION_TIMEOUT``: None if it answers (registered with
    ``socrates.health`` by ``SocratesConfig.ready``)."""
    from django.conf import settings

    url, timeout = settings.CELERY_BROKER_URL, settings.CELERY_BROKER_CONNECTION_TIMEOUT
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if is_redis(url):
        options |= {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    connection = app.connection_for_read(url, connect_timeout=timeout, transport_options=options)
    try:
        # Redis answers a PING as the channel opens; AMQP completes its handshake.
        connection.ensure_connection(max_retries=0)
        connection.default_channel  # noqa: B018  (opening it is the round trip)
    except Exception as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"broker unreachable at {masked(url)}: {reason}"
    finally:
        connection.release()
    return None


def masked(url: str) -> str:
    """A broker URL for messages: never the password."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def is_redis(url: str) -> bool:
    return url.split("://", 1)[0] in ("redis", "rediss", "redis+socket")


# Request ids in the worker's log lines ------------------------------------------


@signals.before_task_publish.connect
def _carry_request_id(headers=None, **kwargs) -> None:
    """A task enqueued while serving a request (or running a task) carries that
    request's id, so that the worker's lines can be matched with it."""
    context = current_request.get()
    if context is not None and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, context.request_id)


_contexts: dict[str, Any] = {}


@signals.task_prerun.connect
def _enter_task_context(task_id=None, task=None, **kwargs) -> None:
    """Every line logged while a task runs says which task, and which request
    enqueued it (its id), or the task's own id when none did."""
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) or task_id
    context = RequestContext(request_id=request_id, method="TASK", path=f"{task.name}[{task_id}]")
    _contexts[task_id] = current_request.set(context)


@signals.task_postrun.connect
def _leave_task_context(task_id=None, **kwargs) -> None:
    token = _contexts.pop(task_id, None)
    if token is not None:
        current_request.reset(token)


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """The worker and beat log as the web does: Django's ``LOGGING`` (stderr,
    text or JSON, request ids, secrets scrubbed), not Celery's own set-up."""
