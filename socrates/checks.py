"""System checks for the two-database set-up."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, register

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
