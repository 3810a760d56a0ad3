"""The web pages in headless Chromium: clean loads, local assets only, sign-in to the admin, API docs, phones."""

from __future__ import annotations

import re
import urllib.request

import pytest

from tests.browser.conftest import MANAGER_LOGIN


def test_make_run_serves_the_api_schema(live_url):
    with urllib.request.urlopen(f"{live_url}/api/schema/", timeout=15) as response:
        assert response.status == 200
        body = response.read().decode()
    assert body.startswith("openapi:")
    assert "Label platform API" in body
    assert "/api/v1/login" in body


def test_home_page_renders_with_local_assets_only(page_and_watcher, live_url):
    page, watcher = page_and_watcher
    with page.expect_response(re.compile(r"/static/css/site\.css$")) as stylesheet:
        response = page.goto("/", wait_until="networkidle")
    assert response.status == 200
    assert stylesheet.value.status == 200

    assert page.title() == "Label platform"
    assert page.locator("h1").inner_text() == "Welcome"
    destinations = page.get_by_test_id("destinations")
    assert destinations.get_by_role("link", name="API documentation").is_visible()
    assert page.get_by_role("link", name="Admin").count() == 0
    assert page.get_by_role("link", name="sign in", exact=True).is_visible()
    # The stylesheet really applied (not just downloaded).
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") == "flex"
    watcher.assert_clean()
    assert any(url.endswith("/static/css/site.css") for url in watcher.requests)


def test_manager_signs_in_and_follows_the_admin_destination(page_and_watcher, live_url):
    page, watcher = page_and_watcher
    username, password = MANAGER_LOGIN
    page.goto("/accounts/login/", wait_until="networkidle")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_url}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == f"Welcome, {username}"
    assert "Manager" in page.get_by_test_id("who").inner_text()
    admin_link = page.get_by_test_id("destinations").get_by_role("link", name="Admin", exact=True)
    assert admin_link.is_visible()

    admin_link.click()
    page.wait_for_url(f"{live_url}/admin/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#site-name").inner_text() == "Label platform administration"
    assert page.get_by_role("link", name="Users").first.is_visible()
    watcher.assert_clean()


def test_admin_pages_have_a_favicon(page_and_watcher):
    page, _ = page_and_watcher
    page.goto("/admin/login/", wait_until="networkidle")
    linked = page.locator("link[rel~=icon]").count() > 0
    assert linked or page.request.get("/favicon.ico").status == 200


def test_api_docs_render_swagger_ui_from_local_assets(page_and_watcher, live_url):
    page, watcher = page_and_watcher
    page.goto("/api/docs/", wait_until="networkidle")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "Label platform API" in title.inner_text()
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 5
    watcher.assert_clean()
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in watcher.requests)
    assert any(url.startswith(f"{live_url}/api/schema/") for url in watcher.requests)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/"])
def test_phone_viewport_has_no_horizontal_overflow(new_page, path):
    page, watcher = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(path, wait_until="networkidle")
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth})"
    )
    assert widths["view"] == 390
    assert widths["scroll"] <= widths["view"], widths
    assert widths["body"] <= widths["view"], widths
    watcher.assert_clean()
