"""Which database each app lives in, written once.

The router, the migration runner and the system checks all read
``APP_DATABASES``; nothing else decides where a table goes.
"""

from urllib.parse import quote

from socrates.db import replicas

AUTH = "auth"
SPECS = "specs"

APP_DATABASES: dict[str, tuple[str, ...]] = {
    # Django's contrib apps that belong with the user model (permissions,
    # content types, admin log, sessions) live beside it, and so do the
    # background tasks' recorded failures, for the admin (socrates.celery).
    AUTH: ("accounts", "admin", "auth", "contenttypes", "sessions", "django_celery_results"),
    SPECS: ("specs", "collaboration", "billing", "rag"),
}

DATABASE_ALIASES = tuple(APP_DATABASES)

# Django's database cache (the throttle counters) belongs to no app; its table
# lives beside the users, where the accounts migrations create it.
CACHE_APP_LABEL = "django_cache"

_DATABASE_OF_APP = {
    app_label: alias for alias, app_labels in APP_DATABASES.items() for app_label in app_labels
} | {CACHE_APP_LABEL: AUTH}


def database_for_app(app_label: str) -> str | None:
    return _DATABASE_OF_APP.get(app_label)


class DatabaseRouter:
    """Routes every model by its app label; refuses cross-database relations.
    Reads may go to a replica of that database (socrates.db.replicas)."""

    def db_for_read(self, model, **hints):
        primary = database_for_app(model._meta.app_label)
        # The cache's throttle counters and written positions must be current.
        if primary is None or model._meta.app_label == CACHE_APP_LABEL:
            return primary
        return replicas.read_alias(primary)

    def db_for_write(self, model, **hints):
        primary = database_for_app(model._meta.app_label)
        if primary is not None and model._meta.app_label != CACHE_APP_LABEL:
            replicas.note_write(primary)
        return primary

    def allow_relation(self, obj1, obj2, **hints):
        first = database_for_app(obj1._meta.app_label)
        second = database_for_app(obj2._meta.app_label)
        if first is None or second is None:
            return None
        return first == second

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # An app missing from the map migrates nowhere (and the system check
        # ``socrates.E002`` names it) rather than landing in both databases.
        return database_for_app(app_label) == db


def masked_url(settings_dict: dict) -> str:
    """A connection URL for messages: never the password."""
    user = quote(settings_dict.get("USER") or "", safe="")
    credentials = f"{user}:***@" if settings_dict.get("PASSWORD") else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or ""
    port = settings_dict.get("PORT") or ""
    name = settings_dict.get("NAME") or ""
    if host.startswith("/"):
        # A Unix socket directory: libpq takes it as a query parameter.
        return f"postgresql://{credentials}/{name}?host={host}"
    return f"postgresql://{credentials}{host}{':' if port else ''}{port}/{name}"
