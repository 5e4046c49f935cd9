"""The Django admin in a real browser, as a super admin, served as in production."""

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.e2e.pages import (
    Traffic,
    assert_no_server_error,
    assert_static_served,
    follow,
    go,
    sign_in,
)

# Pages outside the tour of list and change pages: the login form, the index,
# the users list and its search results, the logged-out page, and the login
# form that /admin/ sends a signed-out visitor to.
PAGES_AROUND_THE_TOUR = 6


def assert_admin_css_applied(page: Page, traffic: Traffic) -> None:
    css = [r for r in traffic.static() if "/static/admin/css/" in r.url and r.status == 200]
    assert css, f"no admin stylesheet answered 200: {[r.url for r in traffic.static()]}"
    # Unstyled, the header has no background: the rules were applied, not just fetched.
    header = page.locator("#header").evaluate("header => getComputedStyle(header).backgroundColor")
    assert header != "rgba(0, 0, 0, 0)", "the admin's stylesheet was not applied"


def open_first_row(page: Page, changelist: str) -> None:
    expect(page.locator("body")).to_have_class(re.compile(r"\bchange-list\b"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 1, f"{changelist} lists no row: seed one in tests/e2e/seed.py"
    follow(page, rows.first.locator("a[href*='/change/']").first.click)
    expect(page.locator("body")).to_have_class(re.compile(r"\bchange-form\b"))


def test_super_admin_opens_every_list_and_change_page_searches_and_logs_out(
    page: Page, app, traffic: Traffic, summary
):
    sign_in(page, "/admin/login/?next=/admin/", app.super_admin)
    assert urlsplit(page.url).path == "/admin/"
    assert_admin_css_applied(page, traffic)

    changelists = page.locator("#content-main tr[class^='model-'] th a").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    assert sorted(changelists) == app.admin_changelists, "the index lists every admin model"
    for changelist in changelists:
        go(page, changelist)
        open_first_row(page, changelist)

    users = next(link for link in changelists if link.endswith("/accounts/user/"))
    go(page, users)
    search = page.locator("#searchbar")
    search.fill(app.reader.email)
    follow(page, lambda: search.press("Enter"))
    # Two users exist: one row left means the search filtered.
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(app.reader.email)

    follow(page, page.locator("#logout-form [type=submit]").click)
    assert urlsplit(page.url).path == "/admin/logout/", f"logging out led to {page.url}"
    expect(page.locator("#content h1")).to_have_text("Logged out")
    go(page, "/admin/")
    assert urlsplit(page.url).path == "/admin/login/", "signed out, the admin asks to sign in"

    assert_static_served(traffic)
    assert_no_server_error(traffic)
    opened = len(traffic.documents_opened("/admin/"))
    summary(f"e2e: opened {opened} admin pages ({len(changelists)} models)")
    assert opened == 2 * len(changelists) + PAGES_AROUND_THE_TOUR
