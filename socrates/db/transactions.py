"""Transactions on the right database, chosen from the model by the router."""

from django.db import models, router, transaction


def atomic_for(model: type[models.Model]) -> transaction.Atomic:
    """A transaction (or savepoint) on the database that ``model`` is written to.

    Services name what they write, never a database alias: the router alone
    decides where a table lives.
    """
    return transaction.atomic(using=router.db_for_write(model))
