"""Shared test set-up.

Tests that touch a database name it: ``pytest.mark.django_db(databases=[...])``
with ``"auth"`` and/or ``"specs"``. A test that forgets fails loudly, because
the ``default`` alias is Django's dummy backend.
"""
