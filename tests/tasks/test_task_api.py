"""Seed 002 task endpoints (qa-tasks.md §3.3, §4.2-4.5): list, history, assign, hand over, urge."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ClientType, Role, User
from datasets import services as dataset_services
from datasets.models import DataItem
from tasks import services
from tasks.models import Task
from tests.accounts.factories import UserFactory
from tests.datasets.factories import uploaded_dataset
from tests.datasets.helpers import client_for, expert, manager, send
from tests.tasks.factories import assigned, later

pytestmark = pytest.mark.django_db

FUTURE = "2099/12/31 18:00"


def label(item, user, reserve=1):
    return services.label_item(item_id=item.pk, by=user, question="q", answers=[], data_reserve=reserve)


# --- permissions --------------------------------------------------------------------------------------

MANAGER_CALLS = [
    ("get", "/task/list-by-dataset"),
    ("post", "/task/assign"),
    ("put", "/task/reassign"),
    ("post", "/task/urgent"),
]


@pytest.mark.parametrize("method, path", MANAGER_CALLS)
@pytest.mark.parametrize(
    "role, answer", [(None, "未登录"), (Role.EXPERT, "非管理员用户"), (Role.CITIZEN, "非管理员用户")]
)
def test_manager_endpoints_refuse_others(method, path, role, answer):
    dataset = uploaded_dataset()
    task = assigned(dataset, area="medicine")[0]
    user = UserFactory(role=role) if role else None
    data = {
        "dataset_id": dataset.pk, "mission_id": task.pk, "area": "medicine", "expert_id_list": [task.expert_id],
        "due_time": FUTURE, "mission_due_time": FUTURE,
    }  # fmt: skip
    response = send(client_for(user), method, path, data)
    assert (response.status_code, response.json()) == (200, {"response": answer})
    assert Task.objects.count() == 1
    task.refresh_from_db()
    assert task.urge_count == 0 and task.handed_over_at is None


@pytest.mark.parametrize(
    "role, answer", [(None, "请先登录"), (Role.CITIZEN, "非管理员用户"), (Role.RESEARCHER, "非管理员用户")]
)
def test_task_list_refusals(role, answer):
    user = UserFactory(role=role) if role else None
    assert send(client_for(user), "get", "/task/list").json() == {"response": answer}


# --- /task/list -----------------------------------------------------------------------------------------


def test_task_list_for_expert_shows_own_tasks_urged_first(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    boss = manager()
    doc, other = expert(username="doc"), expert(username="other")
    dataset = uploaded_dataset(areas={"medicine": 2, "law": 2, "art": 1}, by=boss, source="hospital", task_type="qa")
    soon = timezone.now() + timedelta(days=1)
    [late_task] = assigned(dataset, area="medicine", experts=[doc], by=boss, due_time=later(3))
    [early_task] = assigned(dataset, area="law", experts=[doc], by=boss, due_time=soon)
    assigned(dataset, area="art", experts=[other], by=boss)
    services.urge_task(task=late_task, by=boss)
    label(early_task.items.first(), doc)
    rows = send(client_for(doc), "get", "/task/list").json()["response"]
    assert [r["task_id"] for r in rows] == [late_task.pk, early_task.pk]
    first = rows[0]
    assert first == {
        "task_id": late_task.pk,
        "task_type": "qa",
        "area": "medicine",
        "resource": "hospital",
        "assign_time": timezone.localtime(late_task.assigned_at).strftime("%Y/%m/%d %H:%M:%S"),
        "due_time": timezone.localtime(late_task.due_time).strftime("%Y/%m/%d %H:%M:%S"),
        "status": "未开始",
        "finished_count": 0,
        "total_count": 2,
        "is_highlight": 1,
    }
    assert (rows[1]["status"], rows[1]["finished_count"], rows[1]["is_highlight"]) == ("未完成", 1, 0)


def test_expert_and_manager_statuses_follow_progress_and_time():
    boss = manager()
    doc = expert()
    dataset = uploaded_dataset(areas={"a": 2, "b": 1, "c": 2, "d": 1}, by=boss)
    tasks = {area: assigned(dataset, area=area, experts=[doc], by=boss)[0] for area in "abcd"}
    label(tasks["a"].items.first(), doc)  # partly done
    label(tasks["b"].items.get(), doc)  # finished
    Task.objects.filter(pk__in=[tasks["c"].pk, tasks["b"].pk]).update(due_time=timezone.now() - timedelta(hours=1))
    expert_rows = {r["area"]: r["status"] for r in send(client_for(doc), "get", "/task/list").json()["response"]}
    assert expert_rows == {"a": "未完成", "b": "已完成", "c": "超时", "d": "未开始"}
    manager_rows = send(client_for(boss), "get", "/task/list").json()["response"]
    assert {r["task_id"]: r["status"] for r in manager_rows} == {
        tasks["a"].pk: "标注中", tasks["b"].pk: "已完成", tasks["c"].pk: "超时", tasks["d"].pk: "已分配",
    }  # fmt: skip
    assert [r["task_id"] for r in manager_rows] == sorted((t.pk for t in tasks.values()), reverse=True)
    assert set(manager_rows[0]) == {
        "task_id", "task_type", "expert_name", "dataset_name", "status", "assign_time", "due_time",
        "finished_count", "total_count", "is_highlight",
    }  # fmt: skip


def test_task_list_hides_finished_handed_over_tasks_but_shows_returned_ones():
    boss = manager()
    doc, heir = expert(username="doc"), expert(username="heir")
    dataset = uploaded_dataset(areas={"medicine": 3}, by=boss)
    [old] = assigned(dataset, experts=[doc], by=boss)
    first = old.items.order_by("position").first()
    label(first, doc)
    services.hand_over_task(task=old, experts=[heir], due_time=later(), by=boss)
    listed = [r["task_id"] for r in send(client_for(doc), "get", "/task/list").json()["response"]]
    assert listed == []
    services.review_item(item=first, accept=False, comment="redo", by=boss)
    rows = send(client_for(doc), "get", "/task/list").json()["response"]
    assert [(r["task_id"], r["finished_count"], r["total_count"]) for r in rows] == [(old.pk, 0, 1)]


# --- /task/list-by-dataset ------------------------------------------------------------------------------


def test_history_lists_every_task_with_statuses():
    boss = manager()
    doc, heir1, heir2 = expert(username="doc"), expert(username="h1"), expert(username="h2")
    dataset = uploaded_dataset(name="集", areas={"medicine": 5, "law": 1}, by=boss)
    [old] = assigned(dataset, experts=[doc], by=boss)
    [law] = assigned(dataset, area="law", experts=[doc], by=boss)
    label(law.items.get(), doc)
    label(old.items.order_by("position").first(), doc)
    new_tasks = services.hand_over_task(task=old, experts=[heir1, heir2], due_time=later(), by=boss)
    rows = send(client_for(boss), "get", "/task/list-by-dataset", {"dataset_id": dataset.pk}).json()["response"]
    assert [r["mission_id"] for r in rows] == [old.pk, law.pk] + [t.pk for t in new_tasks]
    assert rows[0] == {
        "mission_id": old.pk,
        "expert_name": "doc",
        "area": "medicine",
        "dataset_name": "集",
        "status": "已移交",
        "original_id": "-",
        "assign_time": timezone.localtime(old.assigned_at).strftime("%Y/%m/%d %H:%M:%S"),
        "finished_count": 1,
        "total_count": 1,
    }
    assert rows[1]["status"] == "已完成"
    assert [(r["expert_name"], r["status"], r["original_id"], r["total_count"]) for r in rows[2:]] == [
        ("h1", "标注中", old.pk, 2),
        ("h2", "标注中", old.pk, 2),
    ]


def test_history_unknown_and_bad_dataset():
    client = client_for(manager())
    assert send(client, "get", "/task/list-by-dataset", {"dataset_id": 42}).status_code == 404
    response = send(client, "get", "/task/list-by-dataset", {"dataset_id": "x"})
    assert response.status_code == 400 and response.json()["field"] == "dataset_id"


# --- /task/assign ---------------------------------------------------------------------------------------


def assign_body(dataset, experts, **overrides):
    body = {
        "dataset_id": dataset.pk,
        "area": "medicine",
        "expert_id_list": [e.pk for e in experts],
        "notice": "be careful",
        "due_time": FUTURE,
    }
    body.update(overrides)
    return body


def test_assign_splits_evenly_into_contiguous_chunks():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 6, "law": 2}, by=boss)
    DataItem.objects.filter(dataset=dataset, area="law").update(area="medicine")  # interleave: positions 0..7
    dataset.items.filter(position__in=[6, 7]).update(area="medicine")
    e7, e3, e9 = expert(), expert(), expert()
    for position in (8, 9):
        DataItem.objects.create(dataset=dataset, position=position, question="q", answer=[], area="medicine")
    response = send(client_for(boss), "post", "/task/assign", assign_body(dataset, [e7, e3, e9]))
    assert response.json() == {"response": "success"}
    tasks = list(Task.objects.order_by("id"))
    assert [t.expert for t in tasks] == [e7, e3, e9]
    spans = [list(t.items.order_by("position").values_list("position", flat=True)) for t in tasks]
    assert spans == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    task = tasks[0]
    assert (task.notice, task.assigned_by, task.original, task.area) == ("be careful", boss, None, "medicine")
    assert timezone.localtime(task.due_time).strftime("%Y/%m/%d %H:%M:%S") == "2099/12/31 18:00:00"
    dataset.refresh_from_db()
    assert dataset.last_assigned_at is not None


def test_assign_gives_no_task_to_experts_left_without_items():
    dataset = uploaded_dataset(areas={"medicine": 2})
    experts = [expert(), expert(), expert()]
    send(client_for(manager()), "post", "/task/assign", assign_body(dataset, experts))
    assert list(Task.objects.values_list("expert", flat=True).order_by("id")) == [experts[0].pk, experts[1].pk]


def test_assign_only_unassigned_items_then_409():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 3}, by=boss)
    client = client_for(boss)
    doc = expert()
    assert send(client, "post", "/task/assign", assign_body(dataset, [doc])).json()["response"] == "success"
    response = send(client, "post", "/task/assign", assign_body(dataset, [expert()]))
    assert (response.status_code, response.json()) == (409, {"response": "该领域没有未分配的数据"})
    response = send(client, "post", "/task/assign", assign_body(dataset, [doc], area="unknown"))
    assert response.status_code == 409
    assert Task.objects.count() == 1


def test_assign_accepts_list_spellings_and_time_formats():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 4}, by=boss)
    a, b = expert(), expert()
    client = client_for(boss)
    form = {"dataset_id": str(dataset.pk), "area": "medicine", "expert_id_list": [a.pk, b.pk], "due_time": "2099-01-02"}
    assert client.post("/task/assign", form).json() == {"response": "success"}
    tasks = list(Task.objects.order_by("id"))
    assert [t.expert for t in tasks] == [a, b]
    assert timezone.localtime(tasks[0].due_time).strftime("%Y/%m/%d %H:%M:%S") == "2099/01/02 23:59:59"
    other = uploaded_dataset(areas={"medicine": 1}, by=boss)
    ms = int((timezone.now() + timedelta(days=2)).timestamp() * 1000)
    body = assign_body(other, [b], expert_id_list=json.dumps([b.pk]), due_time=ms)
    assert send(client, "post", "/task/assign", body).json() == {"response": "success"}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"dataset_id": None}, "dataset_id"),
        ({"area": ""}, "area"),
        ({"area": "x" * 101}, "area"),
        ({"expert_id_list": []}, "expert_id_list"),
        ({"expert_id_list": None}, "expert_id_list"),
        ({"expert_id_list": "[1,"}, "expert_id_list"),
        ({"expert_id_list": ["abc"]}, "expert_id_list"),
        ({"expert_id_list": [True]}, "expert_id_list"),
        ({"due_time": None}, "due_time"),
        ({"due_time": "tomorrow"}, "due_time"),
        ({"due_time": "2000/01/01"}, "due_time"),
        ({"notice": "n" * 2001}, "notice"),
        ({"notice": 5}, "notice"),
    ],
)
def test_assign_bad_parameters(overrides, field):
    dataset = uploaded_dataset()
    body = assign_body(dataset, [expert()], **overrides)
    body = {k: v for k, v in body.items() if v is not None}
    response = send(client_for(manager()), "post", "/task/assign", body)
    assert response.status_code == 400, response.content
    assert (response.json()["response"], response.json()["field"]) == ("参数错误", field)
    assert Task.objects.count() == 0 and not DataItem.objects.filter(task__isnull=False).exists()


@pytest.mark.parametrize("who", ["manager", "citizen", "missing", "inactive", "blacklisted", "twice"])
def test_assign_only_to_active_experts(who):
    dataset = uploaded_dataset()
    doc = expert()

    def changed(**fields):
        user = expert()
        User.objects.filter(pk=user.pk).update(**fields)
        return [user.pk]

    ids = {
        "manager": lambda: [manager().pk],
        "citizen": lambda: [UserFactory(role=Role.CITIZEN).pk],
        "missing": lambda: [doc.pk, 99999],
        "inactive": lambda: changed(is_active=False),
        "blacklisted": lambda: changed(client_type=ClientType.BLACKLISTED),
        "twice": lambda: [doc.pk, doc.pk],
    }[who]()
    response = send(client_for(manager()), "post", "/task/assign", assign_body(dataset, [], expert_id_list=ids))
    assert response.status_code == 400 and response.json()["field"] == "expert_id_list"
    assert str(ids[-1]) in response.json()["message"] or who == "twice"
    assert Task.objects.count() == 0


def test_closed_dataset_answers_409_before_other_checks():
    boss = manager()
    dataset = uploaded_dataset(by=boss)
    [task] = assigned(dataset, by=boss)
    dataset_services.end_dataset(dataset=dataset, by=boss)
    client = client_for(boss)
    response = send(client, "post", "/task/assign", assign_body(dataset, [], expert_id_list=[], due_time="x"))
    assert (response.status_code, response.json()) == (409, {"response": "数据集已结束"})
    body = {"mission_id": task.pk, "expert_id_list": "bad", "mission_due_time": "x"}
    response = send(client, "put", "/task/reassign", body)
    assert (response.status_code, response.json()) == (409, {"response": "数据集已结束"})
    response = send(client, "post", "/task/urgent", {"mission_id": task.pk})
    assert (response.status_code, response.json()) == (409, {"response": "数据集已结束"})


def test_another_manager_may_urge_and_hand_over():
    owner, other = manager(), manager()
    [task] = assigned(uploaded_dataset(areas={"medicine": 2}, by=owner), by=owner)
    client = client_for(other)
    assert send(client, "post", "/task/urgent", {"mission_id": task.pk}).json() == {"response": "success"}
    body = {"mission_id": task.pk, "expert_id_list": [expert().pk], "mission_due_time": FUTURE}
    assert send(client, "put", "/task/reassign", body).json() == {"response": "success"}
    assert Task.objects.get(original=task).assigned_by == other


@pytest.mark.parametrize("method, path", [("get", "/task/assign"), ("post", "/task/reassign"), ("put", "/task/list")])
def test_wrong_methods(method, path):
    response = send(client_for(manager()), method, path, {})
    assert (response.status_code, response.json()) == (405, {"response": "请求方法不被允许"})


def test_assign_unknown_or_closed_dataset():
    boss = manager()
    dataset = uploaded_dataset(by=boss)
    client = client_for(boss)
    response = send(client, "post", "/task/assign", assign_body(dataset, [expert()], dataset_id=999))
    assert (response.status_code, response.json()) == (404, {"response": "数据集不存在"})
    dataset_services.end_dataset(dataset=dataset, by=boss)
    response = send(client, "post", "/task/assign", assign_body(dataset, [expert()]))
    assert (response.status_code, response.json()) == (409, {"response": "数据集已结束"})
    assert Task.objects.count() == 0


# --- /task/reassign -------------------------------------------------------------------------------------


def test_reassign_moves_unfinished_items_to_new_tasks():
    boss = manager()
    doc, a, b = expert(), expert(), expert()
    dataset = uploaded_dataset(areas={"medicine": 6}, by=boss)
    [old] = assigned(dataset, experts=[doc], by=boss, notice="old notice")
    items = list(old.items.order_by("position"))
    label(items[1], doc)
    services.urge_task(task=old, by=boss)
    body = {"mission_id": old.pk, "expert_id_list": [a.pk, b.pk, doc.pk], "mission_due_time": FUTURE}
    assert send(client_for(boss), "put", "/task/reassign", body).json() == {"response": "success"}
    old.refresh_from_db()
    assert old.handed_over_at and old.handed_over_by == boss and not old.is_highlight
    assert list(old.items.values_list("position", flat=True)) == [1]
    new = list(Task.objects.filter(original=old).order_by("id"))
    assert [t.expert for t in new] == [a, b, doc]
    assert [list(t.items.order_by("position").values_list("position", flat=True)) for t in new] == [
        [0, 2], [3, 4], [5],
    ]  # fmt: skip
    assert all(t.notice == "old notice" and t.area == "medicine" and t.assigned_by == boss for t in new)


def test_reassign_with_new_notice_and_conflicts():
    boss = manager()
    doc, heir = expert(), expert()
    dataset = uploaded_dataset(areas={"medicine": 1}, by=boss)
    [old] = assigned(dataset, experts=[doc], by=boss)
    client = client_for(boss)
    body = {"mission_id": old.pk, "expert_id_list": [heir.pk], "mission_due_time": FUTURE, "mission_notice": "new"}
    assert send(client, "put", "/task/reassign", body).json() == {"response": "success"}
    new = Task.objects.get(original=old)
    assert new.notice == "new"
    response = send(client, "put", "/task/reassign", {**body, "mission_id": old.pk})
    assert (response.status_code, response.json()) == (409, {"response": "任务没有未完成的数据"})
    label(new.items.get(), heir)
    response = send(client, "put", "/task/reassign", {**body, "mission_id": new.pk})
    assert response.status_code == 409
    response = send(client, "put", "/task/reassign", {**body, "mission_id": 9999})
    assert (response.status_code, response.json()) == (404, {"response": "任务不存在"})
    assert Task.objects.count() == 2


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"mission_id": "x"}, "mission_id"),
        ({"mission_due_time": "2001-01-01 10:00"}, "mission_due_time"),
        ({"mission_due_time": None}, "mission_due_time"),
        ({"expert_id_list": []}, "expert_id_list"),
        ({"mission_notice": "n" * 2001}, "mission_notice"),
    ],
)
def test_reassign_bad_parameters(overrides, field):
    boss = manager()
    [old] = assigned(uploaded_dataset(by=boss), by=boss)
    body = {"mission_id": old.pk, "expert_id_list": [expert().pk], "mission_due_time": FUTURE, **overrides}
    body = {k: v for k, v in body.items() if v is not None}
    response = send(client_for(boss), "put", "/task/reassign", body)
    assert response.status_code == 400 and response.json()["field"] == field
    assert Task.objects.count() == 1


def test_reassign_closed_dataset():
    boss = manager()
    dataset = uploaded_dataset(by=boss)
    [old] = assigned(dataset, by=boss)
    dataset_services.end_dataset(dataset=dataset, by=boss)
    body = {"mission_id": old.pk, "expert_id_list": [expert().pk], "mission_due_time": FUTURE}
    response = send(client_for(boss), "put", "/task/reassign", body)
    assert (response.status_code, response.json()) == (409, {"response": "数据集已结束"})


# --- /task/urgent ---------------------------------------------------------------------------------------


def test_urge_highlights_and_counts_without_changing_owner_or_due_time():
    boss = manager()
    dataset = uploaded_dataset(by=boss)
    [task] = assigned(dataset, by=boss)
    due, owner = task.due_time, task.expert_id
    client = client_for(boss)
    for _ in range(2):
        assert send(client, "post", "/task/urgent", {"mission_id": task.pk}).json() == {"response": "success"}
    task.refresh_from_db()
    assert (task.is_highlight, task.urge_count, task.due_time, task.expert_id) == (True, 2, due, owner)
    assert task.urged_at is not None


def test_urge_conflicts_and_unknown():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 1}, by=boss)
    [task] = assigned(dataset, by=boss)
    client = client_for(boss)
    assert send(client, "post", "/task/urgent", {"mission_id": 999}).status_code == 404
    assert send(client, "post", "/task/urgent", {}).json()["field"] == "mission_id"
    label(task.items.get(), task.expert)
    response = send(client, "post", "/task/urgent", {"mission_id": task.pk})
    assert (response.status_code, response.json()) == (409, {"response": "任务没有未完成的数据"})
    task.refresh_from_db()
    assert task.urge_count == 0


def test_highlight_clears_when_the_task_is_complete():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 2}, by=boss)
    [task] = assigned(dataset, by=boss)
    services.urge_task(task=task, by=boss)
    first, second = task.items.order_by("position")
    label(first, task.expert)
    task.refresh_from_db()
    assert task.is_highlight
    label(second, task.expert)
    task.refresh_from_db()
    assert not task.is_highlight
