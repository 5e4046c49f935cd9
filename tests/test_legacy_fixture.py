"""The legacy database pair of tests/legacy.py, held to docs/SCHEMA.md.

Adoption in place (tests/socrates/test_adoption.py) starts from this
pair, so the pair must be what the legacy Alembic scripts left behind: every
table, column, index, key and Alembic revision as SCHEMA.md describes them,
and no CHECK constraint.
"""

import bcrypt
import pytest

from tests.legacy import (
    LEGACY_PASSWORD,
    ROWS_PER_TABLE,
    CatalogConstraint,
    CatalogIndex,
    alembic_heads,
    catalog_columns,
    catalog_constraints,
    catalog_indexes,
    fill_legacy_pair,
    pair_databases,
)
from tests.schema_reference import Schema, load_schema
from tests.test_schema import ON_DELETE, expected_format_type, normalise_default

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

ALEMBIC_VERSION_PK = "alembic_version_pkc"


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema()


def test_legacy_pair_has_every_documented_table_and_column(server, legacy_pair, schema):
    for alias, database in pair_databases(legacy_pair):
        tables = schema.databases[alias].tables.values()
        assert server.tables(database) == {t.name for t in tables} | {"alembic_version"}
        expected = {
            (table.name, column.name): (
                expected_format_type(column.type),
                column.nullable,
                normalise_default(column.default),
            )
            for table in tables
            for column in table.columns.values()
        }
        expected["alembic_version", "version_num"] = ("character varying(32)", False, None)
        actual = {
            key: (column.type, column.nullable, normalise_default(column.default))
            for key, column in catalog_columns(server, database).items()
        }
        assert actual == expected, alias


def test_legacy_pair_has_every_legacy_index_by_name(server, legacy_pair, schema):
    total = 0
    for alias, database in pair_databases(legacy_pair):
        expected = {
            index.name: CatalogIndex(table.name, index.columns, index.unique)
            for table in schema.databases[alias].tables.values()
            for index in table.indexes
        }
        expected[ALEMBIC_VERSION_PK] = CatalogIndex("alembic_version", ("version_num",), True)
        actual = catalog_indexes(server, database)
        assert actual == expected, alias
        total += len(actual)
    # SCHEMA.md's own count of the legacy indexes, alembic_version's included.
    assert total == schema.stated_legacy_index_total


def test_legacy_pair_has_the_documented_keys_and_only_the_documented_checks(
    server, legacy_pair, schema
):
    for alias, database in pair_databases(legacy_pair):
        expected = {ALEMBIC_VERSION_PK: CatalogConstraint("p", "alembic_version", ("version_num",))}
        for table in schema.databases[alias].tables.values():
            expected[f"{table.name}_pkey"] = CatalogConstraint("p", table.name, ("id",))
            for name, columns in table.unique_constraints.items():
                expected[name] = CatalogConstraint("u", table.name, columns)
            for fk in table.foreign_keys:
                expected[fk.name] = CatalogConstraint(
                    "f", table.name, (fk.column,), fk.ref_table, (fk.ref_column,), fk.on_delete
                )
            for check in table.explicit_checks.values():
                expected[check.name] = CatalogConstraint("c", table.name, (check.column,))
        actual = {
            name: constraint._replace(on_delete=ON_DELETE.get(constraint.on_delete))
            for name, constraint in catalog_constraints(server, database).items()
        }
        # Equality also shuts out the CHECKs that SCHEMA.md's closed sets add.
        assert actual == expected, alias


def test_legacy_pair_is_at_the_documented_alembic_heads(server, legacy_pair):
    heads = alembic_heads()
    assert heads == {"auth": "010", "specs": "017"}
    for alias, database in pair_databases(legacy_pair):
        rows = server.execute("SELECT version_num FROM alembic_version", database=database)
        assert rows == [(heads[alias],)]


def test_fill_puts_rows_in_every_table(server, legacy_pair, schema):
    counts = fill_legacy_pair(server, legacy_pair)

    assert counts == dict.fromkeys(schema.tables, ROWS_PER_TABLE)
    hashes = server.execute("SELECT hashed_password FROM users", database=legacy_pair.auth)
    for (hashed,) in hashes:
        assert hashed.startswith("$2b$04$")
        assert bcrypt.checkpw(LEGACY_PASSWORD.encode(), hashed.encode())


def test_filled_rows_stay_valid_for_the_django_schema(server, legacy_pair, schema):
    """What adoption will require of legacy rows: closed-set values, existing users."""
    fill_legacy_pair(server, legacy_pair)

    user_ids = {
        str(id_) for (id_,) in server.execute("SELECT id FROM users", database=legacy_pair.auth)
    }
    for alias, database in pair_databases(legacy_pair):
        for check in schema.databases[alias].checks.values():
            outside = server.execute(
                f'SELECT "{check.column}" FROM "{check.table}" WHERE "{check.column}" <> ALL(%s)',
                [sorted(check.values)],
                database=database,
            )
            assert outside == [], check.name
    for table, column in schema.user_id_columns:
        rows = server.execute(
            f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL',
            database=legacy_pair.specs,
        )
        assert rows, f"{table}.{column}"
        assert {value for (value,) in rows} <= user_ids, f"{table}.{column}"
