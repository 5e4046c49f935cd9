"""Safe migration of the two Socrates databases (``manage.py run_migrations_safe``).

Each database goes through the same steps: reach it (creating it when it is
missing and the role may), recognise what it holds, take an advisory lock so
that concurrent runs queue up, then migrate or report. Every outcome is a
``DatabaseReport``; the command only prints them.
"""

import io
import zlib
from dataclasses import asdict, dataclass, field
from enum import IntEnum

import psycopg2
import psycopg2.errorcodes
from django.core.management import call_command
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from socrates import migration_locks
from socrates.adoption import AdoptFix, DatabaseKind, NotAdoptable, Recognition, adopt, recognise
from socrates.databases import APP_DATABASES, masked_url
from socrates.db import errors
from socrates.migration_locks import LockNotGranted, LockRetry, MigrationApplied

# One key for every run, whatever the database: advisory locks are scoped to
# the database they are taken in.
LOCK_KEY = zlib.crc32(b"socrates.run_migrations_safe")


class ExitCode(IntEnum):
    OK = 0
    PENDING = 1
    UNUSABLE_DATABASE = 2
    MIGRATION_FAILED = 3
    LOCK_TIMEOUT = 4
    # A database the runner will not change: a legacy one that can't be
    # adopted as it is, or one whose state it doesn't recognise.
    REFUSED = 5
    # Other sessions held a migration's tables through all its tries.
    LOCK_NOT_GRANTED = migration_locks.EXIT_STATUS


class State:
    UP_TO_DATE = "up_to_date"
    MIGRATED = "migrated"
    PENDING = "pending"
    MISSING = "missing"
    ADOPTABLE = "legacy_adoptable"
    ADOPTED = "adopted"
    REFUSED = "refused"
    ERROR = "error"


@dataclass
class DatabaseReport:
    alias: str
    name: str
    url: str
    state: str = State.ERROR
    exit_code: int = ExitCode.OK
    # Latest applied migration of each app that lives in this database.
    applied: dict[str, str] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    applied_now: list[str] = field(default_factory=list)
    # Each migration applied by this run: seconds, seconds waited for locks, retries.
    migrations: list[dict] = field(default_factory=list)
    lock_retries: int = 0
    created: bool = False
    waited_for_lock: bool = False
    error: str | None = None
    # Why a database is refused, one line each (rows that break a rule...).
    details: list[str] = field(default_factory=list)
    adoption: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class RunnerError(Exception):
    def __init__(self, exit_code: ExitCode, message: str, state: str = State.ERROR, details=()):
        super().__init__(message)
        self.exit_code = exit_code
        self.state = state
        self.details = list(details)


class DatabaseRun:
    def __init__(
        self,
        alias: str,
        *,
        lock_timeout: int,
        on_wait=None,
        on_progress=None,
        adopt_fixes: frozenset[AdoptFix] = frozenset(),
    ):
        self.alias = alias
        self.connection = connections[alias]
        self.lock_timeout = lock_timeout
        self.adopt_fixes = adopt_fixes
        self.on_wait = on_wait or (lambda report: None)
        self.on_progress = on_progress or (lambda report, event: None)
        self.report = DatabaseReport(
            alias=alias,
            name=self.connection.settings_dict["NAME"],
            url=masked_url(self.connection.settings_dict),
        )

    # Steps ----------------------------------------------------------------

    def check_status(self) -> DatabaseReport:
        return self._run(migrate=False)

    def migrate(self) -> DatabaseReport:
        return self._run(migrate=True)

    def _run(self, *, migrate: bool) -> DatabaseReport:
        try:
            if not self._connect(create_missing=migrate):
                return self.report
            if migrate:
                self._migrate_under_lock()
            else:
                self._report_status()
        except RunnerError as failure:
            self.report.state = failure.state
            self.report.exit_code = failure.exit_code
            self.report.error = str(failure)
            self.report.details = failure.details
        finally:
            self.connection.close()
        return self.report

    def _connect(self, *, create_missing: bool) -> bool:
        """Connect; False when the database is missing and only a status was asked."""
        problem = self._connection_problem()
        if problem is not None and problem.kind == errors.MISSING_DATABASE:
            if not create_missing:
                self.report.state = State.MISSING
                self.report.exit_code = ExitCode.PENDING
                self.report.error = "database does not exist yet (a run will create it)"
                self.report.pending = self._all_migrations()
                return False
            self._create_database()
            problem = self._connection_problem()
        if problem is not None:
            raise RunnerError(ExitCode.UNUSABLE_DATABASE, problem.summary)
        return True

    def _connection_problem(self) -> errors.DatabaseProblem | None:
        try:
            self.connection.close()
            self.connection.ensure_connection()
        except DatabaseError as exc:
            return errors.describe(exc)
        return None

    def _create_database(self) -> None:
        config = self.connection.settings_dict
        try:
            maintenance = psycopg2.connect(
                dbname="postgres",
                user=config["USER"] or None,
                password=config["PASSWORD"] or None,
                host=config["HOST"] or None,
                port=config["PORT"] or None,
                **config.get("OPTIONS", {}),
            )
        except psycopg2.Error as exc:
            raise _cannot_create(exc) from None
        maintenance.autocommit = True
        try:
            with maintenance.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
            self.report.created = True
        except psycopg2.Error as exc:
            # A concurrent run may have created it a moment ago.
            if exc.pgcode not in (
                psycopg2.errorcodes.DUPLICATE_DATABASE,
                psycopg2.errorcodes.UNIQUE_VIOLATION,
            ):
                raise _cannot_create(exc) from None
        finally:
            maintenance.close()

    def _recognise(self) -> Recognition:
        recognition = recognise(self.alias)
        if recognition.kind is DatabaseKind.REFUSED:
            raise RunnerError(
                ExitCode.REFUSED, f"{recognition.reason}; nothing was changed", State.REFUSED
            )
        return recognition

    def _report_status(self) -> None:
        recognition = self._recognise()
        if recognition.kind is not DatabaseKind.LEGACY:
            self._record_plan()
            return
        self._adopt(recognition, apply=False)
        self.report.state = State.ADOPTABLE
        self.report.exit_code = ExitCode.PENDING
        self.report.pending = self._plan()

    def _adopt(self, recognition: Recognition, *, apply: bool) -> None:
        try:
            adoption = adopt(
                self.alias,
                alembic_version=recognition.alembic_version,
                fixes=self.adopt_fixes,
                apply=apply,
            )
        except NotAdoptable as refusal:
            raise RunnerError(
                ExitCode.REFUSED,
                f"legacy, not adoptable: {refusal}; nothing was changed",
                State.REFUSED,
                refusal.details,
            ) from None
        except (DatabaseError, RuntimeError) as exc:
            raise RunnerError(
                ExitCode.MIGRATION_FAILED,
                f"adoption failed, nothing was changed: {_summary(exc)}",
            ) from None
        self.report.adoption = adoption.as_dict()

    def _migrate_under_lock(self) -> None:
        self._acquire_lock()
        try:
            # Under the lock: a concurrent run may have adopted it meanwhile.
            recognition = self._recognise()
            adopting = recognition.kind is DatabaseKind.LEGACY
            if adopting:
                self._adopt(recognition, apply=True)
            plan = self._plan()
            output = io.StringIO()
            migration_locks.migration_progress.connect(self._record_progress)
            try:
                call_command(
                    "migrate", database=self.alias, interactive=False, verbosity=1, stdout=output
                )
            except LockNotGranted as refusal:
                applied = [entry["migration"] for entry in self.report.migrations]
                before = f" Applied before it: {', '.join(applied)}." if applied else ""
                raise RunnerError(ExitCode.LOCK_NOT_GRANTED, f"{refusal}{before}") from None
            except (DatabaseError, RuntimeError) as exc:
                code = (
                    ExitCode.UNUSABLE_DATABASE
                    if isinstance(exc, DatabaseError)
                    and errors.describe(exc).kind == errors.PERMISSION_DENIED
                    else ExitCode.MIGRATION_FAILED
                )
                raise RunnerError(code, f"migration failed: {_summary(exc)}") from None
            finally:
                migration_locks.migration_progress.disconnect(self._record_progress)
            if adopting:
                self.report.applied_now = self.report.adoption["migrations_applied"] + plan
                self.report.state = State.ADOPTED
            else:
                self.report.applied_now = plan
                self.report.state = State.MIGRATED if plan else State.UP_TO_DATE
            self._record_plan()
        finally:
            self._release_lock()

    def _record_progress(self, sender, event: LockRetry | MigrationApplied, **kwargs) -> None:
        if sender != self.alias:
            return
        if isinstance(event, MigrationApplied):
            self.report.migrations.append(asdict(event))
        else:
            self.report.lock_retries += 1
        self.on_progress(self.report, event)

    def _acquire_lock(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if cursor.fetchone()[0]:
                return
            self.report.waited_for_lock = True
            self.on_wait(self.report)
            cursor.execute("SET lock_timeout = %s", [f"{self.lock_timeout}s"])
            try:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            except DatabaseError:
                raise RunnerError(
                    ExitCode.LOCK_TIMEOUT,
                    f"another migration run still holds the lock after {self.lock_timeout}s",
                ) from None
            finally:
                cursor.execute("RESET lock_timeout")

    def _release_lock(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

    # Reading the migration state -------------------------------------------

    def _plan(self) -> list[str]:
        executor = MigrationExecutor(self.connection)
        targets = executor.loader.graph.leaf_nodes()
        return [
            f"{migration.app_label}.{migration.name}"
            for migration, _backwards in executor.migration_plan(targets)
        ]

    def _record_plan(self) -> None:
        executor = MigrationExecutor(self.connection)
        graph = executor.loader.graph
        applied = executor.loader.applied_migrations
        for app_label in APP_DATABASES[self.alias]:
            leaves = graph.leaf_nodes(app_label)
            if leaves:
                self.report.heads[app_label] = leaves[0][1]
            names = sorted(name for label, name in applied if label == app_label)
            if names:
                self.report.applied[app_label] = names[-1]
        self.report.pending = self._plan()
        if self.report.pending:
            self.report.state = State.PENDING
            self.report.exit_code = ExitCode.PENDING
        elif self.report.state not in (State.MIGRATED, State.UP_TO_DATE, State.ADOPTED):
            self.report.state = State.UP_TO_DATE

    def _all_migrations(self) -> list[str]:
        graph = MigrationLoader(None, ignore_no_migrations=True).graph
        plan: list[str] = []
        for leaf in graph.leaf_nodes():
            for label, name in graph.forwards_plan(leaf):
                if f"{label}.{name}" not in plan:
                    plan.append(f"{label}.{name}")
        return plan


def _summary(error: Exception) -> str:
    """One line for a failed statement or a migration's own refusal."""
    if isinstance(error, DatabaseError):
        return errors.describe(error).summary
    return str(error).splitlines()[0]


def _cannot_create(error: Exception) -> RunnerError:
    return RunnerError(
        ExitCode.UNUSABLE_DATABASE,
        f"database does not exist and cannot be created ({errors.describe(error).summary})",
    )


def same_database_problem() -> str | None:
    """The legacy mix-up guard: both aliases on one database is refused."""
    from socrates.checks import check_aliases_use_distinct_databases

    found = check_aliases_use_distinct_databases()
    return found[0].msg if found else None


def selected_aliases(*, auth_only: bool, specs_only: bool) -> list[str]:
    if auth_only:
        return ["auth"]
    if specs_only:
        return ["specs"]
    return list(APP_DATABASES)
