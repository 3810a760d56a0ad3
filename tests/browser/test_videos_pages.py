"""Labeling page, gallery and clip admin in headless Chromium against `make run` (demo clips included)."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
CITIZEN_LOGIN = ("citizen", "citizen-demo-2026")
RESEARCHER_LOGIN = ("researcher", "researcher-demo-2026")
MANAGER_LOGIN = ("manager", "manager-demo-2026")


def _post(url: str, data: bytes, headers: dict) -> dict:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=15) as response:
        body = response.read()
        return json.loads(body) if body else {}


def gold_positive_ids(live_url: str) -> set[int]:
    """The Gold Pos clips, read through the API as the demo researcher (what a quality check expects)."""
    username, password = RESEARCHER_LOGIN
    tokens = _post(
        f"{live_url}/api/token/",
        json.dumps({"username": username, "password": password}).encode(),
        {"Content-Type": "application/json"},
    )
    listing = _post(
        f"{live_url}/api/v1/get_pos_gold_labels",
        urllib.parse.urlencode({"pageSize": 1000}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {tokens['access']}"},
    )
    return {clip["id"] for clip in listing["data"]}


def sign_in(page, live_url: str, login: tuple[str, str]) -> None:
    page.goto("/accounts/login/", wait_until="networkidle")
    page.locator("input[name=login]").fill(login[0])
    page.locator("input[name=password]").fill(login[1])
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_url}/")
    page.wait_for_load_state("networkidle")  # leave no request (e.g. the favicon) to be cut by the next page


def wait_state(page, root: str, *states: str, timeout: int = 20_000) -> None:
    selector = ", ".join(f"[data-testid={root}][data-state={state}]" for state in states)
    page.wait_for_selector(selector, timeout=timeout)


def wait_clips_loaded(page) -> None:
    """Every clip on the page has its data: replacing or leaving the page would otherwise abort their
    downloads, which the watcher rightly counts as failed requests."""
    page.wait_for_function(
        "Array.from(document.querySelectorAll('video')).every(v => v.readyState >= 3)", timeout=20_000
    )


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def playing_clips(page) -> int:
    return page.evaluate(
        "Array.from(document.querySelectorAll('video')).filter(v => v.readyState >= 2 && v.videoWidth > 0).length"
    )


def test_citizen_labels_a_full_batch_and_the_score_changes(new_page, live_url):
    page, watcher = new_page()
    sign_in(page, live_url, CITIZEN_LOGIN)
    page.get_by_test_id("destinations").get_by_role("link", name="Labeling").click()
    page.wait_for_url(re.compile(r"/videos/label/$"))
    wait_state(page, "video-labeling", "waiting")

    assert page.get_by_test_id("score").inner_text() == "0"
    assert page.get_by_test_id("client-type").inner_text() == "layperson"
    tiles = page.get_by_test_id("clip")
    assert tiles.count() == 16
    submit = page.get_by_test_id("submit")
    assert submit.is_disabled()  # the 5 s window of the video token
    assert "submit in" in page.get_by_test_id("countdown").inner_text()
    page.wait_for_function("document.querySelectorAll('video').length === 16")
    page.wait_for_function(
        "Array.from(document.querySelectorAll('video')).some(v => v.readyState >= 2 && !v.paused && v.muted && v.loop)"
    )

    gold_pos = gold_positive_ids(live_url)
    ids = [int(tiles.nth(i).get_attribute("data-video-id")) for i in range(16)]
    smoke = [i for i, video_id in enumerate(ids) if video_id in gold_pos]
    assert 1 <= len(smoke) <= 3  # a citizen batch holds 1-3 Gold Pos among its 4 gold clips
    for index in smoke:
        tiles.nth(index).click()
        assert tiles.nth(index).get_attribute("aria-pressed") == "true"
    # a toggle turns off again
    spare = next(i for i in range(16) if i not in smoke)
    tiles.nth(spare).click()
    tiles.nth(spare).click()
    assert tiles.nth(spare).get_attribute("aria-pressed") == "false"
    assert page.get_by_test_id("selected-count").inner_text().startswith(f"{len(smoke)} of 16")

    wait_state(page, "video-labeling", "ready", timeout=10_000)
    assert submit.is_enabled()
    with page.expect_response(re.compile(r"/api/v1/send_batch$")) as sent:
        submit.click()
    assert sent.value.status == 200
    result = page.get_by_test_id("result")
    result.wait_for()
    assert result.get_attribute("data-outcome") == "passed"
    assert "+12" in result.inner_text()
    assert page.get_by_test_id("score").inner_text() == "12"
    assert page.get_by_test_id("raw-score").inner_text() == "12"
    wait_state(page, "video-labeling", "waiting")  # the next batch arrives at once
    new_ids = {int(tiles.nth(i).get_attribute("data-video-id")) for i in range(tiles.count())}
    assert new_ids - set(ids)
    assert "clips you marked as smoke" in page.get_by_test_id("contributions-count").inner_text()
    watcher.assert_clean()


def test_anonymous_visitor_labels_on_a_phone_as_the_same_labeler_after_reload(new_page):
    page, watcher = new_page(**PHONE)
    page.goto("/videos/label/")
    wait_state(page, "video-labeling", "waiting")
    user_id = page.get_by_test_id("user-id").inner_text()
    assert user_id.isdigit()
    assert page.get_by_test_id("clip").count() == 16
    assert no_horizontal_scroll(page)
    page.wait_for_function("Array.from(document.querySelectorAll('video')).some(v => v.readyState >= 2)")
    # two columns of clips on a phone, the submit button reachable without scrolling sideways
    columns = page.evaluate(
        "getComputedStyle(document.querySelector('[data-testid=batch]')).gridTemplateColumns.split(' ').length"
    )
    assert columns == 2
    assert page.get_by_test_id("submit").bounding_box()["x"] + 10 < 390

    wait_clips_loaded(page)
    page.reload(wait_until="networkidle")
    wait_state(page, "video-labeling", "waiting")
    assert page.get_by_test_id("user-id").inner_text() == user_id  # client id kept in this browser
    watcher.assert_clean()


def test_researcher_changes_a_clip_state_in_the_gallery_on_a_phone(new_page, live_url):
    page, watcher = new_page(**PHONE)
    sign_in(page, live_url, RESEARCHER_LOGIN)
    page.goto("/videos/gallery/?view=researcher_neg")
    wait_state(page, "video-gallery", "ready")
    listing = page.get_by_test_id("listing")
    assert listing.input_value() == "researcher_neg"
    assert listing.locator("option").count() == 13  # public + dashboard listings + my contributions
    assert no_horizontal_scroll(page)

    tile = page.get_by_test_id("gallery-clip").first
    video_id = tile.get_attribute("data-video-id")
    assert tile.get_by_test_id("researcher-state").inner_text() == "Strong Neg"
    with page.expect_response(re.compile(r"/api/v1/set_label_state$")) as changed:
        tile.get_by_test_id("state-select").select_option("32")
    assert changed.value.status == 204
    page.get_by_test_id("result").wait_for()
    assert f"#{video_id}" in page.get_by_test_id("result").inner_text()
    assert tile.get_by_test_id("researcher-state").inner_text() == "Gold Neg"

    wait_clips_loaded(page)
    listing.select_option("gold_neg")
    wait_state(page, "video-gallery", "ready")
    assert "view=gold_neg" in page.url
    first = page.get_by_test_id("gallery-clip").first  # newest label first
    assert first.get_attribute("data-video-id") == video_id
    assert first.get_by_test_id("state-select").input_value() == "32"

    wait_clips_loaded(page)
    page.reload(wait_until="networkidle")  # the change is stored, not just shown
    wait_state(page, "video-gallery", "ready")
    assert page.get_by_test_id("gallery-clip").first.get_attribute("data-video-id") == video_id
    watcher.assert_clean()


def test_anonymous_gallery_shows_public_listings_without_state_controls(new_page):
    page, watcher = new_page()
    page.goto("/videos/gallery/")
    wait_state(page, "video-gallery", "ready", "empty")
    options = page.get_by_test_id("listing").locator("option").all_inner_texts()
    assert "Gold standards: smoke" not in options
    assert "Smoke (final label)" in options
    assert page.get_by_test_id("state-select").count() == 0
    assert "clips" in page.get_by_test_id("statistics").inner_text()
    watcher.assert_clean()


def test_manager_opens_a_clip_page_that_plays_it_with_its_label_history(new_page, live_url):
    page, watcher = new_page()
    sign_in(page, live_url, MANAGER_LOGIN)
    page.goto("/admin/videos/video/?label_state_admin__exact=47")
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_url(re.compile(r"/admin/videos/video/\d+/change/"))
    player = page.get_by_test_id("clip-player")
    assert "/media/videos/320/" in player.get_attribute("src")
    page.wait_for_function("document.querySelector('[data-testid=clip-player]').readyState >= 2")
    history = page.get_by_test_id("label-history")
    assert "researcher" in history.inner_text()
    assert "set Gold Pos" in history.inner_text()
    watcher.assert_clean()
