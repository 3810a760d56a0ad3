"""The managers' cockpit in headless Chromium against `make run`: upload a file (a bad row is refused with
its index and field), assign an area with the ordered expert picker, and urge a task while its expert has
the workspace open (the urge arrives live)."""

from __future__ import annotations

import json
import re

from tests.browser.conftest import MANAGER_LOGIN
from tests.browser.test_qa_workspace import EXPERT_LOGIN, sign_in


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


def test_an_urge_from_the_cockpit_reaches_the_open_workspace(new_page, live_url):
    expert_page, expert_watcher = new_page()
    sign_in(expert_page, live_url, EXPERT_LOGIN)
    expert_page.goto("/workspace/", wait_until="networkidle")
    expert_page.get_by_test_id("task-card").first.wait_for()
    ranking = expert_page.get_by_test_id("task-card").filter(has_text="qa-ranking").first
    task_id = ranking.locator("button").get_attribute("data-task-id")
    expert_page.wait_for_timeout(500)  # the socket connects after the task list

    manager_page, manager_watcher = new_page()
    sign_in(manager_page, live_url, MANAGER_LOGIN)
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
