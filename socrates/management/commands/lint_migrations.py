"""squawk on every migration's SQL (socrates/migration_lint.py); exit 1 on a new violation."""

from django.core.management.base import BaseCommand, CommandError

from socrates.databases import DATABASE_ALIASES
from socrates.migration_lint import ALLOW_LIST, MigrationLint, lint_migrations


class Command(BaseCommand):
    help = (
        "Check every migration's SQL (sqlmigrate) with squawk's rules for live tables "
        "(.squawk.toml). A violation fails unless migrations-lint.toml says why it is safe."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database", choices=DATABASE_ALIASES, help="one database's apps (default: both)"
        )

    def handle(self, *args, **options):
        databases = (options["database"],) if options["database"] else DATABASE_ALIASES
        report = lint_migrations(databases)
        for lint in report.migrations:
            self.stdout.write(self._line(lint))
        for label in report.unknown_migrations:
            self.stdout.write(f"❌ {ALLOW_LIST.name}: no migration {label}: remove its entry")
        new = sum(len(lint.new_violations) for lint in report.migrations)
        allowed = sum(len(lint.violations) - len(lint.new_violations) for lint in report.migrations)
        summary = (
            f"{len(report.migrations)} migrations: {new} new violation(s), "
            f"{allowed} allowed by {ALLOW_LIST.name}"
        )
        if not report.passed:
            raise CommandError(
                f"{summary}. The safe form of each operation: README, "
                '"Writing a migration for a live table".'
            )
        self.stdout.write(summary)

    @staticmethod
    def _line(lint: MigrationLint) -> str:
        symbol = "❌" if lint.new_violations or lint.unused_allowances else "✅"
        lines = [f"{symbol} {lint.database}: {lint.label}"]
        for violation in lint.new_violations:
            lines.append(f"     {violation.rule}: {violation.message}")
            lines += [f"       {text}" for text in (violation.statement, violation.help) if text]
        lines += [f"     allowed {rule}: {reason}" for rule, reason in lint.allowed.items()]
        lines += [
            f"     {ALLOW_LIST.name} allows {rule} here, but nothing breaks it: remove the line"
            for rule in lint.unused_allowances
        ]
        return "\n".join(lines)
