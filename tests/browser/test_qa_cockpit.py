"""The managers' cockpit in headless Chromium against `make run`: upload a file (a bad row is refused with
its index and field), assign an area with the ordered expert picker, urge a task while its expert has
the workspace open (the urge arrives live), and watch an expert's save move the task's and the area's
progress bars without a reload."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.browser.conftest import MANAGER_LOGIN
from tests.browser.test_qa_workspace import EXPERT_LOGIN, server_items, sign_in


def rows(bad_reserve: bool = False) -> list[dict]:
    out = [
        {
            "data_question": f"Question {i}?",
            "data_answer": [{"answer": "yes", "ranking_number": 1, "reserve": 1}],
            "data_area": "cardiology",
        }
        for i in range(3)
    ]
    if bad_reserve:
        out[1]["data_answer"][0]["reserve"] = 7
    return out


def test_manager_uploads_a_file_and_assigns_an_area(new_page, live_url, tmp_path):
    page, watcher = new_page()
    # a second expert, through seed 002's self-registration (the demo has one expert)
    answer = page.request.post(
        f"{live_url}/user/register",
        data={"username": "cardiologist", "password": "Heart-rhythm-2026!", "user_area": "pediatrics"},
    )
    assert answer.json() == {"response": "注册成功"}
    sign_in(page, live_url, MANAGER_LOGIN)
    page.goto("/admin/datasets/dataset/add/", wait_until="networkidle")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(rows(bad_reserve=True)))
    page.locator("input[name=name]").fill("Cardiology Q&A")
    page.locator("input[name=task_type]").fill("qa-cardio")
    page.locator("input[name=source]").fill("browser test")
    page.locator("input[name=file]").set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    error = page.get_by_test_id("upload-error")
    error.wait_for()
    assert "Row 1" in error.inner_text() and "data_answer[0].reserve" in error.inner_text()

    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(row) for row in rows()))
    page.locator("input[name=file]").set_input_files(str(good))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r"/admin/datasets/dataset/\d+/change/$"))
    assert "uploaded with 3 items" in page.locator(".messagelist").inner_text()
    assert page.get_by_test_id("area-progress").locator("tr[data-area=cardiology]").count() == 1

    page.get_by_test_id("assign-link").click()
    page.wait_for_load_state("networkidle")
    # nobody has the area cardiology, so every expert is offered; tick cardiologist, then expert
    choices = page.locator(".expert-choices label")
    choices.filter(has_text=re.compile(r"\bcardiologist \(")).locator("input").check()
    choices.filter(has_text=re.compile(r"\bexpert \(")).locator("input").check()
    assert page.locator(".expert-choices .order").all_inner_texts().count("1") == 1
    assert page.locator("input[name=expert_order]").input_value().count(",") == 1
    page.locator("textarea[name=notice]").fill("Rank by guideline strength.")
    page.locator("input[name=due_time]").fill("2099-01-01T12:00")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url(re.compile(r"/admin/datasets/dataset/\d+/change/$"))
    assert "2 tasks created" in page.locator(".messagelist").inner_text()
    experts = page.get_by_test_id("area-progress").locator("tr[data-area=cardiology] td").last.inner_text()
    assert experts == "cardiologist, expert"  # the tick order decides who gets the extra item
    watcher.assert_clean()


SEED_CALL = """async ([method, path, body]) => {
    const headers = {"Content-Type": "application/json"};
    return (await fetch(path, {method, headers, body: JSON.stringify(body)})).json();
}"""


def task_for_the_expert(manager_page, task_type: str, *, items: int = 3) -> int:
    """A dataset of its own (`task_type`, one area) assigned to the demo expert through the seed API, so
    the test does not depend on what other tests did to the demo tasks. Returns the dataset id."""
    rows = [
        {"data_question": f"Cough {i}?", "data_answer": [{"answer": "x-ray"}], "data_area": "pulmonology"}
        for i in range(items)
    ]
    upload = {"dataset_name": task_type, "dataset_task_type": task_type, "dataset_source": "ward", "dataset_json": rows}
    dataset_id = manager_page.evaluate(SEED_CALL, ["POST", "/dataset/upload", upload])["dataset_id"]
    experts = manager_page.evaluate("async () => (await (await fetch('/user/list')).json()).response")
    expert_id = next(e["expert_id"] for e in experts if e["expert_name"] == EXPERT_LOGIN[0])
    assign = {"dataset_id": dataset_id, "area": "pulmonology", "expert_id_list": [expert_id], "due_time": "2099-01-02"}
    assert manager_page.evaluate(SEED_CALL, ["POST", "/task/assign", assign]) == {"response": "success"}
    return dataset_id


def test_an_urge_from_the_cockpit_reaches_the_open_workspace(new_page, live_url):
    manager_page, manager_watcher = new_page()
    sign_in(manager_page, live_url, MANAGER_LOGIN)
    task_for_the_expert(manager_page, "qa-urge")  # the workspace tests may have finished the demo tasks

    expert_page, expert_watcher = new_page()
    sign_in(expert_page, live_url, EXPERT_LOGIN)
    expert_page.goto("/workspace/", wait_until="networkidle")
    expert_page.get_by_test_id("task-card").first.wait_for()
    card = expert_page.get_by_test_id("task-card").filter(has_text="qa-urge").first
    task_id = card.locator("button").get_attribute("data-task-id")
    expert_page.wait_for_timeout(500)  # the socket connects after the task list

    manager_page.goto("/admin/tasks/task/", wait_until="networkidle")
    manager_page.locator(f"input[name=_selected_action][value='{task_id}']").check()
    manager_page.locator("select[name=action]").select_option("urge")
    manager_page.get_by_role("button", name="Go").click()
    manager_page.wait_for_load_state("networkidle")
    assert "1 task urged." in manager_page.locator(".messagelist").inner_text()

    banner = expert_page.get_by_test_id("banner")
    banner.wait_for()
    assert f"urged task #{task_id}" in banner.inner_text()
    card = expert_page.locator(f"[data-task-id='{task_id}']")
    card.get_by_test_id("urged").wait_for()
    expert_watcher.assert_clean()
    manager_watcher.assert_clean()


def count_of(page, selector: str) -> tuple[int, int]:
    done, total = page.locator(selector).locator("[data-count]").inner_text().split(" / ")
    return int(done), int(total)


def test_an_experts_save_moves_the_managers_progress_bars_without_a_reload(new_page, live_url):
    # Its own dataset (3 items of one area, all for `expert`): the demo tasks belong to the workspace tests.
    tasks_page, tasks_watcher = new_page()
    sign_in(tasks_page, live_url, MANAGER_LOGIN)
    dataset_id = task_for_the_expert(tasks_page, "qa-live")

    # The manager watches the task list and the dataset's page, both live.
    tasks_page.goto("/admin/tasks/task/", wait_until="networkidle")
    dataset_page, dataset_watcher = new_page()
    sign_in(dataset_page, live_url, MANAGER_LOGIN)
    dataset_page.goto(f"/admin/datasets/dataset/{dataset_id}/change/", wait_until="networkidle")
    for page in (tasks_page, dataset_page):
        page.locator("[data-testid=cockpit-live][data-state=open]").wait_for()
        page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page
    assert tasks_page.get_by_test_id("cockpit-live").inner_text() == "Progress updates live."

    # The expert labels one item in the workspace.
    expert_page, expert_watcher = new_page()
    sign_in(expert_page, live_url, EXPERT_LOGIN)
    expert_page.goto("/workspace/", wait_until="networkidle")
    card = expert_page.get_by_test_id("task-card").filter(has_text="qa-live")
    task_id = int(card.locator("button").get_attribute("data-task-id"))
    bar = f"[data-live=progress][data-task-id='{task_id}']"
    area_bar = "[data-live=progress][data-area=pulmonology]"
    assert count_of(tasks_page, bar) == (0, 3)
    assert count_of(dataset_page, area_bar) == (0, 3)
    card.locator("button").click()
    expert_page.get_by_test_id("editor").wait_for()
    expert_page.get_by_test_id("question").fill("Which test comes first when a cough lasts three weeks?")
    expert_page.get_by_test_id("question").press("Control+s")
    expert_page.get_by_test_id("save-state").filter(has_text="Saved").wait_for()
    assert server_items(expert_page, task_id)[0]["is_labeled"] == 1

    # Both manager pages follow, in place.
    expect(tasks_page.locator(bar).locator("[data-count]")).to_have_text("1 / 3", timeout=5_000)
    assert tasks_page.locator(f"{bar} progress").evaluate("(bar) => [bar.value, bar.max]") == [1, 3]
    assert tasks_page.locator(f"[data-live=status][data-task-id='{task_id}']").inner_text() == "标注中"
    expect(dataset_page.locator(area_bar).locator("[data-count]")).to_have_text("1 / 3", timeout=5_000)
    assert dataset_page.locator("[data-live=labeled][data-area=pulmonology]").inner_text() == "1"
    for page in (tasks_page, dataset_page):
        assert page.evaluate("window.__sameDocument") is True
    for watcher in (expert_watcher, tasks_watcher, dataset_watcher):
        watcher.assert_clean()
