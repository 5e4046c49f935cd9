import json
from collections import Counter

from django.core.management.base import BaseCommand

from socrates.databases import APP_DATABASES
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
    State.LEGACY: "⛔",
    State.ERROR: "❌",
}


class Command(BaseCommand):
    help = (
        "Migrate the auth database, then the specs database, safely: creates a missing "
        "database, waits for a concurrent run, explains failures in one line. "
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

        reports = []
        for alias in selected_aliases(
            auth_only=options["auth_only"], specs_only=options["specs_only"]
        ):
            run = DatabaseRun(
                alias,
                lock_timeout=options["lock_timeout"],
                on_wait=None if options["json"] else self._say_waiting,
            )
            report = run.check_status() if options["check_status"] else run.migrate()
            reports.append(report)
            if not options["json"]:
                self._say(report)
            # BEHAVIOUR.md: when auth fails, specs is not touched.
            if report.exit_code and not options["check_status"]:
                break

        exit_code = max((report.exit_code for report in reports), default=ExitCode.OK)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"exit_code": int(exit_code), "databases": [r.as_dict() for r in reports]},
                    indent=2,
                )
            )
        if exit_code:
            raise SystemExit(exit_code)

    def _say_waiting(self, report: DatabaseReport) -> None:
        self.stdout.write(f"⏳ {report.name}: another migration run is under way; waiting for it")

    def _say(self, report: DatabaseReport) -> None:
        symbol = SYMBOLS[report.state]
        if report.state in (State.ERROR, State.LEGACY):
            line = f"{symbol} {report.name} ({report.alias}, {report.url}): {report.error}"
            self.stderr.write(line)
            return
        if report.state == State.MISSING:
            detail = f"{report.error}; {len(report.pending)} migrations pending"
        elif report.state == State.PENDING:
            detail = f"{len(report.pending)} pending — {self._pending_summary(report)}"
        else:
            steps = []
            if report.created:
                steps.append("created the database")
            if report.waited_for_lock:
                steps.append("waited for a concurrent run")
            steps.append(
                f"applied {report.applied_now} migrations"
                if report.state == State.MIGRATED
                else "up to date"
            )
            detail = f"{'; '.join(steps)} — {self._apps_summary(report)}"
        self.stdout.write(f"{symbol} {report.name}: {detail}")

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
    def _pending_summary(report: DatabaseReport) -> str:
        """Pending migrations per app of this database; --json lists them all."""
        per_app = Counter(name.split(".")[0] for name in report.pending)
        own_apps = APP_DATABASES[report.alias]
        parts = [f"{app} ({per_app[app]})" for app in sorted(own_apps) if per_app[app]]
        others = sum(count for app, count in per_app.items() if app not in own_apps)
        if others:
            parts.append(f"{others} of other apps (recorded here, changing nothing)")
        return ", ".join(parts)
