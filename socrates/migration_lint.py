"""squawk's verdict on every migration of the project's apps, as Django runs it.

Each migration's SQL is what ``manage.py sqlmigrate`` prints for its database:
BEGIN/COMMIT around it exactly when Django runs it in one transaction, so squawk
knows which statements run inside one (where CONCURRENTLY is refused) and which
tables the migration itself creates (exempt: nobody else can hold them yet).
The rules are squawk's (``.squawk.toml``); what may break one is listed, with
the reason, in ``migrations-lint.toml``.

A RunPython operation prints as a comment that squawk cannot read; it counts as
a breach of the linter's own rule ``run-python``, so each data migration states
in the allow-list why it is safe on a live table.
"""

import json
import subprocess
import sysconfig
import tomllib
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db.migrations import Migration, RunPython
from django.db.migrations.loader import MigrationLoader

from socrates.adoption import project_apps
from socrates.databases import DATABASE_ALIASES

SQUAWK = Path(sysconfig.get_path("scripts")) / "squawk"
SQUAWK_CONFIG = Path(settings.BASE_DIR) / ".squawk.toml"
ALLOW_LIST = Path(settings.BASE_DIR) / "migrations-lint.toml"
RUN_PYTHON = "run-python"


@dataclass(frozen=True)
class Violation:
    rule: str
    # The SQL line squawk points at, or the RunPython function's name.
    statement: str
    message: str
    help: str = ""


@dataclass
class MigrationLint:
    database: str
    app_label: str
    name: str
    violations: list[Violation]
    # rule -> why breaking it is safe here (migrations-lint.toml)
    allowed: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.name}"

    @property
    def new_violations(self) -> list[Violation]:
        return [violation for violation in self.violations if violation.rule not in self.allowed]

    @property
    def unused_allowances(self) -> list[str]:
        broken = {violation.rule for violation in self.violations}
        return [rule for rule in self.allowed if rule not in broken]


@dataclass
class LintReport:
    migrations: list[MigrationLint]
    # Allow-list entries naming a migration that does not exist.
    unknown_migrations: list[str]

    @property
    def passed(self) -> bool:
        return not self.unknown_migrations and not any(
            lint.new_violations or lint.unused_allowances for lint in self.migrations
        )


def squawk_violations(sql: str, *, label: str) -> list[Violation]:
    """What squawk says of one migration's SQL, with the rules of ``.squawk.toml``."""
    completed = subprocess.run(
        [
            str(SQUAWK),
            "--config",
            str(SQUAWK_CONFIG),
            "--reporter",
            "json",
            "--stdin-filepath",
            label,
        ],
        input=sql,
        capture_output=True,
        text=True,
        check=False,
    )
    # 0: nothing found, 1: violations; anything else is squawk failing.
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"squawk failed on {label}: {completed.stderr.strip()}")
    lines = sql.splitlines()
    return [
        Violation(
            rule=found["rule_name"],
            statement=lines[found["line"]].strip() if found["line"] < len(lines) else "",
            message=found["message"],
            help=found.get("help") or "",
        )
        for found in json.loads(completed.stdout or "[]")
    ]


def migration_sql(app_label: str, name: str) -> str:
    """``manage.py sqlmigrate app_label name``: on the app's own database."""
    out = StringIO()
    call_command("sqlmigrate", app_label, name, stdout=out, no_color=True)
    return out.getvalue()


def lint_migration(
    database: str, migration: Migration, sql: str, allow_list: dict[str, dict[str, str]]
) -> MigrationLint:
    lint = MigrationLint(
        database=database,
        app_label=migration.app_label,
        name=migration.name,
        violations=squawk_violations(sql, label=f"{migration.app_label}.{migration.name}"),
    )
    lint.violations += [
        Violation(
            rule=RUN_PYTHON,
            statement=f"RunPython({operation.code.__name__})",
            message="squawk cannot read Python",
            help=f"say in {ALLOW_LIST.name} why this data change is safe on a live table",
        )
        for operation in migration.operations
        if isinstance(operation, RunPython)
    ]
    lint.allowed = allow_list.get(lint.label, {})
    return lint


def read_allow_list() -> dict[str, dict[str, str]]:
    return tomllib.loads(ALLOW_LIST.read_text())


def lint_migrations(databases: tuple[str, ...] = DATABASE_ALIASES) -> LintReport:
    """Every migration of the project's apps in ``databases``, in order."""
    allow_list = read_allow_list()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    lints = [
        lint_migration(database, migration, migration_sql(app_label, name), allow_list)
        for database in databases
        for app_label in project_apps(database)
        for (label, name), migration in sorted(loader.disk_migrations.items())
        if label == app_label
    ]
    known = {f"{label}.{name}" for label, name in loader.disk_migrations}
    return LintReport(migrations=lints, unknown_migrations=sorted(set(allow_list) - known))
