"""The browsable API as an ordinary (non-staff) user: session sign-in, a form, sign-out."""

from urllib.parse import urlsplit

from playwright.sync_api import Page, Response, expect

from tests.e2e.pages import (
    Traffic,
    assert_no_server_error,
    assert_static_served,
    follow,
    go,
    sign_in,
)

NEW_NAME = "Renamed In A Browser"


def test_reader_signs_in_sees_the_api_root_edits_the_profile_and_signs_out(
    page: Page, app, traffic: Traffic
):
    sign_in(page, "/api-auth/login/?next=/api/v1/", app.reader)
    assert urlsplit(page.url).path == "/api/v1/"
    response_info = page.locator(".response-info")
    expect(response_info).to_contain_text("HTTP 200 OK")
    # The HTML form below is submitted by the browsable API's own scripts.
    assert_static_served(traffic)

    follow(page, response_info.locator("a[href$='/api/v1/auth/me/']").click)
    expect(response_info).to_contain_text(app.reader.email)
    page.locator("a[name=html-tab]").click()
    form = page.locator("#put-object-form form")
    form.locator("input[name=name]").fill(NEW_NAME)
    with page.expect_response(lambda response: response.request.method == "PUT") as put:
        form.get_by_role("button", name="PUT").click()
    assert put.value.status == 200, put.value.text()
    expect(response_info).to_contain_text(f'"name": "{NEW_NAME}"')
    # Read back on a fresh page: stored, not only echoed by the PUT.
    go(page, "/api/v1/auth/me/")
    expect(response_info).to_contain_text(f'"name": "{NEW_NAME}"')

    page.locator(".navbar .dropdown-toggle", has_text=app.reader.email).click()
    # The link first follows its own href="#", then submits the sign-out form,
    # which leads back to this page.
    with page.expect_response(lands_after_sign_out) as landed:
        page.get_by_role("link", name="Log out").click()
    assert urlsplit(landed.value.url).path == "/api/v1/auth/me/"
    assert landed.value.status in (401, 403), "signed out, the profile is refused"
    expect(page.locator(".navbar").get_by_role("link", name="Log in")).to_be_visible()
    assert_no_server_error(traffic)


def lands_after_sign_out(response: Response) -> bool:
    came_from = response.request.redirected_from
    return (
        came_from is not None
        and came_from.method == "POST"
        and urlsplit(came_from.url).path == "/api-auth/logout/"
    )
