from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from socrates import background_migrations
from socrates.background_migrations import AlreadyRunning, BatchFailed, Outcome, Progress
from socrates.db import errors
from socrates.management.mixins import NeedsSessionsOfItsOwn

# What a shell reports for a process stopped by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(NeedsSessionsOfItsOwn, BaseCommand):
    help = (
        "Run a background migration (a data change over a big table) in batches, each "
        "committed on its own, from where it was: stopped anyhow, it resumes at the next "
        "batch. Prints a progress line per batch (rows done of total, rate, ETA). "
        "Exit codes: 0 finished or stopped by a limit, 1 failed, 130 interrupted."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        names = sorted(background_migrations.registered())
        parser.add_argument("name", nargs="?", choices=names, help="The job to run.")
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=settings.BACKGROUND_MIGRATION_BATCH_SIZE,
            help="Rows per batch (default BACKGROUND_MIGRATION_BATCH_SIZE, "
            f"{settings.BACKGROUND_MIGRATION_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--max-seconds",
            type=float,
            help="Start no batch after this many seconds; a later run resumes.",
        )
        parser.add_argument(
            "--max-batches", type=positive_int, help="Stop after this many batches."
        )
        parser.add_argument(
            "--status",
            action="store_true",
            help="Say where each job (or the one named) is; change nothing.",
        )

    def handle(self, *args, **options):
        jobs = background_migrations.registered()
        try:
            if options["status"]:
                for name in [options["name"]] if options["name"] else sorted(jobs):
                    self.stdout.write(self._status(jobs[name]))
                return
            if not options["name"]:
                raise CommandError(f"name the job to run: {', '.join(sorted(jobs))}")
            job = jobs[options["name"]]
            try:
                outcome = background_migrations.run(
                    job,
                    batch_size=options["batch_size"],
                    max_seconds=options["max_seconds"],
                    max_batches=options["max_batches"],
                    on_progress=self._say_progress,
                )
            except KeyboardInterrupt:
                self.stderr.write(
                    f"{job.name}: interrupted; the batch under way was rolled back and "
                    "the ones before it are kept: run again to resume"
                )
                raise SystemExit(EXIT_INTERRUPTED) from None
        except (AlreadyRunning, BatchFailed) as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(errors.describe(error).summary) from None
        self.stdout.write(self._ending(outcome))

    def _say_progress(self, progress: Progress) -> None:
        self.stdout.write(progress.line())
        self.stdout.flush()

    @staticmethod
    def _ending(outcome: Outcome) -> str:
        progress = outcome.progress
        if outcome.stopped_by:
            return (
                f"{progress.name}: stopped by {outcome.stopped_by} after "
                f"{progress.rows_done:,} of {progress.rows_total:,} rows; "
                "run again to resume from there"
            )
        if not progress.batch:
            return f"{progress.name}: already finished; nothing to do"
        return (
            f"{progress.name}: finished: {progress.rows_done:,} rows visited, "
            f"{progress.rows_changed:,} changed"
        )

    @staticmethod
    def _status(job) -> str:
        record = job.progress()
        if record is None:
            return f"{job.name}: not queued (nothing to do when its migration ran)"
        if record.finished_at:
            state = f"finished at {record.finished_at:%Y-%m-%d %H:%M:%S %Z}"
        elif background_migrations.is_running(job):
            state = "running now"
        elif record.started_at:
            state = "stopped; a run resumes it"
        else:
            state = "queued, not started"
        line = (
            f"{job.name}: {state}; {record.rows_done:,} rows visited, "
            f"{record.rows_changed:,} changed"
        )
        if record.started_at:
            line += f"; started {record.started_at:%Y-%m-%d %H:%M:%S %Z}"
        if record.last_error:
            line += f"; last error: {record.last_error}"
        return line
