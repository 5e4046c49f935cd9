"""Writes the DDL of every migration, as ``sqlmigrate`` prints it, for the
databases named by DATABASE_URL_AUTH and DATABASE_URL_SPECS (migrated, so
their migration history is known): ``python -m bench.web.ddl DIRECTORY``."""

import os
import sys
from pathlib import Path

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socrates.settings")
    django.setup()
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    from socrates.databases import DATABASE_ALIASES

    directory = Path(sys.argv[1])
    for alias in DATABASE_ALIASES:
        executor = MigrationExecutor(connections[alias])
        graph = executor.loader.graph
        plan = [(graph.nodes[node], False) for node in _every_migration_in_order(graph)]
        # collect_sql is what sqlmigrate runs, here over the whole plan at once.
        statements = executor.loader.collect_sql(plan)
        (directory / f"{alias}.sql").write_text("\n".join(statements) + "\n")


def _every_migration_in_order(graph) -> list:
    ordered = []
    for leaf in graph.leaf_nodes():
        for node in graph.forwards_plan(leaf):
            if node not in ordered:
                ordered.append(node)
    return ordered


if __name__ == "__main__":
    main()
