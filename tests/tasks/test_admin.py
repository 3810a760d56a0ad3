"""The tasks admin: list with progress and filters, urge, hand over, extend due time, acceptance
sampling with pass rates; refusals are shown and change nothing; only managers get in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from datasets.services import upload_dataset
from tasks import services
from tasks.models import SampleRound, Task
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


CHANGELIST = "/admin/tasks/task/"


def rows(n: int, area: str = "medicine") -> list[dict]:
    return [
        {"data_question": f"q{i}?", "data_answer": [{"answer": f"a{i}"}, {"answer": f"b{i}"}], "data_area": area}
        for i in range(n)
    ]


def future(days: int = 3) -> str:
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def manager():
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def admin_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def expert():
    return UserFactory(role=Role.EXPERT, username="dr-wang")


@pytest.fixture
def task(manager, expert) -> Task:
    dataset = upload_dataset(name="clinic", task_type="qa", source="s", rows=rows(4), uploaded_by=manager)
    (task,) = services.assign_area(
        dataset=dataset,
        area="medicine",
        experts=[expert],
        notice="n",
        due_time=timezone.now() + timedelta(days=1),
        by=manager,
    )
    return task


def label(task: Task, count: int) -> None:
    for item in task.items.order_by("position")[:count]:
        services.label_item(
            item_id=item.pk,
            question=item.question,
            answers=[{"answer": "x", "ranking_number": 1, "reserve": 1}],
            data_reserve=1,
            by=task.expert,
        )


def run_action(client, action: str, task_ids, **form):
    data = {"action": action, "_selected_action": list(task_ids), **form}
    if form:
        data["apply"] = "1"
    return client.post(CHANGELIST, data, follow=True)


@pytest.mark.parametrize("role", [Role.EXPERT, Role.RESEARCHER, Role.CITIZEN])
def test_only_managers_reach_the_task_pages(role, task):
    client = Client()
    client.force_login(UserFactory(role=role))
    response = client.get(CHANGELIST)
    assert response.status_code in (302, 403)
    response = client.post(CHANGELIST, {"action": "urge", "_selected_action": [task.pk]})
    assert response.status_code in (302, 403)
    task.refresh_from_db()
    assert task.urge_count == 0


def test_the_list_shows_status_progress_and_filters(admin_client, task):
    label(task, 1)
    body = admin_client.get(CHANGELIST).content.decode()
    assert "dr-wang" in body and "标注中" in body
    assert '<progress max="4" value="1"' in body

    def ids(**params):
        page = admin_client.get(CHANGELIST, params).content.decode()
        return f'href="/admin/tasks/task/{task.pk}/change/' in page

    assert ids(status="标注中") and not ids(status="已完成") and not ids(status="超时")
    assert ids(overdue="no") and not ids(overdue="yes")
    assert ids(urged="never") and not ids(urged="now")
    assert ids(expert__id__exact=task.expert_id) and ids(dataset__id__exact=task.dataset_id)
    Task.objects.filter(pk=task.pk).update(due_time=timezone.now() - timedelta(hours=1))
    assert ids(status="超时") and ids(overdue="yes")


def test_urge_highlights_the_task(admin_client, task):
    response = run_action(admin_client, "urge", [task.pk])
    assert "1 task urged." in response.content.decode()
    task.refresh_from_db()
    assert task.is_highlight and task.urge_count == 1
    assert admin_client.get(CHANGELIST, {"urged": "now"}).content.decode().count(f"/admin/tasks/task/{task.pk}/change/")


def test_urging_a_finished_task_is_refused_and_changes_nothing(admin_client, task):
    label(task, 4)
    response = run_action(admin_client, "urge", [task.pk])
    assert "任务没有未完成的数据" in response.content.decode() or "unfinished" in response.content.decode()
    task.refresh_from_db()
    assert task.urge_count == 0 and not task.is_highlight


def test_hand_over_through_its_form(admin_client, task):
    label(task, 1)
    first = UserFactory(role=Role.EXPERT, username="first")
    second = UserFactory(role=Role.EXPERT, username="second")
    form = run_action(admin_client, "hand_over", [task.pk])
    assert "due_time" in form.content.decode()
    response = run_action(
        admin_client,
        "hand_over",
        [task.pk],
        experts=[first.pk, second.pk],
        expert_order=f"{second.pk},{first.pk}",
        notice="",
        due_time=future(),
    )
    assert "1 task handed over." in response.content.decode()
    task.refresh_from_db()
    assert task.handed_over_at is not None and task.items.count() == 1
    new = list(Task.objects.filter(original=task).order_by("id"))
    assert [(t.expert, t.items.count(), t.notice) for t in new] == [(second, 2, "n"), (first, 1, "n")]


def test_hand_over_refuses_a_past_due_time(admin_client, task):
    other = UserFactory(role=Role.EXPERT)
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = run_action(admin_client, "hand_over", [task.pk], experts=[other.pk], due_time=past)
    assert "later than now" in response.content.decode()
    assert not Task.objects.filter(original=task).exists()


def test_extend_due_time_clears_the_overdue_notice(admin_client, task):
    Task.objects.filter(pk=task.pk).update(
        due_time=timezone.now() - timedelta(hours=2), overdue_notified_at=timezone.now() - timedelta(hours=1)
    )
    response = run_action(admin_client, "extend_due_time", [task.pk], due_time=future(5))
    assert "1 due time extended." in response.content.decode()
    task.refresh_from_db()
    assert task.due_time > timezone.now() + timedelta(days=4)
    assert task.overdue_notified_at is None


def test_draw_a_sample_and_accept_it_all_shows_the_pass_rate(admin_client, task):
    label(task, 4)
    response = run_action(admin_client, "draw_sample", [task.pk], count="2")
    assert "Sample drawn for 1 task." in response.content.decode()
    sample = SampleRound.objects.get(task=task)
    assert sample.items.count() == 2
    assert sample_row(admin_client, task) == ["2 items", "2", "0", "0", "2", "—"]
    response = run_action(admin_client, "accept_all_sampled", [task.pk], comment="ok", score="A")
    assert "Sampled items of 1 task decided." in response.content.decode()
    assert sample_row(admin_client, task) == ["2 items", "2", "2", "0", "0", "100 %"]
    again = run_action(admin_client, "draw_sample", [task.pk], rate="1")
    assert "Sample drawn for 1 task." in again.content.decode()
    assert SampleRound.objects.filter(task=task).count() == 2


def sample_row(client, task) -> list[str]:
    """The cells of the newest sample round on the task's page, after "drawn" and "by"."""
    page = client.get(f"{CHANGELIST}{task.pk}/change/").content.decode()
    row = re.search(r'<tr class="sample-round">(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][2:]


def test_the_sample_form_needs_a_rate_or_a_count(admin_client, task):
    label(task, 2)
    response = run_action(admin_client, "draw_sample", [task.pk], rate="0.5", count="1")
    assert "Give either a rate or a count." in response.content.decode()
    assert not SampleRound.objects.exists()


def test_the_progress_bar_links_to_the_tasks_items(admin_client, task):
    body = admin_client.get(CHANGELIST).content.decode()
    query = f"dataset__id__exact={task.dataset_id}&amp;area__exact={task.area}&amp;task__id__exact={task.pk}"
    assert f'href="/admin/datasets/dataitem/?{query}"' in body
    link = {"dataset__id__exact": task.dataset_id, "area__exact": task.area, "task__id__exact": task.pk}
    items = admin_client.get("/admin/datasets/dataitem/", link).content.decode()
    assert items.count('class="action-select"') == 4
