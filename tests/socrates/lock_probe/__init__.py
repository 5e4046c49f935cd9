"""A test-only app whose migrations change a table of the specs database, for the
lock-retry tests of ``tests/socrates/test_migration_runner.py``.

``0001`` adds a column to ``document_chunks`` (ACCESS EXCLUSIVE on it); ``0002``
builds an index on it concurrently (not atomic). The app has no models, and
``settings`` (the project's plus this app) routes its migrations to specs.
"""
