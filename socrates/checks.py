"""System checks for the two-database set-up, and for serving in production."""

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

from socrates.databases import DATABASE_ALIASES, database_for_app


def _server_and_name(alias: str) -> tuple:
    config = settings.DATABASES[alias]
    return (config.get("HOST") or "", str(config.get("PORT") or ""), config.get("NAME"))


@register()
def check_aliases_use_distinct_databases(app_configs=None, **kwargs):
    # The legacy mix-up: one exported URL made the auth run migrate into the
    # specs database. Two aliases on one database is never intended.
    auth, specs = DATABASE_ALIASES
    if _server_and_name(auth) == _server_and_name(specs):
        return [
            Error(
                f"The '{auth}' and '{specs}' aliases point at the same database "
                f"({settings.DATABASES[auth]['NAME']}).",
                hint="Set DATABASE_URL_AUTH and DATABASE_URL_SPECS to different databases.",
                id="socrates.E001",
            )
        ]
    return []


@register()
def check_every_app_with_models_is_routed(app_configs=None, **kwargs):
    return [
        Error(
            f"App '{config.label}' has models but no database in socrates.databases."
            "APP_DATABASES, so its tables would be created nowhere.",
            id="socrates.E002",
        )
        for config in apps.get_app_configs()
        if database_for_app(config.label) is None and list(config.get_models())
    ]


# A deployment check, so that `migrate` or `createsuperuser` still run before
# the static files are collected; socrates.wsgi runs it where a server starts.
@register(deploy=True)
def check_static_files_are_collected(app_configs=None, **kwargs):
    storage = storages["staticfiles"]
    if settings.DEBUG or not isinstance(storage, ManifestFilesMixin):
        return []
    if storage.manifest_storage.exists(storage.manifest_name):
        return []
    return [
        Error(
            f"No static files manifest ({storage.manifest_name}) in STATIC_ROOT "
            f"({settings.STATIC_ROOT}): "
            "with DEBUG off every HTML page (the admin, the browsable API, /api/docs/) "
            "would answer 500.",
            hint="Run `python manage.py collectstatic --noinput` first, or start the server "
            "with `make serve` (gunicorn -c socrates/gunicorn.conf.py), which does.",
            id="socrates.E003",
        )
    ]


def refuse_to_serve_without_static_files() -> None:
    """WSGI and ASGI servers run no system checks: a server that would answer
    500 on every page refuses to start instead."""
    errors = check_static_files_are_collected()
    if errors:
        raise ImproperlyConfigured("\n".join(str(error) for error in errors))
