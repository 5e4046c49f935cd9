"""Steps shared by the browser tests, each checking that the page it lands on is a real one."""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request, Response, Route


@dataclass(frozen=True)
class Account:
    email: str
    username: str
    password: str = field(repr=False)


@dataclass
class Traffic:
    """What the page asked for and got, for assertions over a whole visit."""

    responses: list[Response] = field(default_factory=list, repr=False)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def record(self, response: Response) -> None:
        self.responses.append(response)

    def record_failure(self, request: Request) -> None:
        self.failed.append(f"{request.failure} {request.method} {request.url}")

    def local_only(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("internetdisconnected")

    def server_errors(self) -> list[str]:
        return [
            f"{response.status} {response.request.method} {response.url}"
            for response in self.responses
            if response.status >= 500
        ]

    def static(self) -> list[Response]:
        return [r for r in self.responses if urlsplit(r.url).path.startswith("/static/")]

    def documents_opened(self, prefix: str) -> list[str]:
        """Pages shown in the main frame under ``prefix`` (redirects are not pages)."""
        return [
            response.url
            for response in self.responses
            if response.request.is_navigation_request()
            and response.status == 200
            and urlsplit(response.url).path.startswith(prefix)
        ]


def shown(response: Response | None) -> Response:
    assert response is not None, "no response: the page never loaded"
    assert response.status == 200, f"{response.status} {response.status_text} for {response.url}"
    return response


def go(page: Page, path: str) -> Response:
    return shown(page.goto(path))


def follow(page: Page, action: Callable[[], None]) -> Response:
    """Run an action that navigates (a click, a submit) and check where it lands."""
    with page.expect_navigation() as navigation:
        action()
    return shown(navigation.value)


def sign_in(page: Page, path: str, account: Account) -> Response:
    """Fill a Django login form (the admin's and the browsable API's share field names)."""
    go(page, path)
    page.locator("input[name=username]").fill(account.email)
    password = page.locator("input[name=password]")
    password.fill(account.password)
    landed = follow(page, lambda: password.press("Enter"))
    # A refused sign-in shows the form again with a 200: tell it apart by the address.
    still_there = urlsplit(page.url).path == urlsplit(path).path
    assert not still_there, f"sign-in refused at {path}: {page.locator('body').inner_text()}"
    return landed


def assert_static_served(traffic: Traffic) -> None:
    static = traffic.static()
    failed = [f"{response.status} {response.url}" for response in static if response.status >= 400]
    failed += [failure for failure in traffic.failed if "/static/" in failure]
    assert not failed, f"static files not served: {failed}"
    assert static, "the page loaded no static file"


def assert_no_server_error(traffic: Traffic) -> None:
    assert not traffic.server_errors(), f"server errors: {traffic.server_errors()}"
