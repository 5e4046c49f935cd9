"""Building blocks shared by the models of every app.

SCHEMA.md rule 3: defaults live in the database too (other programs write to
these tables), so each default is declared for Python and for PostgreSQL.
"""

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.utils import timezone


class TransactionNow(models.Func):
    """PostgreSQL's ``now()``, the legacy default of every timestamp column.

    Django's ``Now`` compiles to ``STATEMENT_TIMESTAMP()`` on PostgreSQL, which
    would leave fresh databases with a different default than adopted ones.
    """

    template = "now()"
    output_field = models.DateTimeField()


def one_or_none(queryset: models.QuerySet):
    """The row a lookup by a unique key finds, or None.

    ``first()`` would add ``ORDER BY id``, which says nothing for at most one
    row and can make PostgreSQL walk the primary key instead of using the
    lookup's index (README, "Performance": 40 ms a specification write).
    """
    found = list(queryset[:1])
    return found[0] if found else None


def converted_rows(rows, fields, connection) -> list:
    """Rows read by hand, their values in the order of ``fields``, as the ORM
    gives them: through each field's database converters (JSON decoded...)."""
    converters = [
        (index, field, converter)
        for index, field in enumerate(fields)
        for converter in field.get_db_converters(connection)
    ]
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for index, field, converter in converters:
            row[index] = converter(row[index], field.cached_col, connection)
        converted.append(row)
    return converted


def defaults(value) -> dict:
    """``default`` and ``db_default`` for a literal value (SCHEMA.md rule 3)."""
    return {"default": value, "db_default": value}


def json_field(**kwargs) -> models.JSONField:
    """A nullable JSONB column whose default is ``'{}'::jsonb``."""
    return models.JSONField(null=True, blank=True, default=dict, db_default={}, **kwargs)


def varchar_array(**kwargs):
    """A ``VARCHAR[]`` column (no length), nullable unless told, default ``'{}'``.

    Its model's Meta must say ``required_db_features = UNBOUNDED_VARCHAR``:
    the system checks run against the dummy "default" database, which cannot
    tell that PostgreSQL accepts a VARCHAR without a length.
    """
    from django.contrib.postgres.fields import ArrayField

    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    base_field = models.CharField(choices=kwargs.pop("choices", None))
    return ArrayField(base_field, default=list, db_default=[], **kwargs)


UNBOUNDED_VARCHAR = {"supports_unlimited_charfield"}


def indexes_on(*columns: str) -> list[models.Index]:
    """One single-column B-tree index per column, named by Django (30 characters at most)."""
    return [models.Index(fields=[column]) for column in columns]


def closed_set_check(table: str, column: str, choices: type[models.TextChoices]):
    """The CHECK constraint of a closed value set (SCHEMA.md rule 6).

    NULL passes an ``IN`` check, so nullable columns need nothing more.
    """
    return models.CheckConstraint(
        condition=models.Q(**{f"{column}__in": choices.values}),
        name=f"ck_{table}_{column}_valid",
    )


class CreatedAtModel(models.Model):
    """UUID primary key generated on either side, and an insert timestamp."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False
    )
    created_at = models.DateTimeField(
        default=timezone.now, db_default=TransactionNow(), editable=False
    )

    class Meta:
        abstract = True


class TimestampedModel(CreatedAtModel):
    """Adds ``updated_at``, refreshed by every save (SCHEMA.md rule 4)."""

    updated_at = models.DateTimeField(auto_now=True, db_default=TransactionNow())

    class Meta:
        abstract = True
