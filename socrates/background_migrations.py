"""Batched background migrations: a data change over a big table, run outside
the schema migrations (GitLab's batched background migrations, simpler).

A schema migration runs in one transaction under the migration runner's lock;
a data change over every row of a big table does not belong there (hours of
work, one long transaction, every row it changed locked until the end). A
``BackgroundMigration`` walks its table in primary-key order, a batch at a
time: the slow part of a batch runs outside any transaction, then its changes
and the position reached commit together in one short transaction on the
table's own database. A run stopped anyhow (a limit, Ctrl-C, a crash, a
failed batch) resumes after the last committed batch; no row is visited
twice, and a change is written only where the row still holds what was read.

An app declares its jobs (a subclass per job) and registers them in its
``AppConfig.ready()``; it also provides the table that records their progress
(a concrete ``ProgressRecord``) in the database of the rows they walk. A
migration queues a job by inserting its progress row; ``manage.py
run_background_migration`` (or any worker, through ``run()``) runs it, and
the commands that start or migrate warn while a queued job is unfinished.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, models, router, transaction
from django.utils import timezone

from socrates.db import errors
from socrates.db.models import TransactionNow, defaults

# The first key of the advisory locks that keep two runs of one job apart.
ADVISORY_LOCK_CLASS = 0x5BA7C4


class ProgressRecord(models.Model):
    """Where a job is: one row per job, committed with each batch."""

    name = models.CharField(max_length=100, primary_key=True)
    # The primary key of the last row visited, as text (a UUID or a number).
    position = models.TextField(null=True, blank=True)
    rows_done = models.BigIntegerField(**defaults(0))
    rows_changed = models.BigIntegerField(**defaults(0))
    queued_at = models.DateTimeField(default=timezone.now, db_default=TransactionNow())
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


class BackgroundMigration:
    """A data change over the rows of one table, a batch at a time.

    ``rows()`` are the rows to visit (the job's table, filtered); a batch reads
    the primary key and ``fields`` of the next ones in primary-key order,
    ``prepare`` computes their changes outside any transaction, and ``apply``
    writes them inside the batch's transaction, leaving a row that changed
    meanwhile as it is.
    """

    name: ClassVar[str]
    progress_model: ClassVar[type[ProgressRecord]]
    fields: ClassVar[tuple[str, ...]]

    def rows(self) -> models.QuerySet:
        raise NotImplementedError

    def prepare(self, rows: list[tuple]) -> Any:
        raise NotImplementedError

    def apply(self, prepared: Any) -> int:
        """Writes ``prepare``'s changes; returns how many rows changed."""
        raise NotImplementedError

    @property
    def database(self) -> str:
        return router.db_for_write(self.rows().model)

    def progress(self) -> ProgressRecord | None:
        return self.progress_model.objects.filter(name=self.name).first()


_registered: dict[str, BackgroundMigration] = {}


def register(job: BackgroundMigration) -> None:
    if router.db_for_write(job.progress_model) != job.database:
        raise ImproperlyConfigured(
            f"background migration {job.name}: its progress must be recorded in the "
            "database of the rows it walks, to commit with each batch"
        )
    _registered[job.name] = job


def registered() -> dict[str, BackgroundMigration]:
    return dict(_registered)


class AlreadyRunning(Exception):
    pass


class BatchFailed(Exception):
    def __init__(self, job: BackgroundMigration, batch: int, reason: str):
        super().__init__(
            f"{job.name}: batch {batch} failed and was rolled back ({reason}); "
            "the batches before it are kept, and a run resumes at this one"
        )


@dataclass
class Progress:
    """What a run has done so far, as one progress line tells it."""

    name: str
    batch: int
    rows_done: int
    rows_total: int
    rows_changed: int
    rows_this_run: int
    seconds: float
    finished: bool = False

    @property
    def rate(self) -> float:
        return self.rows_this_run / self.seconds if self.seconds else 0.0

    @property
    def eta_seconds(self) -> float | None:
        left = max(self.rows_total - self.rows_done, 0)
        if not left:
            return 0.0
        return left / self.rate if self.rate else None

    def line(self) -> str:
        share = f" ({self.rows_done / self.rows_total:.1%})" if self.rows_total else ""
        eta = "done" if self.finished else f"ETA {duration(self.eta_seconds)}"
        return (
            f"{self.name}: batch {self.batch}: {self.rows_done:,}/{self.rows_total:,} rows"
            f"{share}, {self.rows_changed:,} changed; {self.rate:,.1f} rows/s; {eta}"
        )


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


@dataclass
class Outcome:
    progress: Progress
    # None when finished; otherwise what stopped it before the end.
    stopped_by: str | None = None


@contextmanager
def _exclusive(job: BackgroundMigration) -> Iterator[None]:
    """Held for a run, on the job's database session: a second run of the job
    is refused, and a run that dies releases it with its connection."""
    with connections[job.database].cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s, hashtext(%s))", [ADVISORY_LOCK_CLASS, job.name]
        )
        if not cursor.fetchone()[0]:
            raise AlreadyRunning(f"{job.name} is already running in another process")
    try:
        yield
    finally:
        with connections[job.database].cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, hashtext(%s))", [ADVISORY_LOCK_CLASS, job.name]
            )


def unfinished_warning() -> str | None:
    """For ``socrates.management.pending_work``: the queued jobs not finished."""
    unfinished = []
    for job in _registered.values():
        try:
            record = job.progress()
        except DatabaseError:
            # Not migrated yet, or unreachable: the migration notes say so.
            continue
        if record is None or record.finished_at is not None:
            continue
        if record.started_at is None:
            state = "queued, not started"
        else:
            state = f"stopped after {record.rows_done:,} rows"
        if record.last_error:
            state += f"; last error: {record.last_error}"
        unfinished.append(
            f"background migration {job.name} has not finished ({state}): run "
            f"'python manage.py run_background_migration {job.name}' (it resumes where it was)."
        )
    return " ".join(unfinished) or None


def is_running(job: BackgroundMigration) -> bool:
    try:
        with _exclusive(job):
            return False
    except AlreadyRunning:
        return True


def run(
    job: BackgroundMigration,
    *,
    batch_size: int | None = None,
    max_seconds: float | None = None,
    max_batches: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> Outcome:
    """Runs ``job`` from where it was until it finishes or a limit stops it.

    Each batch commits on its own with the position reached. A batch that
    fails is rolled back, its error recorded, and ``BatchFailed`` raised;
    Ctrl-C (KeyboardInterrupt) rolls back only the batch under way. Raises
    ``AlreadyRunning`` when another run of the job holds it.
    """
    batch_size = batch_size or settings.BACKGROUND_MIGRATION_BATCH_SIZE
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    with _exclusive(job):
        return _run(job, batch_size, max_seconds, max_batches, on_progress or (lambda _: None))


def _run(job, batch_size, max_seconds, max_batches, on_progress) -> Outcome:
    database = job.database
    progress_rows = job.progress_model.objects.using(database)
    record, _created = progress_rows.get_or_create(name=job.name)
    progress = Progress(
        name=job.name,
        batch=0,
        rows_done=record.rows_done,
        rows_total=record.rows_done,
        rows_changed=record.rows_changed,
        rows_this_run=0,
        seconds=0.0,
        finished=record.finished_at is not None,
    )
    if progress.finished:
        return Outcome(progress)
    pk = job.rows().model._meta.pk
    position = None if record.position is None else pk.to_python(record.position)
    remaining = job.rows().using(database)
    if position is not None:
        remaining = remaining.filter(pk__gt=position)
    progress.rows_total += remaining.count()
    if record.started_at is None:
        progress_rows.filter(name=job.name).update(started_at=timezone.now())

    started = time.monotonic()
    while True:
        if max_batches is not None and progress.batch >= max_batches:
            return Outcome(progress, stopped_by=f"--max-batches {max_batches}")
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            return Outcome(progress, stopped_by=f"--max-seconds {max_seconds:g}")
        batch = job.rows().using(database).order_by("pk").values_list("pk", *job.fields)
        if position is not None:
            batch = batch.filter(pk__gt=position)
        rows = list(batch[:batch_size])
        progress.batch += 1
        try:
            # The walk may end on a full batch: the next one finds no row.
            prepared = job.prepare(rows) if rows else None
            with transaction.atomic(using=database):
                changed = job.apply(prepared) if rows else 0
                finished = len(rows) < batch_size
                now = timezone.now()
                if rows:
                    position = rows[-1][0]
                progress_rows.filter(name=job.name).update(
                    position=None if position is None else str(position),
                    rows_done=models.F("rows_done") + len(rows),
                    rows_changed=models.F("rows_changed") + changed,
                    updated_at=now,
                    finished_at=now if finished else None,
                    last_error=None,
                )
        except Exception as error:
            reason = errors.describe(error).summary
            # If the database went away too, the batch's error is raised all the same.
            with suppress(DatabaseError):
                progress_rows.filter(name=job.name).update(
                    last_error=f"batch {progress.batch}: {reason}", updated_at=timezone.now()
                )
            raise BatchFailed(job, progress.batch, reason) from error
        progress.rows_done += len(rows)
        progress.rows_changed += changed
        progress.rows_this_run += len(rows)
        progress.seconds = time.monotonic() - started
        progress.finished = finished
        # Rows leave the set meanwhile (a sign-in rehashes one): the total is
        # what was counted, or what was done when the walk ended.
        if finished:
            progress.rows_total = progress.rows_done
        on_progress(progress)
        if finished:
            return Outcome(progress)
