"""The user ids of socrates_specs checked against the users of socrates_auth:
a command about users, so it lives with them (``--repair`` drains their
pending deletions first)."""

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accounts.services import drain_user_deletions
from socrates.db import errors
from socrates.user_deletion import find_orphans, repair
from socrates.userrefs import user_ref_fields


class Command(BaseCommand):
    help = (
        "List the rows of socrates_specs whose user id names no user in socrates_auth, "
        "per column; exit 1 if any must be repaired. --repair applies the deletion rules."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="Apply each column's deletion rule to them."
        )
        parser.add_argument("--json", action="store_true", help="One JSON document on stdout.")

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            report = find_orphans(progress=self._progress(enabled=not options["json"]))
            changed = 0
            if options["repair"] and report.needs_repair:
                # Pending deletions first: they mark their entries drained.
                drain_user_deletions()
                changed = repair(find_orphans())
                report = find_orphans()
        except DatabaseError as error:
            raise CommandError(errors.describe(error).summary) from None
        seconds = round(time.monotonic() - started, 2)
        if options["json"]:
            self._write_json(report, changed, seconds)
        else:
            self._write_table(report, changed, seconds)
        if report.needs_repair:
            sys.exit(1)

    def _progress(self, *, enabled: bool):
        total = len(user_ref_fields())
        done = 0
        terminal = enabled and self.stderr.isatty()

        def step(label: str) -> None:
            nonlocal done
            done += 1
            if terminal:
                bar = "#" * (20 * done // total)
                self.stderr.write(f"\r[{bar:<20}] {done}/{total} {label:<45}", ending="")
                if done == total:
                    self.stderr.write("")

        return step

    def _write_table(self, report, changed: int, seconds: float) -> None:
        for column in report.columns:
            if not column.rows:
                continue
            kept = "" if column.needs_repair else " (kept for history, as its rule says)"
            self.stdout.write(
                f"{column.column}: {column.rows} row(s) naming {column.users} missing user(s)"
                f"{kept}; e.g. {', '.join(column.examples)}"
            )
        if changed:
            self.stdout.write(f"repaired: {changed} row(s) changed by the deletion rules")
        verdict = "rows must be repaired" if report.needs_repair else "no row needs repair"
        self.stdout.write(f"{verdict} ({len(report.columns)} columns checked in {seconds} s)")

    def _write_json(self, report, changed: int, seconds: float) -> None:
        document = {
            "needs_repair": report.needs_repair,
            "repaired_rows": changed,
            "seconds": seconds,
            "columns": [
                {
                    "column": column.column,
                    "rule": column.rule.name.lower(),
                    "rows": column.rows,
                    "missing_users": column.users,
                    "examples": column.examples,
                    "needs_repair": column.needs_repair,
                }
                for column in report.columns
            ],
        }
        self.stdout.write(json.dumps(document, indent=2))
