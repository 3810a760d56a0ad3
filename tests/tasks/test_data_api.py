"""Seed 002 data endpoints (qa-tasks.md §3.4): an expert lists and labels the items of their own tasks."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from accounts.models import Role
from datasets import services as dataset_services
from datasets.models import DataItem
from tasks import services
from tasks.models import ItemRevision, RevisionKind
from tests.accounts.factories import UserFactory
from tests.datasets.factories import uploaded_dataset
from tests.datasets.helpers import client_for, expert, manager, send
from tests.tasks.factories import assigned

pytestmark = pytest.mark.django_db

ANSWERS = [
    {"answer": "第二", "ranking_number": 2, "reserve": 0},
    {"answer": "第一", "ranking_number": 1, "reserve": 1, "note": "kept"},
]


@pytest.fixture
def setup():
    boss = manager()
    doc = expert(username="doc")
    dataset = uploaded_dataset(areas={"medicine": 3}, by=boss, source="hospital", task_type="qa")
    [task] = assigned(dataset, experts=[doc], by=boss, notice="注意")
    return boss, doc, dataset, task


def label_body(item, **overrides):
    body = {"data_id": item.pk, "data_question": "新问题?", "data_answer": ANSWERS, "data_reserve": 1}
    body.update(overrides)
    return body


# --- permissions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", [("get", "/data/list"), ("put", "/data/label")])
@pytest.mark.parametrize("role, answer", [(None, "未登录"), (Role.MANAGER, "非专家用户"), (Role.CITIZEN, "非专家用户")])
def test_expert_endpoints_refuse_others(setup, method, path, role, answer):
    _, _, _, task = setup
    item = task.items.first()
    user = UserFactory(role=role) if role else None
    data = {"mission_id": task.pk} if method == "get" else label_body(item)
    response = send(client_for(user), method, path, data)
    assert (response.status_code, response.json()) == (200, {"response": answer})
    item.refresh_from_db()
    assert not item.is_labeled and not ItemRevision.objects.exists()


def test_another_experts_task_and_item_look_missing(setup):
    _, _, _, task = setup
    stranger = client_for(expert(username="stranger"))
    response = send(stranger, "get", "/data/list", {"mission_id": task.pk})
    assert (response.status_code, response.json()) == (404, {"response": "任务不存在"})
    item = task.items.first()
    response = send(stranger, "put", "/data/label", label_body(item))
    assert (response.status_code, response.json()) == (404, {"response": "数据不存在"})
    item.refresh_from_db()
    assert not item.is_labeled
    unassigned = uploaded_dataset(areas={"x": 1}).items.get()
    response = send(client_for(task.expert), "put", "/data/label", label_body(unassigned))
    assert response.status_code == 404


# --- /data/list -----------------------------------------------------------------------------------------


def test_data_list_shows_items_by_position_with_notice(setup, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    _, doc, _, task = setup
    response = send(client_for(doc), "get", "/data/list", {"mission_id": task.pk})
    body = response.json()
    assert body["notice"] == "注意"
    first = task.items.order_by("position").first()
    assert body["response"][0] == {
        "data_id": first.pk,
        "background": "background 0",
        "task_type": "qa",
        "data_source": "hospital",
        "is_labeled": 0,
        "question": "question 0?",
        "answer": first.answer,
        "keywords": "kw0",
        "lastest_time": timezone.localtime(first.updated_at).strftime("%Y/%m/%d %H:%M:%S"),
        "data_reserve": None,
        "returned": 0,
        "return_comment": None,
    }
    assert [r["data_id"] for r in body["response"]] == list(
        task.items.order_by("position").values_list("pk", flat=True)
    )


@pytest.mark.parametrize("value", [None, "x", "0", "-3"])
def test_data_list_bad_mission_id(setup, value):
    _, doc, _, _ = setup
    data = {} if value is None else {"mission_id": value}
    response = send(client_for(doc), "get", "/data/list", data)
    assert response.status_code == 400 and response.json()["field"] == "mission_id"


# --- /data/label ----------------------------------------------------------------------------------------


def test_label_saves_current_values_and_history(setup):
    _, doc, _, task = setup
    item = task.items.order_by("position").first()
    client = client_for(doc)
    assert send(client, "put", "/data/label", label_body(item)).json() == {"response": "success"}
    item.refresh_from_db()
    assert (item.labeled_question, item.labeled_answer, item.data_reserve) == ("新问题?", ANSWERS, 1)
    assert item.is_labeled and item.labeled_by == doc and item.labeled_at and not item.returned
    assert item.question == "question 0?"  # the upload is kept
    row = send(client, "get", "/data/list", {"mission_id": task.pk}).json()["response"][0]
    assert (row["question"], row["answer"], row["is_labeled"], row["data_reserve"]) == ("新问题?", ANSWERS, 1, 1)
    send(client, "put", "/data/label", label_body(item, data_question="再改", data_reserve="0"))
    revisions = list(ItemRevision.objects.filter(item=item).order_by("id"))
    assert [(r.kind, r.question, r.data_reserve, r.by) for r in revisions] == [
        (RevisionKind.LABEL, "新问题?", 1, doc),
        (RevisionKind.LABEL, "再改", 0, doc),
    ]


def test_label_accepts_json_text_answers(setup):
    _, doc, _, task = setup
    item = task.items.first()
    body = label_body(item, data_answer=json.dumps(ANSWERS), data_id=str(item.pk))
    assert send(client_for(doc), "put", "/data/label", body).json() == {"response": "success"}
    item.refresh_from_db()
    assert item.labeled_answer == ANSWERS


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"data_id": None}, "data_id"),
        ({"data_id": "abc"}, "data_id"),
        ({"data_question": ""}, "data_question"),
        ({"data_question": None}, "data_question"),
        ({"data_question": 12}, "data_question"),
        ({"data_answer": None}, "data_answer"),
        ({"data_answer": "oops"}, "data_answer"),
        ({"data_answer": {"answer": "x"}}, "data_answer"),
        ({"data_answer": [{"answer": "x", "ranking_number": 1}]}, "data_answer[0].reserve"),
        ({"data_answer": [{"answer": "x", "reserve": 1}]}, "data_answer[0].ranking_number"),
        ({"data_answer": [{"ranking_number": 1, "reserve": 1}]}, "data_answer[0].answer"),
        ({"data_answer": [{"answer": "x", "ranking_number": "1", "reserve": 1}]}, "data_answer[0].ranking_number"),
        ({"data_reserve": 2}, "data_reserve"),
        ({"data_reserve": True}, "data_reserve"),
        ({"data_reserve": None}, "data_reserve"),
    ],
)
def test_label_bad_parameters(setup, overrides, field):
    _, doc, _, task = setup
    item = task.items.first()
    body = {k: v for k, v in label_body(item, **overrides).items() if v is not None}
    response = send(client_for(doc), "put", "/data/label", body)
    assert response.status_code == 400, response.content
    assert (response.json()["response"], response.json()["field"]) == ("参数错误", field)
    item.refresh_from_db()
    assert not item.is_labeled and not ItemRevision.objects.exists()


def test_label_closed_dataset_and_after_due_time(setup):
    boss, doc, dataset, task = setup
    item = task.items.first()
    task.due_time = timezone.now() - timezone.timedelta(days=1)
    task.save()
    client = client_for(doc)
    assert send(client, "put", "/data/label", label_body(item)).json() == {"response": "success"}
    dataset_services.end_dataset(dataset=dataset, by=boss)
    response = send(client, "put", "/data/label", label_body(item, data_question="late"))
    assert (response.status_code, response.json()) == (409, {"response": "数据集已结束"})
    item.refresh_from_db()
    assert item.labeled_question == "新问题?"


def test_a_new_save_starts_a_new_review_round(setup):
    boss, doc, _, task = setup
    item = task.items.first()
    client = client_for(doc)
    send(client, "put", "/data/label", label_body(item))
    item.refresh_from_db()
    services.draw_sample(task=task, count=1, by=boss)
    services.check_item(item=item, accept=False, comment="wrong ranking", score="C", by=boss)
    row = send(client, "get", "/data/list", {"mission_id": task.pk}).json()["response"]
    mine = next(r for r in row if r["data_id"] == item.pk)
    assert (mine["is_labeled"], mine["returned"], mine["return_comment"]) == (0, 1, "wrong ranking")
    send(client, "put", "/data/label", label_body(item))
    item = DataItem.objects.get(pk=item.pk)
    assert item.is_labeled and not item.returned and item.sampled
    assert (item.check_accept, item.check_comment, item.review_accept) == (None, None, None)
