"""One engine per database, as the legacy backend had, and a Session per request.

Like the project (Django, ``CONN_HEALTH_CHECKS``), reads run in autocommit and
each checked-out connection is health-checked with one ``SELECT 1``
(``pool_pre_ping``). Endpoints that write open a real transaction through
``specs_write_db``, which borrows a connection of the same pool in
``READ COMMITTED``.
"""

import os
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.servers import counting


def _engine(dsn_variable: str) -> Engine:
    url = make_url(os.environ[dsn_variable]).set(drivername="postgresql+psycopg2")
    if url.host and url.host.startswith("%2F"):
        # A Unix socket directory: libpq reads it percent-encoded as the host,
        # SQLAlchemy only as the ``host`` query parameter.
        url = url.set(host=None).update_query_dict({"host": unquote(url.host)})
    return create_engine(
        url,
        pool_pre_ping=True,
        isolation_level="AUTOCOMMIT",
        # Sessions end their own transactions (closing one rolls back what it
        # left open), so a connection comes back to the pool with none: the
        # pool's rollback on return, and a closing autocommit session's, would
        # send nothing, yet the statement counter would count them.
        skip_autocommit_rollback=True,
        pool_reset_on_return=None,
        connect_args={
            # Django sets the session's time zone to UTC; timestamps come back in UTC.
            "options": "-c timezone=UTC",
            "connect_timeout": 5,
            # psycopg2.connect() takes connection_factory and cursor_factory as
            # keyword arguments: SQLAlchemy passes connect_args through as is.
            **counting.connect_kwargs(),
        },
    )


auth_engine = _engine("BENCH_DSN_AUTH")
specs_engine = _engine("BENCH_DSN_SPECS")

AuthSession = sessionmaker(auth_engine)
SpecsSession = sessionmaker(specs_engine)
# A response is built from the rows just written: nothing is reloaded after COMMIT.
SpecsWriteSession = sessionmaker(
    specs_engine.execution_options(isolation_level="READ COMMITTED"), expire_on_commit=False
)


def auth_db() -> Iterator[Session]:
    with AuthSession() as session:
        yield session


def specs_db() -> Iterator[Session]:
    with SpecsSession() as session:
        yield session


def specs_write_db() -> Iterator[Session]:
    with SpecsWriteSession() as session:
        yield session


AuthDb = Annotated[Session, Depends(auth_db)]
SpecsDb = Annotated[Session, Depends(specs_db)]
SpecsWriteDb = Annotated[Session, Depends(specs_write_db)]
