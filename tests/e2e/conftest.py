"""Browser tests: Debian's chromium, driven by Playwright, against the app under gunicorn.

One server for the whole session, run as in production (gunicorn, DEBUG off,
static files collected and served by the app) on a scratch pair of databases
that is migrated, seeded and dropped again. Every page blocks requests that
leave 127.0.0.1: the app must work without the internet, and a stray request
would otherwise hang until a timeout instead of failing.
"""

import json
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.pages import Account, Traffic
from tests.postgres import Server, scratch_pair
from tests.servers import gunicorn, manage

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # chromium's sandbox refuses to run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Actions and expectations give up well before the run's two-minute budget.
TIMEOUT_MS = 10_000

SUMMARY = pytest.StashKey[list[str]]()
PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@dataclass(frozen=True)
class App:
    url: str
    super_admin: Account
    reader: Account
    admin_changelists: list[str]
    log: Path


def pytest_configure(config):
    config.stash[SUMMARY] = []


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(SUMMARY, [])
    if lines:
        terminalreporter.section("e2e")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def summary(request):
    """Report a line at the end of the run (and at once under ``-s``)."""

    def say(line: str) -> None:
        print(line)
        request.config.stash[SUMMARY].append(line)

    return say


def _account(role: str) -> Account:
    return Account(
        email=f"e2e-{role}@example.com",
        username=f"e2e-{role}",
        password=f"E2e-{role}-{secrets.token_urlsafe(12)}",
    )


@pytest.fixture(scope="session")
def app() -> Iterator[App]:
    super_admin, reader = _account("admin"), _account("reader")
    with ExitStack() as stack:
        pair = stack.enter_context(scratch_pair(Server.of_test_databases()))
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="socrates-e2e-")))
        env = pair.env(
            SECRET_KEY=secrets.token_urlsafe(50),
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1",
            STATIC_ROOT=str(workdir / "static"),
            # Production settings otherwise, but plain HTTP: no TLS on 127.0.0.1.
            HTTPS="false",
        )
        manage("run_migrations_safe", env=env)
        seeded = manage(
            "shell",
            "-c",
            (HERE / "seed.py").read_text(),
            env={
                **env,
                **{
                    f"E2E_{role}_{part}": getattr(account, part.lower())
                    for role, account in (("ADMIN", super_admin), ("READER", reader))
                    for part in ("EMAIL", "USERNAME", "PASSWORD")
                },
            },
        )

        log = workdir / "gunicorn.log"
        url = stack.enter_context(gunicorn(env, log, "-w", "2"))
        yield App(
            url=url,
            super_admin=super_admin,
            reader=reader,
            admin_changelists=json.loads(seeded.splitlines()[-1])["admin_changelists"],
            log=log,
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _fresh_artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in ARTIFACTS.glob("*.png"):
        stale.unlink()


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def page(request, browser: Browser, app: App, traffic: Traffic, summary) -> Iterator[Page]:
    context = browser.new_context(base_url=app.url, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", traffic.local_only)
    page = context.new_page()
    page.on("response", traffic.record)
    page.on("requestfailed", traffic.record_failure)
    try:
        yield page
        call = request.node.stash.get(PHASE_REPORTS, {}).get("call")
        if call is not None and call.failed:
            shot = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}.png"
            page.screenshot(path=shot, full_page=True)
            summary(f"e2e: {request.node.name} failed at {page.url}; screenshot {shot}")
            # The app logs each 5xx with its traceback there.
            print("server log (end):", *app.log.read_text().splitlines()[-60:], sep="\n")
    finally:
        context.close()
