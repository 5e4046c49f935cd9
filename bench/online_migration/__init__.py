"""The migration under load (``python -m bench.online_migration``): see ``run``.

This package is also a Django app with no models, installed only by the
benchmark's own settings (``settings``): its migrations change
``conversation_history`` in the benchmark's scratch specs database, never the
project's migration history.
"""
