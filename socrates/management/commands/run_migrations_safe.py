import json
from collections import Counter

from django.core.management.base import BaseCommand

from socrates.adoption import AdoptFix
from socrates.databases import APP_DATABASES
from socrates.management import pending_work
from socrates.management.mixins import NeedsSessionsOfItsOwn
from socrates.migration_locks import LockRetry, MigrationApplied
from socrates.migration_runner import (
    DatabaseReport,
    DatabaseRun,
    ExitCode,
    State,
    same_database_problem,
    selected_aliases,
)

SYMBOLS = {
    State.UP_TO_DATE: "✅",
    State.MIGRATED: "✅",
    State.PENDING: "⏳",
    State.MISSING: "⏳",
    State.ADOPTABLE: "⏳",
    State.ADOPTED: "✅",
    State.REFUSED: "⛔",
    State.ERROR: "❌",
}


class Command(NeedsSessionsOfItsOwn, BaseCommand):
    help = (
        "Migrate the auth database, then the specs database, safely: creates a missing "
        "database, adopts one built by the legacy Alembic scripts in place, waits for a "
        "concurrent run, applies each migration under a lock timeout and retries it while "
        "other sessions hold its tables, explains failures in one line. "
        f"Exit codes: {', '.join(f'{code.value} {code.name.lower()}' for code in ExitCode)}."
    )
    # The runner checks connections itself and reports them in one line.
    requires_system_checks = []

    def add_arguments(self, parser):
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--auth-only", action="store_true", help="Only the auth database.")
        only.add_argument("--specs-only", action="store_true", help="Only the specs database.")
        parser.add_argument(
            "--check-status",
            action="store_true",
            help="Report applied and pending migrations; change nothing. "
            "Exits 1 when something is pending, 2 when a database can't be used.",
        )
        parser.add_argument(
            "--adopt-fix",
            action="append",
            default=[],
            choices=[fix.value for fix in AdoptFix],
            help="When adopting a legacy database, repair rows that would break a new rule, "
            "where a repair keeps every row (repeatable). Without it such rows stop the "
            "adoption, and the report says which repair applies.",
        )
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=300,
            help="Seconds to wait for another run's lock (default 300).",
        )

    def handle(self, *args, **options):
        problem = same_database_problem()
        if problem:
            self.stderr.write(f"❌ {problem} Refusing to migrate.")
            raise SystemExit(ExitCode.UNUSABLE_DATABASE)

        aliases = selected_aliases(auth_only=options["auth_only"], specs_only=options["specs_only"])

        def run(alias: str) -> DatabaseRun:
            return DatabaseRun(
                alias,
                lock_timeout=options["lock_timeout"],
                on_wait=None if options["json"] else self._say_waiting,
                on_progress=None if options["json"] else self._say_progress,
                adopt_fixes=frozenset(AdoptFix(fix) for fix in options["adopt_fix"]),
            )

        statuses = [run(alias).check_status() for alias in aliases]
        # A pair is switched over together: a database that can't be adopted
        # (or is refused for another reason) stops the run before the other
        # one changes.
        refused = [status for status in statuses if status.state == State.REFUSED]
        if options["check_status"] or refused:
            reports = statuses
        else:
            reports = []
            for alias in aliases:
                reports.append(run(alias).migrate())
                # BEHAVIOUR.md: when auth fails, specs is not touched.
                if reports[-1].exit_code:
                    break
        if not options["json"]:
            for report in reports:
                self._say(report)

        exit_code = max((report.exit_code for report in reports), default=ExitCode.OK)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"exit_code": int(exit_code), "databases": [r.as_dict() for r in reports]},
                    indent=2,
                )
            )
        if not options["json"]:
            for warning in pending_work.warnings():
                self.stdout.write(f"⚠️  {warning}")
        if exit_code:
            raise SystemExit(exit_code)

    def _say_waiting(self, report: DatabaseReport) -> None:
        self.stdout.write(f"⏳ {report.name}: another migration run is under way; waiting for it")

    def _say_progress(self, report: DatabaseReport, event: LockRetry | MigrationApplied) -> None:
        # Migrations of the other database's apps are only recorded here: their
        # lines would say nothing, unless they had to wait.
        app_label = event.migration.split(".")[0]
        if (
            app_label in APP_DATABASES[report.alias]
            or isinstance(event, LockRetry)
            or event.retries
        ):
            self.stdout.write(f"   {report.name}: {event.line()}")

    def _say(self, report: DatabaseReport) -> None:
        symbol = SYMBOLS[report.state]
        if report.state in (State.ERROR, State.REFUSED):
            line = f"{symbol} {report.name} ({report.alias}, {report.url}): {report.error}"
            self.stderr.write("\n   ".join([line, *report.details]))
            return
        if report.state == State.MISSING:
            detail = f"{report.error}; {len(report.pending)} migrations pending"
        elif report.state == State.ADOPTABLE:
            detail = (
                f"legacy, adoptable — Alembic revision {report.adoption['alembic_version']}; "
                f"a run adopts it in place, keeping every row, and applies "
                f"{self._count_summary(report, report.pending)}"
            )
        elif report.state == State.PENDING:
            detail = (
                f"{self._count_summary(report, report.pending)} pending — "
                f"{self._pending_summary(report)}"
            )
        else:
            steps = []
            if report.created:
                steps.append("created the database")
            if report.waited_for_lock:
                steps.append("waited for a concurrent run")
            if report.state == State.ADOPTED:
                steps.append(self._adoption_summary(report.adoption))
            steps.append(
                f"applied {self._count_summary(report, report.applied_now)}"
                if report.state in (State.MIGRATED, State.ADOPTED)
                else "up to date"
            )
            detail = f"{'; '.join(steps)} — {self._apps_summary(report)}"
        self.stdout.write(f"{symbol} {report.name}: {detail}")

    @staticmethod
    def _adoption_summary(adoption: dict) -> str:
        changes = ", ".join(f"{what}: {number}" for what, number in adoption["changes"].items())
        repaired = "".join(
            f", repaired {rows} row(s) ({fix})" for fix, rows in adoption["repaired"].items()
        )
        return (
            f"adopted the legacy Alembic database (revision {adoption['alembic_version']}, "
            f"kept as {adoption['retired_as']}) in {adoption['seconds']:.1f} s: "
            f"{changes or 'schema already matched'}{repaired}"
        )

    @staticmethod
    def _apps_summary(report: DatabaseReport) -> str:
        parts = []
        for app_label, head in sorted(report.heads.items()):
            applied = report.applied.get(app_label)
            number = applied.split("_")[0] if applied else "none"
            parts.append(
                f"{app_label} {number} (head)"
                if applied == head
                else f"{app_label} {number} (head {head.split('_')[0]})"
            )
        return ", ".join(parts)

    @staticmethod
    def _own_and_other(report: DatabaseReport, migrations: list[str]) -> tuple[Counter, int]:
        """Per-app counts for this database's apps, and how many belong to others.

        Django records every app's migrations in every database; those of the
        other database's apps change nothing here.
        """
        per_app = Counter(name.split(".")[0] for name in migrations)
        own_apps = APP_DATABASES[report.alias]
        own = Counter({app: count for app, count in per_app.items() if app in own_apps})
        return own, sum(per_app.values()) - sum(own.values())

    def _count_summary(self, report: DatabaseReport, migrations: list[str]) -> str:
        own, others = self._own_and_other(report, migrations)
        text = f"{sum(own.values())} migrations"
        if others:
            text += f" (+{others} of other apps, recorded only)"
        return text

    def _pending_summary(self, report: DatabaseReport) -> str:
        own, _others = self._own_and_other(report, report.pending)
        return ", ".join(f"{app} ({count})" for app, count in sorted(own.items())) or "none"
