"""What the logs say: every 5xx with its traceback, 4xx at INFO, the request on each
line, and never a secret. Output goes through the stderr handler that
``settings.LOGGING`` configures, in both of its formats."""

import copy
import io
import json
import logging
import logging.config
from contextlib import contextmanager

import bcrypt
import pytest
from django.conf import settings
from django.test import Client

from accounts.models import RefreshToken
from accounts.services import issue_tokens
from tests.accounts.factories import UserFactory, admin_with
from tests.socrates.failing_urls import FAILING_PATH

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

FORMATS = ["text", "json"]
JSON_KEYS = {"time", "level", "name", "request_id", "method", "path", "message"}


def configured_handler(format_name: str, stream) -> logging.Handler:
    """The ``stderr`` handler as ``settings.LOGGING`` builds it, writing to ``stream``."""
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["stderr"].update(formatter=format_name, stream=stream)
    configurator = logging.config.DictConfigurator(config)
    # What dictConfig does before building handlers, without touching any logger.
    built = configurator.config
    for name in list(built["formatters"]):
        built["formatters"][name] = configurator.configure_formatter(built["formatters"][name])
    for name in list(built["filters"]):
        built["filters"][name] = configurator.configure_filter(built["filters"][name])
    return configurator.configure_handler(built["handlers"]["stderr"])


@contextmanager
def site_log(format_name: str):
    """Everything the site logs while the block runs, as the configured handler writes it."""
    stream = io.StringIO()
    handler = configured_handler(format_name, stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


@contextmanager
def logger_writing(format_name: str):
    """A logger whose only output is the configured handler."""
    stream = io.StringIO()
    logger = logging.getLogger(f"tests.socrates.logging.{format_name}")
    handler = configured_handler(format_name, stream)
    logger.addHandler(handler)
    logger.propagate, logger.level = False, logging.DEBUG
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)


def json_lines(output: str) -> list[dict]:
    # Each line on its own is a JSON object: tracebacks included, nothing spills over.
    return [json.loads(line) for line in output.splitlines()]


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = "tests.socrates.failing_urls"
    return Client(raise_request_exception=False)


# 5xx and 4xx -----------------------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMATS)
def test_a_500_is_logged_once_at_error_with_traceback_method_path_and_request_id(
    failing_site, caplog, format_name
):
    with site_log(format_name) as output:
        response = failing_site.get(FAILING_PATH, HTTP_X_REQUEST_ID="req-500-abcdef")

    assert response.status_code == 500
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.name for record in errors] == ["django.request"]
    assert "Traceback (most recent call last)" in caplog.text
    assert "RuntimeError: the view broke" in caplog.text
    text = output.getvalue()
    if format_name == "text":
        assert (
            f"ERROR django.request [req-500-abcdef GET {FAILING_PATH}] "
            f"Internal Server Error: {FAILING_PATH}\nTraceback (most recent call last)"
        ) in text
        assert "RuntimeError: the view broke" in text
    else:
        (entry,) = [line for line in json_lines(text) if line["level"] == "ERROR"]
        assert set(entry) >= JSON_KEYS | {"exc_info"}
        assert entry["name"] == "django.request"
        assert (entry["request_id"], entry["method"], entry["path"]) == (
            "req-500-abcdef",
            "GET",
            FAILING_PATH,
        )
        assert entry["message"] == f"Internal Server Error: {FAILING_PATH}"
        assert entry["exc_info"].startswith("Traceback (most recent call last)")
        assert "RuntimeError: the view broke" in entry["exc_info"]


@pytest.mark.parametrize("format_name", FORMATS)
def test_a_4xx_is_logged_at_info_with_status_method_and_path_without_the_query_string(
    client_for, caplog, format_name
):
    caplog.set_level(logging.INFO)
    client = client_for(admin_with("users_view"))

    with site_log(format_name) as output:
        response = client.get(
            "/api/v1/admin/users/?page=abc&token=query-secret-123", HTTP_X_REQUEST_ID="req-400-abc"
        )

    assert response.status_code == 400
    assert [(r.name, r.levelno) for r in caplog.records if r.levelno >= logging.INFO] == [
        ("socrates.request", logging.INFO)
    ]
    assert caplog.records[-1].getMessage().startswith("400 Bad Request")
    text = output.getvalue()
    assert "query-secret-123" not in text + caplog.text
    assert "page=abc" not in text + caplog.text
    if format_name == "text":
        line = "INFO socrates.request [req-400-abc GET /api/v1/admin/users/] 400 Bad Request"
        assert line in text
    else:
        (entry,) = json_lines(text)
        assert set(entry) >= JSON_KEYS
        assert (entry["level"], entry["name"], entry["method"], entry["path"]) == (
            "INFO",
            "socrates.request",
            "GET",
            "/api/v1/admin/users/",
        )
        assert entry["request_id"] == "req-400-abc"
        assert entry["message"].startswith("400 Bad Request")


# Secrets ---------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMATS)
def test_tokens_hashes_and_passwords_never_reach_a_log_line(format_name):
    user = UserFactory()
    pair = issue_tokens(user=user)
    token_digest = RefreshToken.objects.get(user=user).token
    argon2_hash = user.password
    bcrypt_hash = bcrypt.hashpw(b"hunter2-secret", bcrypt.gensalt(rounds=4)).decode()
    body = json.dumps({"login": "ada", "password": "hunter2-secret"})
    secrets = {
        "access token": pair.access,
        "refresh token": pair.refresh,
        "argon2 hash": argon2_hash,
        # The salt and the digest alone are as sensitive as the whole hash.
        "argon2 salt and digest": argon2_hash.split("$", 4)[-1],
        "bcrypt hash": bcrypt_hash,
        "bcrypt digest": bcrypt_hash[7:],
        "token digest": token_digest,
        "password": "hunter2-secret",
    }
    assert argon2_hash.startswith("argon2$")
    assert len(token_digest) == 64

    with logger_writing(format_name) as (logger, stream):
        logger.warning(
            "sign-in trouble for ada: Bearer %s, refresh %s, stored %s, legacy %s, "
            "token hash %s, body %s, form login=ada&password=hunter2-secret",
            pair.access,
            pair.refresh,
            argon2_hash,
            bcrypt_hash,
            token_digest,
            body,
        )
        try:
            raise ValueError(f"refresh {pair.refresh} does not match {argon2_hash} {body}")
        except ValueError:
            logger.exception("rotation failed with %s", pair.access)

    output = stream.getvalue()
    leaked = [name for name, secret in secrets.items() if secret in output]
    assert leaked == [], output
    for kept in ("sign-in trouble for ada: Bearer", "token hash", "form login=ada", "ValueError"):
        assert kept in output
    assert "rotation failed with" in output
    assert "[redacted]" in output
    if format_name == "json":
        first, second = json_lines(output)
        assert "exc_info" not in first
        assert "ValueError: refresh [redacted]" in second["exc_info"]


@pytest.mark.parametrize("format_name", FORMATS)
def test_a_failed_login_logs_no_password(api, caplog, format_name):
    caplog.set_level(logging.INFO)
    user = UserFactory()

    with site_log(format_name) as output:
        response = api.post(
            "/api/v1/auth/login/",
            {"login": user.email, "password": "Wrong-Horse-Secret-77"},
            format="json",
        )

    assert response.status_code == 401
    text = output.getvalue()
    # Something was logged: the absence of the password is not the absence of logs.
    assert "sign-in refused: invalid credentials" in text
    assert "401 Unauthorized" in text
    assert "Wrong-Horse-Secret-77" not in text + caplog.text


@pytest.mark.parametrize("format_name", FORMATS)
def test_a_500_while_handling_a_password_logs_no_password(failing_site, format_name):
    with site_log(format_name) as output:
        response = failing_site.post(
            FAILING_PATH,
            {"login": "ada", "password": "hunter2-secret"},
            content_type="application/json",
        )

    assert response.status_code == 500
    text = output.getvalue()
    assert "RuntimeError: could not handle" in text
    assert "hunter2-secret" not in text
