"""Production mode: `check --deploy` is clean, the production start (socrates/gunicorn.conf.py)
serves working pages, and a server without its static files refuses to start."""

import http.client
import json
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.postgres import BASE_DIR, Server, free_port, run_manage, scratch_pair, subprocess_env
from tests.servers import gunicorn, manage

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "socrates.example.com",
}
# A signed-in user, for requests past authentication.
ISSUE_TOKEN = """
from accounts.models import User
from accounts.services import issue_tokens
from socrates.databases import AUTH
user = User.objects.db_manager(AUTH).create_user("searcher@example.com", username="searcher")
print(issue_tokens(user=user).access)
"""
STYLESHEET = re.compile(r'<link[^>]+href="(/static/[^"]+\.css)"')
COLLECTSTATIC = "manage.py collectstatic"


@dataclass(frozen=True)
class ProductionServer:
    url: str
    static_root: Path
    token: str


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> Iterator[ProductionServer]:
    """The app started as the README's production section says, on plain HTTP, with an
    empty STATIC_ROOT."""
    work = tmp_path_factory.mktemp("production")
    static_root = work / "static"
    with scratch_pair(Server.of_test_databases()) as pair:
        env = pair.env(
            **{
                **PRODUCTION,
                "ALLOWED_HOSTS": "127.0.0.1",
                "HTTPS": "false",
                "STATIC_ROOT": str(static_root),
            }
        )
        manage("run_migrations_safe", env=env)
        token = manage("shell", "-c", ISSUE_TOKEN, env=env).split()[-1]
        with gunicorn(env, work / "gunicorn.log") as url:
            yield ProductionServer(url=url, static_root=static_root, token=token)


def get(url: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


def test_check_deploy_is_clean_in_production_mode(production):
    env = {**PRODUCTION, "STATIC_ROOT": str(production.static_root)}

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.exit_code == 0, result.output
    assert "System check identified no issues" in result.output


def test_check_deploy_warns_when_https_is_turned_off():
    result = run_manage("check", "--deploy", env={**PRODUCTION, "HTTPS": "false"})

    assert "security.W008" in result.output  # SECURE_SSL_REDIRECT
    assert "security.W004" in result.output  # HSTS


@pytest.mark.parametrize("page", ["/admin/login/", "/api/v1/", "/api/docs/"])
def test_the_production_start_serves_html_pages_and_their_stylesheets(production, page):
    status, content_type, html = get(production.url, page, {"Accept": "text/html"})

    assert (status, content_type) == (200, "text/html; charset=utf-8"), html
    stylesheets = STYLESHEET.findall(html)
    assert stylesheets, html
    for stylesheet in stylesheets:
        status, content_type, _ = get(production.url, stylesheet)
        assert (status, content_type.split(";")[0]) == (200, "text/css"), stylesheet


def test_check_deploy_refuses_static_files_not_collected_and_names_the_command(tmp_path):
    result = run_manage("check", "--deploy", env={**PRODUCTION, "STATIC_ROOT": str(tmp_path)})

    assert result.exit_code == 1, result.output
    assert "socrates.E003" in result.output
    assert COLLECTSTATIC in result.output


def test_gunicorn_refuses_to_start_without_the_static_files_and_names_the_command(tmp_path):
    # Started by hand, without the production config that collects them.
    command = [sys.executable, "-m", "gunicorn", "socrates.wsgi:application", "--no-control-socket"]
    result = subprocess.run(
        [*command, "-b", f"127.0.0.1:{free_port()}"],
        env=subprocess_env({**PRODUCTION, "STATIC_ROOT": str(tmp_path)}),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "socrates.E003" in result.stderr
    assert COLLECTSTATIC in result.stderr


# A request line too long for gunicorn's default (4094 bytes) -------------------------


@pytest.mark.parametrize(
    ("target", "parameter"),
    [
        ("/api/v1/projects/?search=", "search"),
        ("/api/v1/knowledge-base/search/?q=", "q"),
    ],
)
def test_a_search_term_of_5000_characters_is_the_apis_json_400_naming_it(
    production, target, parameter
):
    headers = {"Authorization": f"Bearer {production.token}"}

    status, content_type, body = get(production.url, target + "a" * 5000, headers)

    assert (status, content_type) == (400, "application/json"), body
    assert parameter in json.loads(body)["fields"]


def test_a_request_line_beyond_what_gunicorn_reads_is_a_json_414(production):
    status, content_type, body = get(production.url, "/api/v1/projects/?search=" + "a" * 9000)

    assert (status, content_type) == (414, "application/json"), body
    assert json.loads(body) == {
        "detail": "The request line is longer than 8190 bytes.",
        "code": "too_large",
    }
