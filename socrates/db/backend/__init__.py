"""PostgreSQL backend whose foreign keys carry their ON DELETE rule in the database.

Django 5.2 emulates ``on_delete`` in Python and creates every foreign key as
``DEFERRABLE INITIALLY DEFERRED`` with no action. Other programs write to the
Socrates databases, so the schema itself must cascade, set null or restrict
exactly as SCHEMA.md says. (Django 6.0's ``db_on_delete`` makes this
unnecessary; it needs Python 3.12.)
"""
