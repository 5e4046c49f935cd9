"""The API docs (Swagger UI) work with no internet: every request outside 127.0.0.1 is blocked."""

from playwright.sync_api import Page, expect

from tests.e2e.pages import Traffic, assert_no_server_error, go

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def test_swagger_ui_lists_every_operation_offline(page: Page, traffic: Traffic):
    schema = page.request.get("/api/schema/?format=json")
    assert schema.ok, f"{schema.status} {schema.url}"
    # Swagger UI shows an operation once under each of its tags.
    shown_operations = sum(
        len(operation.get("tags") or ["default"])
        for item in schema.json()["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    )

    go(page, "/api/docs/")
    # Swagger UI fetches its assets, then the schema, then renders.
    page.wait_for_load_state("networkidle")
    login = page.locator(".opblock-summary-path[data-path='/api/v1/auth/login/']")
    expect(login, f"no login operation; blocked requests: {traffic.blocked}").to_be_visible()
    expect(page.locator(".opblock")).to_have_count(shown_operations)
    assert not traffic.blocked, f"the docs reached outside 127.0.0.1: {traffic.blocked}"
    assert_no_server_error(traffic)
