"""Adopting a filled legacy Alembic pair in place, timed.

    .venv/bin/python -m bench.legacy_adoption [--rows N]

It never touches existing data: it builds a scratch legacy pair beside the
configured databases (same server, names + ``_adoption_bench``) from
SCHEMA.md with tests/legacy.py, fills every table evenly up to ``--rows``
rows in all (bcrypt users included), runs ``run_migrations_safe`` on auth,
then on specs, as an operator would, and counts the rows of every table
before and after. Then it drops the pair. The output is also written to
``bench/results/legacy_adoption.txt``.
"""

import argparse
import math
import os
import time

import django

from bench import write_results

SUFFIX = "_adoption_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
    django.setup()

    from django.db import connections

    from tests.legacy import build_legacy_pair, fill_legacy_pair, row_counts
    from tests.postgres import ScratchPair, Server, run_manage
    from tests.schema_reference import load_schema

    server = Server.of_test_databases()
    pair = ScratchPair(
        server,
        auth=connections["auth"].settings_dict["NAME"] + SUFFIX,
        specs=connections["specs"].settings_dict["NAME"] + SUFFIX,
    )
    per_table = math.ceil(arguments.rows / len(load_schema().tables))
    for database in (pair.auth, pair.specs):
        server.drop_database(database)
    try:
        started = time.perf_counter()
        build_legacy_pair(server, pair)
        before = fill_legacy_pair(server, pair, rows_per_table=per_table)
        lines = [
            f"legacy pair built and filled with {sum(before.values()):,} rows "
            f"({per_table:,} in each of {len(before)} tables) in "
            f"{time.perf_counter() - started:.1f} s",
            "",
        ]
        total = 0.0
        for option in ("--auth-only", "--specs-only"):
            started = time.perf_counter()
            result = run_manage("run_migrations_safe", option, env=pair.env(), timeout=3600)
            seconds = time.perf_counter() - started
            total += seconds
            lines += [f"== run_migrations_safe {option}: {seconds:.1f} s, exit {result.exit_code}"]
            lines += [result.output.strip(), ""]
        after = row_counts(server, pair)
        lines += [f"adoption of both databases: {total:.1f} s", "", "table: rows before → after"]
        lines += [
            f"{table}: {before[table]:,} → {after[table]:,}"
            + ("" if before[table] == after[table] else "  (system roles seeded)")
            for table in before
        ]
        lines.append(f"total: {sum(before.values()):,} → {sum(after.values()):,}")
    finally:
        for database in (pair.auth, pair.specs):
            server.drop_database(database)
    write_results("legacy_adoption.txt", "\n".join(lines))


if __name__ == "__main__":
    main()
