"""Production mode: `check --deploy` is clean and the app serves its own static files."""

import secrets

from tests.postgres import run_manage

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "socrates.example.com",
}


def test_check_deploy_is_clean_in_production_mode():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.exit_code == 0, result.output
    assert "System check identified no issues" in result.output


def test_check_deploy_warns_when_https_is_turned_off():
    result = run_manage("check", "--deploy", env={**PRODUCTION, "HTTPS": "false"})

    assert "security.W008" in result.output  # SECURE_SSL_REDIRECT
    assert "security.W004" in result.output  # HSTS
