"""The cross-database integrity check over a million rows, then its repair.

    .venv/bin/python -m bench.cross_db_integrity [--rows N] [--users N]

It never touches existing data: it creates a scratch pair of databases beside
the configured ones (same servers, names + ``_integrity_bench``), migrates
them, adds users to auth and rows naming them to specs (one in a hundred
naming a user that does not exist), times ``check_cross_db_integrity`` and
``check_cross_db_integrity --repair``, then drops the pair. The output is
also written to ``bench/results/cross_db_integrity.txt``.
"""

import argparse
import io
import os
import time
from contextlib import suppress

import django

from bench import write_results

SUFFIX = "_integrity_bench"


def fill(users: int, rows: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connections

    from accounts.models import User
    from socrates.databases import SPECS

    password = make_password("bench-password-1")
    User.objects.bulk_create(
        User(email=f"user{n}@example.com", username=f"user{n}", password=password)
        for n in range(users)
    )
    ids = [str(pk) for pk in User.objects.values_list("pk", flat=True)]
    with connections[SPECS].cursor() as cursor:
        # Seven in ten rows are history (kept), three in ten are keys (deleted
        # with their user); one in a hundred names nobody.
        cursor.execute(
            """
            WITH known AS (SELECT %(ids)s::uuid[] AS ids)
            INSERT INTO activity_logs (user_id, action, resource_type, resource_id)
            SELECT CASE WHEN g %% 100 = 0 THEN gen_random_uuid()
                        ELSE ids[1 + g %% array_length(ids, 1)] END,
                   'project_created', 'project', gen_random_uuid()
            FROM generate_series(1, %(history)s) g, known
            """,
            {"ids": ids, "history": rows * 7 // 10},
        )
        cursor.execute(
            """
            WITH known AS (SELECT %(ids)s::uuid[] AS ids)
            INSERT INTO api_keys (user_id, name, key_hash, scope)
            SELECT CASE WHEN g %% 100 = 0 THEN gen_random_uuid()
                        ELSE ids[1 + g %% array_length(ids, 1)] END,
                   'key ' || g, md5(g::text), '{read}'
            FROM generate_series(1, %(keys)s) g, known
            """,
            {"ids": ids, "keys": rows - rows * 7 // 10},
        )
        cursor.execute("ANALYZE activity_logs")
        cursor.execute("ANALYZE api_keys")


def timed(*arguments: str) -> tuple[float, str]:
    from django.core.management import call_command

    output = io.StringIO()
    started = time.perf_counter()
    # Exit 1 says orphans were found: the output says which.
    with suppress(SystemExit):
        call_command("check_cross_db_integrity", *arguments, stdout=output)
    return time.perf_counter() - started, output.getvalue().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
    django.setup()

    from django.db import connections

    from socrates.databases import DATABASE_ALIASES

    originals = {}
    for alias in DATABASE_ALIASES:
        connection = connections[alias]
        originals[alias] = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"] = {
            **connection.settings_dict.get("TEST", {}),
            "NAME": f"{originals[alias]}{SUFFIX}",
        }
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        fill(arguments.users, arguments.rows)
        lines = [
            f"filled {arguments.users} users and {arguments.rows} rows in "
            f"{time.perf_counter() - started:.1f} s"
        ]
        for label, command in (
            ("check", ()),
            ("check --repair", ("--repair",)),
            ("check again", ()),
        ):
            seconds, output = timed(*command)
            lines += ["", f"== {label}: {seconds:.2f} s", output]
    finally:
        for alias in DATABASE_ALIASES:
            connections[alias].creation.destroy_test_db(originals[alias], verbosity=0)
    text = "\n".join(lines)
    write_results("cross_db_integrity.txt", text)


if __name__ == "__main__":
    main()
