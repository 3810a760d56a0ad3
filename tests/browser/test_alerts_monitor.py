"""The alert monitor in headless Chromium against `make run`, with a simulated device pushing alerts.

The device is the platform's own simulator client (`alerts.simulator`) making real REST calls (and, in
one test, `/ws/device/` calls through `manage.py simulate_device`) from this process to the live server,
exactly as a truck would.
"""

from __future__ import annotations

import re
import secrets
import time
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from alerts.simulator import RestDevice, random_mac, render_frame
from tests.browser.conftest import MANAGER_LOGIN

MONITOR = "/alerts/monitor/"


def sign_in(page, live_url, login=MANAGER_LOGIN):
    username, password = login
    page.goto("/accounts/login/", wait_until="networkidle")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_url}/")
    page.wait_for_load_state("networkidle")  # the home page's favicon is not aborted by the next navigation


def open_monitor(page):
    page.goto(MONITOR, wait_until="networkidle")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=15_000)
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page


@pytest.fixture
def device(live_url):
    device = RestDevice(
        live_url, mac=random_mac(), password="browser-device-pw", name=f"Browser truck {secrets.token_hex(2)}"
    )
    device.register()
    yield device
    device.close()


def test_home_page_leads_the_manager_to_the_monitor(page_and_watcher, live_url):
    page, watcher = page_and_watcher
    sign_in(page, live_url)
    page.get_by_test_id("destinations").get_by_role("link", name="Alert monitor").click()
    page.wait_for_url(f"{live_url}{MONITOR}")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    # demo data: closed alerts and trucks are on the board from the first load
    expect(page.locator("table.alerts tbody tr").first).to_be_visible()
    expect(page.locator("[data-testid=trucks] li").nth(2)).to_be_visible()  # the three demo trucks at least
    watcher.assert_clean()
    assert any(url.endswith("/static/alerts/monitor.js") for url in watcher.requests)


def test_alert_appears_live_closes_and_pages_through_its_frames(page_and_watcher, live_url, device):
    page, watcher = page_and_watcher
    sign_in(page, live_url)
    open_monitor(page)

    alert_id = device.open_alert("Unsafe")
    row = page.get_by_test_id(f"alert-{alert_id}")
    expect(row).to_be_visible(timeout=5_000)  # pushed over /ws/alert/, no reload
    expect(row).to_have_attribute("data-state", "open")
    expect(row.get_by_test_id("alert-state")).to_have_text("Open")
    expect(row).to_contain_text(device.name)
    expect(page.locator("table.alerts tbody tr").first).to_have_attribute("data-testid", f"alert-{alert_id}")

    for index in range(7):
        device.send_frame(
            alert_id, render_frame(width=160, height=90, label=device.name, index=index), frame_index=index
        )
    device.close_alert(alert_id)
    expect(row).to_have_attribute("data-state", "closed", timeout=5_000)
    expect(row.get_by_test_id("alert-state")).to_have_text("Closed")
    expect(row.get_by_test_id("alert-end")).not_to_have_text("—")
    assert page.evaluate("window.__sameDocument") is True

    # the alert view: 7 frames, 5 per page, newest first, as images
    row.get_by_test_id("frames-button").click()
    view = page.get_by_test_id("alert-view")
    expect(view).to_be_visible()
    expect(page.get_by_test_id("alert-view-title")).to_contain_text(f"#{alert_id}")
    frames = view.get_by_test_id("frame")
    expect(frames).to_have_count(5)
    expect(page.get_by_test_id("frames-page")).to_have_text("Page 1 of 2")
    assert [frames.nth(i).get_attribute("data-frame-index") for i in range(5)] == ["6", "5", "4", "3", "2"]
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=frame] img')]"
        ".every(img => img.complete && img.naturalWidth === 160)"
    )
    view.get_by_role("button", name="Older frames").click()
    expect(frames).to_have_count(2)
    expect(page.get_by_test_id("frames-page")).to_have_text("Page 2 of 2")
    assert page.url.endswith(f"#alert-{alert_id}")  # a link to this view can be shared
    page.get_by_test_id("alert-view-close").click()
    expect(view).to_be_hidden()

    # the truck's last status: its newest frame (index 6)
    card = page.get_by_test_id("trucks").locator("li", has_text=device.name)
    expect(card).to_be_visible()
    card.get_by_test_id("last-status-button").click()
    image = card.get_by_test_id("last-status-image")
    expect(image).to_be_visible()
    expect(card.get_by_test_id("last-status")).to_contain_text(f"frame of alert #{alert_id}")
    watcher.assert_clean()


def test_filters_apply_to_the_listing_and_to_live_alerts(page_and_watcher, live_url, device):
    page, watcher = page_and_watcher
    sign_in(page, live_url)
    open_monitor(page)
    unsafe = device.open_alert("Unsafe")
    expect(page.get_by_test_id(f"alert-{unsafe}")).to_be_visible()

    page.get_by_test_id("filter-behavior").select_option("Tamper")
    expect(page.get_by_test_id(f"alert-{unsafe}")).to_have_count(0)
    tamper = device.open_alert("Tamper")
    other = device.open_alert("Single Hand")
    expect(page.get_by_test_id(f"alert-{tamper}")).to_be_visible()
    time.sleep(1)  # give the ignored push time to (not) show
    expect(page.get_by_test_id(f"alert-{other}")).to_have_count(0)
    assert all(text == "Tamper" for text in page.locator("table.alerts td.behavior").all_inner_texts())

    page.get_by_test_id("filter-behavior").select_option("")
    page.get_by_test_id("filter-truck").select_option(label=device.name)
    expect(page.locator("table.alerts tbody tr")).to_have_count(3)
    assert set(page.locator("table.alerts td.truck").all_inner_texts()) == {device.name}
    page.get_by_test_id("filter-state").select_option("false")
    expect(page.get_by_test_id("alerts-empty")).to_be_visible()
    device.close_alert(other)  # now it matches "closed": it joins the board live
    expect(page.get_by_test_id(f"alert-{other}")).to_have_attribute("data-state", "closed")
    page.get_by_test_id("filter-state").select_option("true")
    expect(page.locator("table.alerts tbody tr")).to_have_count(2)
    device.close_alert(tamper)  # and leaves the "open" board live
    expect(page.get_by_test_id(f"alert-{tamper}")).to_have_count(0)
    expect(page.locator("table.alerts tbody tr")).to_have_count(1)
    watcher.assert_clean()


def test_after_a_dropped_connection_the_board_re_reads_the_listing(new_page, live_url, device):
    page, watcher = new_page()
    sockets = {"block": False, "open": []}

    def route(ws):
        if sockets["block"]:
            ws.close(code=4000, reason="network down")  # the server is unreachable
            return
        ws.connect_to_server()
        sockets["open"].append(ws)

    page.route_web_socket(re.compile(r".*/ws/alert/$"), route)
    sign_in(page, live_url)
    open_monitor(page)

    sockets["block"] = True
    sockets["open"][-1].close(code=4000, reason="network down")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "reconnecting")
    missed = device.open_alert("Eating/Drinking")  # pushed while this watcher is away: lost for it
    time.sleep(1.5)
    expect(page.get_by_test_id(f"alert-{missed}")).to_have_count(0)

    sockets["block"] = False
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=20_000)
    expect(page.get_by_test_id(f"alert-{missed}")).to_be_visible()  # recovered from GET /api/v1/alert/
    assert page.evaluate("window.__sameDocument") is True
    later = device.open_alert("Tamper")
    expect(page.get_by_test_id(f"alert-{later}")).to_be_visible(timeout=5_000)  # live again
    watcher.assert_clean()


def test_simulate_device_over_the_device_websocket_shows_on_the_board(page_and_watcher, live_url):
    page, watcher = page_and_watcher
    sign_in(page, live_url)
    open_monitor(page)
    name = f"Sim ws {secrets.token_hex(2)}"
    out = StringIO()
    call_command(
        "simulate_device",
        "--url",
        live_url,
        "--transport",
        "websocket",
        "--name",
        name,
        "--alerts",
        "2",
        "--frames-per-alert",
        "3",
        "--rate",
        "20",
        "--pause",
        "0.2",
        "--size",
        "160x90",
        stdout=out,
    )
    assert "Done: 2 alerts sent." in out.getvalue()
    rows = page.locator("table.alerts tbody tr", has_text=name)
    expect(rows).to_have_count(2)
    for i in range(2):
        expect(rows.nth(i)).to_have_attribute("data-state", "closed")
    rows.first.get_by_test_id("frames-button").click()
    expect(page.get_by_test_id("alert-view").get_by_test_id("frame")).to_have_count(3)
    # a truck first seen in a live message joins the trucks panel (re-read at most every 10 s)
    expect(page.get_by_test_id("trucks").locator("li", has_text=name)).to_be_visible(timeout=15_000)
    watcher.assert_clean()


def test_citizens_are_refused(page_and_watcher, live_url):
    page, _ = page_and_watcher
    sign_in(page, live_url, ("citizen", "citizen-demo-2026"))
    assert page.get_by_test_id("destinations").get_by_role("link", name="Alert monitor").count() == 0
    response = page.goto(MONITOR)
    assert response.status == 403


def test_phone_viewport_shows_cards_without_horizontal_overflow(new_page, live_url):
    page, watcher = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, live_url, ("watcher", "watcher-demo-2026"))
    open_monitor(page)
    expect(page.locator("table.alerts tbody tr").first).to_be_visible()

    def overflow():
        return page.evaluate(
            "({scroll: document.documentElement.scrollWidth, view: window.innerWidth,"
            " header: getComputedStyle(document.querySelector('table.alerts thead')).display})"
        )

    widths = overflow()
    assert widths["scroll"] <= widths["view"] == 390, widths
    assert widths["header"] == "none"  # rows are cards with labelled fields
    page.locator("table.alerts tbody tr").first.get_by_test_id("frames-button").click()
    expect(page.get_by_test_id("alert-view").get_by_test_id("frame").first).to_be_visible()
    assert overflow()["scroll"] <= 390
    watcher.assert_clean()
