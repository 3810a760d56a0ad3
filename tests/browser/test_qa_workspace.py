"""The expert workspace in headless Chromium against `make run` (demo data from tasks/demo.py).

An expert signs in, sees their tasks (the urged one first) and labels items end to end: edits the
question, edits, reorders and drops answers, keeps or drops the whole item, saves with the keyboard, and
loses nothing when the network fails mid-save. Once in English, once in Simplified Chinese.
"""

from __future__ import annotations

import re

from tests.browser.conftest import MANAGER_LOGIN

EXPERT_LOGIN = ("expert", "expert-demo-2026")


def sign_in(page, live_url, login, *, language: str | None = None) -> None:
    page.goto("/accounts/login/", wait_until="networkidle")
    if language:
        page.get_by_test_id("language").locator("select").select_option(language)
        page.wait_for_load_state("networkidle")
    page.locator("input[name=login]").fill(login[0])
    page.locator("input[name=password]").fill(login[1])
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_url}/")
    page.wait_for_load_state("networkidle")


def server_items(page, task_id: int) -> list[dict]:
    """What the server holds now, read through the same seed endpoint the page uses."""
    return page.evaluate("async (id) => (await (await fetch(`/data/list?mission_id=${id}`)).json()).response", task_id)


def open_task(page, task_type: str) -> int:
    card = page.get_by_test_id("task-card").filter(has_text=task_type).first
    card.locator("button").click()
    page.get_by_test_id("editor").wait_for()
    return int(card.locator("button").get_attribute("data-task-id"))


def test_expert_labels_items_end_to_end_in_english(new_page, live_url):
    page, watcher = new_page(locale="en-US")
    sign_in(page, live_url, EXPERT_LOGIN)
    page.get_by_test_id("destinations").get_by_role("link", name="Expert workspace").click()
    page.wait_for_url(re.compile(r"/workspace/"))
    page.get_by_test_id("task-card").first.wait_for()
    assert page.locator("h1").inner_text() == "Expert workspace"

    # Urged tasks come first, marked; every card shows its due time and progress.
    cards = page.get_by_test_id("task-card")
    assert cards.count() >= 2
    assert cards.first.get_by_test_id("urged").inner_text() == "Urged"
    assert "Due " in cards.first.inner_text()
    assert re.search(r"\d+ of \d+ labeled", cards.first.inner_text())

    task_id = open_task(page, "qa-ranking")
    assert page.get_by_test_id("notice").is_visible()
    assert "best answer first" in page.get_by_test_id("notice-text").inner_text()
    before = server_items(page, task_id)
    target = next(i for i, item in enumerate(before) if not item["is_labeled"])
    page.get_by_test_id("item-nav").locator("button").nth(target).click()

    first_answer_before = page.get_by_test_id("answer-text").first.input_value()
    page.get_by_test_id("question").fill("What is the first step when a fever lasts three days?")
    page.get_by_test_id("answer-text").nth(1).fill("See a doctor if the fever lasts more than three days.")
    page.get_by_test_id("answer-down").first.click()  # the first answer becomes the second
    assert page.get_by_test_id("answer-text").nth(1).input_value() == first_answer_before
    page.get_by_test_id("answer-keep").last.uncheck()  # drop the last answer
    page.get_by_test_id("reserve-keep").check()
    page.get_by_test_id("question").press("Control+s")
    page.get_by_test_id("save-state").filter(has_text="Saved").wait_for()

    saved = server_items(page, task_id)[target]
    assert saved["is_labeled"] == 1
    assert saved["question"] == "What is the first step when a fever lasts three days?"
    assert saved["data_reserve"] == 1
    assert saved["answer"][0]["answer"] == "See a doctor if the fever lasts more than three days."
    assert saved["answer"][1]["answer"] == first_answer_before
    assert [a["ranking_number"] for a in saved["answer"]] == list(range(1, len(saved["answer"]) + 1))
    assert saved["answer"][-1]["reserve"] == 0
    assert all(a["reserve"] == 1 for a in saved["answer"][:-1])
    assert "labeled" in page.get_by_test_id("item-nav").locator("button").nth(target).get_attribute("class")

    # The network fails mid-save: the edit stays in the browser and is sent once the network is back.
    page.keyboard.press("Alt+ArrowRight")
    second = target + 1
    assert page.get_by_test_id("item-position").inner_text().startswith(f"Item {second + 1} of")
    page.route("**/data/label", lambda route: route.abort("internetdisconnected"))
    page.get_by_test_id("question").fill("Edited while offline")
    page.get_by_test_id("reserve-drop").check()
    page.get_by_test_id("save").click()
    page.get_by_test_id("save-state").filter(has_text="Network problem").wait_for()
    draft = page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('qa-workspace:'))")
    assert len(draft) == 1
    assert server_items(page, task_id)[second]["question"] != "Edited while offline"
    page.unroute("**/data/label")
    page.get_by_test_id("save-state").filter(has_text="Saved").wait_for(timeout=20_000)
    resent = server_items(page, task_id)[second]
    assert resent["question"] == "Edited while offline"
    assert resent["data_reserve"] == 0
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('qa-workspace:')).length") == 0

    # A reload shows what the server holds.
    page.reload(wait_until="networkidle")
    page.get_by_test_id("editor").wait_for()
    assert page.get_by_test_id("question").input_value() == "Edited while offline"
    assert page.get_by_test_id("item-state").inner_text() == "Labeled"
    # The aborted save is the only failed request; nothing else went wrong.
    watcher.failed = [url for url in watcher.failed if "/data/label" not in url]
    watcher.assert_clean(ignore_console=("net::ERR_INTERNET_DISCONNECTED",))


def test_expert_labels_in_chinese_with_keyboard_shortcuts(new_page, live_url):
    page, watcher = new_page(locale="zh-CN")
    sign_in(page, live_url, EXPERT_LOGIN, language="zh-hans")
    page.goto("/workspace/", wait_until="networkidle")
    assert page.locator("h1").inner_text() == "专家工作台"
    page.get_by_test_id("task-card").first.wait_for()
    assert page.get_by_test_id("task-card").first.get_by_test_id("urged").inner_text() == "已催促"

    task_id = open_task(page, "qa-followup")
    items = server_items(page, task_id)
    target = next(i for i, item in enumerate(items) if not item["is_labeled"])
    page.get_by_test_id("item-nav").locator("button").nth(target).click()
    assert page.get_by_test_id("save").inner_text() == "保存"

    page.get_by_test_id("question").fill("复诊时需要带哪些检查结果?")
    answers = page.get_by_test_id("answer-text")
    last_before = answers.last.input_value()
    answers.last.focus()
    page.keyboard.press("Alt+ArrowUp")  # the focused answer moves up one place
    assert page.get_by_test_id("answer-text").nth(answers.count() - 2).input_value() == last_before
    page.keyboard.press("Alt+k")  # and is dropped
    page.keyboard.press("Alt+0")  # the whole item is dropped
    page.keyboard.press("Control+Enter")  # save and go to the next item
    page.get_by_test_id("save-state").filter(has_text="已保存").wait_for()

    saved = server_items(page, task_id)[target]
    assert saved["is_labeled"] == 1
    assert saved["question"] == "复诊时需要带哪些检查结果?"
    assert saved["data_reserve"] == 0
    moved = saved["answer"][len(saved["answer"]) - 2]
    assert moved["answer"] == last_before
    assert moved["reserve"] == 0
    if target + 1 < len(items):
        assert page.get_by_test_id("item-position").inner_text().startswith(f"第 {target + 2} 条")
    watcher.assert_clean()


def test_a_save_leaves_no_draft_behind_when_the_clock_ticks_during_it(new_page, live_url):
    """The draft is stamped when stored; a save must drop exactly that draft (before, a clock tick between
    collecting the edits and storing them left a stale draft of a saved item, now and then)."""
    page, watcher = new_page(locale="en-US")
    page.add_init_script(
        "(() => { const now = Date.now.bind(Date); let tick = 0; Date.now = () => now() + ++tick; })()"
    )
    sign_in(page, live_url, EXPERT_LOGIN)
    page.goto("/workspace/", wait_until="networkidle")
    page.get_by_test_id("task-card").first.wait_for()
    cards = page.get_by_test_id("task-card")
    for n in range(cards.count()):  # the other tests label items of the same demo tasks
        task_id = int(cards.nth(n).locator("button").get_attribute("data-task-id"))
        unlabeled = [i for i, item in enumerate(server_items(page, task_id)) if not item["is_labeled"]]
        if unlabeled:
            break
    cards.nth(n).locator("button").click()
    page.get_by_test_id("editor").wait_for()
    target = unlabeled[-1]
    page.get_by_test_id("item-nav").locator("button").nth(target).click()
    page.get_by_test_id("question").fill("Which answer should a patient read first?")
    page.get_by_test_id("question").press("Control+s")
    page.get_by_test_id("save-state").filter(has_text="Saved").wait_for()
    assert server_items(page, task_id)[target]["question"] == "Which answer should a patient read first?"
    drafts = page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('qa-workspace:'))")
    assert drafts == []
    watcher.assert_clean()


def test_manager_is_sent_to_the_admin_not_the_workspace(new_page, live_url):
    page, _ = new_page()
    sign_in(page, live_url, MANAGER_LOGIN)
    assert page.get_by_test_id("destinations").get_by_role("link", name="Expert workspace").count() == 0
    response = page.goto("/workspace/")
    assert response.status == 403
