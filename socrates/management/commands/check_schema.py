"""``manage.py check_schema --database auth|specs``: the live schema against
what the migrations build, every difference on its own line."""

import json
from enum import IntEnum

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from socrates.databases import DATABASE_ALIASES, masked_url
from socrates.db import errors
from socrates.management.mixins import NeedsSessionsOfItsOwn
from socrates.schema_drift import schema_drift


class SchemaExit(IntEnum):
    SAME = 0
    DIFFERENT = 1
    UNUSABLE_DATABASE = 2


class Command(NeedsSessionsOfItsOwn, BaseCommand):
    help = (
        "Compare a database's tables, columns, types, defaults, constraints, indexes, "
        "triggers, functions and extensions with what the migrations build (in a scratch "
        "schema, rolled back); list every difference. Exit codes: "
        + ", ".join(f"{code.value} {code.name.lower()}" for code in SchemaExit)
        + "."
    )
    # The command reports an unusable database itself, in one line.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--database", required=True, choices=DATABASE_ALIASES)
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, **options):
        alias = options["database"]
        settings_dict = connections[alias].settings_dict
        try:
            found = schema_drift(alias)
        except DatabaseError as exc:
            raise CommandError(
                f"database '{alias}' ({masked_url(settings_dict)}): {errors.describe(exc).summary}",
                returncode=SchemaExit.UNUSABLE_DATABASE,
            ) from None
        name = settings_dict["NAME"]
        if options["json"]:
            self.stdout.write(json.dumps({"database": alias, "name": name, "differences": found}))
        elif found:
            self.stdout.write(
                f"❌ {name} ({alias}): {len(found)} difference(s) from what the migrations build"
            )
            for line in found:
                self.stdout.write(line)
        else:
            self.stdout.write(f"✅ {name} ({alias}): no differences from what the migrations build")
        if found:
            raise SystemExit(SchemaExit.DIFFERENT)
