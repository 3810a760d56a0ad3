"""Seed 002 dataset endpoints (qa-tasks.md §3.2, §4.1, §4.5, §4.6): what the front-end sees."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from accounts.models import Role
from datasets import services as dataset_services
from datasets.models import DataItem, Dataset
from tasks import services
from tests.accounts.factories import UserFactory
from tests.datasets.factories import row, uploaded_dataset
from tests.datasets.helpers import client_for, expert, manager, send
from tests.tasks.factories import assigned, later

pytestmark = pytest.mark.django_db

MANAGER_GETS = ["/dataset/get", "/dataset/list", "/dataset/download"]


def upload_body(rows, **overrides):
    body = {"dataset_name": "医疗问答", "dataset_task_type": "qa", "dataset_source": "hospital", "dataset_json": rows}
    body.update(overrides)
    return body


# --- permissions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MANAGER_GETS + ["/dataset/upload"])
@pytest.mark.parametrize(
    "role, answer",
    [
        (None, "未登录"),
        (Role.EXPERT, "非管理员用户"),
        (Role.RESEARCHER, "非管理员用户"),
        (Role.CITIZEN, "非管理员用户"),
    ],
)
def test_manager_endpoints_refuse_others(path, role, answer):
    dataset = uploaded_dataset()
    user = UserFactory(role=role) if role else None
    method = "post" if path == "/dataset/upload" else "get"
    data = upload_body([row(0)]) if method == "post" else {"dataset_id": dataset.pk}
    response = send(client_for(user), method, path, data)
    assert response.status_code == 200
    assert response.json() == {"response": answer}
    assert Dataset.objects.count() == 1


def test_inactive_manager_is_not_logged_in():
    boss = manager()
    client = client_for(boss)
    boss.is_active = False
    boss.save()
    assert send(client, "get", "/dataset/list").json() == {"response": "未登录"}


def test_another_managers_dataset_is_visible_to_every_manager():
    dataset = uploaded_dataset(by=manager())
    other = client_for(manager())
    assert send(other, "get", "/dataset/get", {"dataset_id": dataset.pk}).json()["response"][0]["data_size"] == 4
    assert [d["dataset_id"] for d in send(other, "get", "/dataset/list").json()["response"]] == [dataset.pk]


# --- upload -------------------------------------------------------------------------------------------


def test_upload_creates_dataset_and_items_in_order():
    boss = manager()
    rows = [row(0, "medicine"), row(1, "law", extra_key={"x": 1}), row(2, "medicine")]
    rows[2]["data_answer"] = [{"answer": "no ranking"}]
    response = send(client_for(boss), "post", "/dataset/upload", upload_body(rows))
    assert response.status_code == 200
    body = response.json()
    assert body["response"] == "success"
    dataset = Dataset.objects.get(pk=body["dataset_id"])
    assert (dataset.name, dataset.task_type, dataset.source, dataset.uploaded_by) == (
        "医疗问答", "qa", "hospital", boss,
    )  # fmt: skip
    items = list(dataset.items.order_by("position"))
    assert [(i.position, i.area) for i in items] == [(0, "medicine"), (1, "law"), (2, "medicine")]
    assert items[1].extra == {"extra_key": {"x": 1}}
    assert items[2].answer == [{"answer": "no ranking", "ranking_number": 0, "reserve": 0}]
    assert items[0].task is None and not items[0].is_labeled


def test_upload_accepts_json_text_and_form_body():
    client = client_for(manager())
    body = upload_body(json.dumps([row(0)]))
    assert send(client, "post", "/dataset/upload", body).json()["response"] == "success"
    form = client.post("/dataset/upload", upload_body(json.dumps([row(1)])))  # multipart
    assert form.json()["response"] == "success"
    encoded = urlencode(upload_body(json.dumps([row(2)])))
    response = client.post("/dataset/upload", data=encoded, content_type="application/x-www-form-urlencoded")
    assert response.json()["response"] == "success"
    assert Dataset.objects.count() == 3


@pytest.mark.parametrize(
    "index, change, field",
    [
        (1, "not an object", "(row)"),
        (1, {"data_question": ""}, "data_question"),
        (1, {"data_question": 5}, "data_question"),
        (2, {"data_answer": None}, "data_answer"),
        (2, {"data_answer": "not json"}, "data_answer"),
        (2, {"data_answer": [{"answer": "a"}, {"ranking_number": 1}]}, "data_answer[1].answer"),
        (2, {"data_answer": [{"answer": "a", "reserve": 2}]}, "data_answer[0].reserve"),
        (2, {"data_answer": [{"answer": "a", "reserve": True}]}, "data_answer[0].reserve"),
        (2, {"data_answer": [{"answer": "a", "ranking_number": -1}]}, "data_answer[0].ranking_number"),
        (2, {"data_answer": [{"answer": "a"}] * 101}, "data_answer"),
        (0, {"data_area": ""}, "data_area"),
        (0, {"data_area": "x" * 101}, "data_area"),
        (0, {"data_keyword": ["list"]}, "data_keyword"),
        (0, {"data_background": "b" * 65_536}, "data_background"),
    ],
)
def test_a_bad_row_refuses_the_whole_upload(index, change, field):
    rows = [row(0), row(1), row(2)]
    rows[index] = change if isinstance(change, str) else {**rows[index], **change}
    response = send(client_for(manager()), "post", "/dataset/upload", upload_body(rows))
    assert response.status_code == 400
    body = response.json()
    assert (body["response"], body["row"], body["field"]) == ("上传失败,数据格式错误", index, field)
    assert body["message"]
    assert Dataset.objects.count() == 0 and DataItem.objects.count() == 0


def test_a_bad_row_first_problem_of_first_bad_row_wins():
    rows = [row(0), {"data_answer": 3}, {"data_question": ""}]
    body = send(client_for(manager()), "post", "/dataset/upload", upload_body(rows)).json()
    assert (body["row"], body["field"]) == (1, "data_question")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"dataset_name": ""}, "dataset_name"),
        ({"dataset_name": "n" * 256}, "dataset_name"),
        ({"dataset_task_type": "t" * 101}, "dataset_task_type"),
        ({"dataset_source": None}, "dataset_source"),
        ({"dataset_name": 7}, "dataset_name"),
        ({"dataset_json": None}, "dataset_json"),
        ({"dataset_json": "[not json"}, "dataset_json"),
        ({"dataset_json": {"a": 1}}, "dataset_json"),
        ({"dataset_json": []}, "dataset_json"),
    ],
)
def test_upload_bad_parameters(overrides, field):
    response = send(client_for(manager()), "post", "/dataset/upload", upload_body([row(0)], **overrides))
    assert response.status_code == 400
    assert response.json()["response"] == "参数错误" and response.json()["field"] == field
    assert Dataset.objects.count() == 0


def test_upload_row_and_size_limits(settings):
    settings.QA_UPLOAD_MAX_ITEMS = 2
    client = client_for(manager())
    response = send(client, "post", "/dataset/upload", upload_body([row(0), row(1), row(2)]))
    assert (response.status_code, response.json()) == (413, {"response": "上传数据过大"})
    settings.QA_UPLOAD_MAX_BYTES = 500
    response = send(client, "post", "/dataset/upload", upload_body([row(0), row(1)]))
    assert (response.status_code, response.json()) == (413, {"response": "上传数据过大"})
    assert Dataset.objects.count() == 0


def test_upload_larger_than_djangos_memory_limit(settings):
    """Bodies above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB) are fine up to QA_UPLOAD_MAX_BYTES."""
    rows = [row(i, data_background="背" * 30_000) for i in range(40)]
    body = json.dumps(upload_body(rows)).encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    client = client_for(manager())
    response = client.post("/dataset/upload", data=body, content_type="application/json")
    assert response.json()["response"] == "success"
    assert DataItem.objects.count() == 40
    assert DataItem.objects.get(position=39).background == "背" * 30_000
    form = client.post(
        "/dataset/upload",
        data=urlencode(upload_body(json.dumps(rows))),
        content_type="application/x-www-form-urlencoded",
    )
    assert form.json()["response"] == "success"
    multipart = client.post("/dataset/upload", upload_body(json.dumps(rows)))
    assert (multipart.status_code, multipart.json()) == (413, {"response": "上传数据过大"})
    assert Dataset.objects.count() == 2


def test_upload_malformed_json_body():
    client = client_for(manager())
    response = client.post("/dataset/upload", data="{nope", content_type="application/json")
    assert response.status_code == 400 and response.json()["response"] == "参数错误"


def test_upload_from_a_foreign_origin_is_refused(settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    response = send(
        client_for(manager()), "post", "/dataset/upload", upload_body([row(0)]), HTTP_ORIGIN="https://evil.example"
    )
    assert (response.status_code, response.json()) == (403, {"response": "请求来源不被允许"})
    assert Dataset.objects.count() == 0


def test_wrong_method():
    response = client_for(manager()).get("/dataset/upload")
    assert (response.status_code, response.json()) == (405, {"response": "请求方法不被允许"})


def test_trailing_slash_is_tolerated():
    assert send(client_for(manager()), "get", "/dataset/list/").json() == {"response": []}


# --- get / list ---------------------------------------------------------------------------------------


def test_dataset_get_one_row_per_area_in_upload_order():
    boss = manager()
    dataset = uploaded_dataset(areas={"law": 3, "medicine": 4}, by=boss)
    first, second = expert("medicine", username="ann"), expert("medicine", username="bob")
    assigned(dataset, area="medicine", experts=[second, first], by=boss)
    rows = send(client_for(boss), "get", "/dataset/get", {"dataset_id": dataset.pk}).json()["response"]
    assert rows == [
        {"area": "law", "data_size": 3, "dataset_size": 7, "is_assigned": False, "expert_name": "-"},
        {"area": "medicine", "data_size": 4, "dataset_size": 7, "is_assigned": True, "expert_name": "bob,ann"},
    ]


@pytest.mark.parametrize("value", [None, "", "abc", "-1", "0", "1.5"])
def test_dataset_get_bad_id(value):
    data = {} if value is None else {"dataset_id": value}
    response = send(client_for(manager()), "get", "/dataset/get", data)
    assert response.status_code == 400
    assert response.json()["field"] == "dataset_id"


@pytest.mark.parametrize("path", ["/dataset/get", "/dataset/download"])
def test_unknown_dataset(path):
    response = send(client_for(manager()), "get", path, {"dataset_id": 999})
    assert (response.status_code, response.json()) == (404, {"response": "数据集不存在"})


def test_dataset_list_statuses_and_dates(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    boss = manager()
    unassigned = uploaded_dataset(name="a", by=boss)
    partly = uploaded_dataset(name="b", areas={"medicine": 2, "law": 1}, by=boss)
    done = uploaded_dataset(name="c", areas={"medicine": 1}, by=boss)
    closed = uploaded_dataset(name="d", by=boss)
    Dataset.objects.filter(pk=unassigned.pk).update(uploaded_at=timezone.now() - timedelta(days=3))
    doc = expert()
    assigned(partly, experts=[doc], by=boss)
    assigned(done, experts=[doc], by=boss)
    item = done.items.get()
    services.label_item(item_id=item.pk, by=doc, question="q", answers=[], data_reserve=1)
    dataset_services.end_dataset(dataset=closed, by=boss)
    rows = send(client_for(boss), "get", "/dataset/list").json()["response"]
    by_name = {r["dataset_name"]: r for r in rows}
    assert [r["dataset_name"] for r in rows][-1] == "a"  # newest upload first
    assert {name: r["status"] for name, r in by_name.items()} == {
        "a": "未分配", "b": "已分配", "c": "已完成", "d": "已结束",
    }  # fmt: skip
    assert by_name["a"]["dataset_assign_time"] == "-/-/-"
    today = timezone.localtime().strftime("%Y/%m/%d")
    assert by_name["b"]["dataset_assign_time"] == today
    assert by_name["b"]["dataset_upload_time"] == today
    assert set(by_name["b"]) == {
        "dataset_id", "dataset_name", "dataset_task_type", "dataset_source", "dataset_upload_time",
        "dataset_assign_time", "status",
    }  # fmt: skip
    dataset_services.reopen_dataset(dataset=closed, by=boss)
    rows = send(client_for(boss), "get", "/dataset/list").json()["response"]
    assert {r["dataset_name"]: r["status"] for r in rows}["d"] == "未分配"


# --- download -----------------------------------------------------------------------------------------


def test_download_streams_current_values():
    boss = manager()
    rows = [row(0), row(1, extra_field="kept"), row(2)]
    dataset = dataset_services.upload_dataset(name="问答 set", task_type="qa", source="s", rows=rows, uploaded_by=boss)
    doc = expert(username="doc")
    assigned(dataset, experts=[doc], by=boss)
    first = dataset.items.get(position=0)
    answers = [{"answer": "新答案", "ranking_number": 1, "reserve": 1}]
    services.label_item(item_id=first.pk, by=doc, question="新问题", answers=answers, data_reserve=0)
    response = client_for(boss).get("/dataset/download", {"dataset_id": dataset.pk})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "filename*=UTF-8''%E9%97%AE%E7%AD%94%20set.json" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert "新问题".encode() in raw  # non-ASCII kept as is
    body = json.loads(raw)["response"]
    assert body[0] == {
        "data_background": "background 0",
        "data_question": "新问题",
        "data_answer": answers,
        "data_area": "medicine",
        "data_keyword": "kw0",
        "other": "",
        "expert_name": "doc",
        "data_reserve": 0,
    }
    assert body[1]["expert_name"] == "-" and body[1]["data_reserve"] is None
    assert body[1]["data_question"] == "question 1?" and body[1]["extra_field"] == "kept"
    assert list(body[1])[:8] == [
        "data_background", "data_question", "data_answer", "data_area", "data_keyword", "other", "expert_name",
        "data_reserve",
    ]  # fmt: skip


def test_download_ascii_name_and_closed_dataset():
    boss = manager()
    dataset = uploaded_dataset(name="plain", by=boss)
    dataset_services.end_dataset(dataset=dataset, by=boss)
    response = client_for(boss).get("/dataset/download", {"dataset_id": dataset.pk})
    assert response["Content-Disposition"] == 'attachment; filename="plain.json"'
    assert len(json.loads(b"".join(response.streaming_content))["response"]) == 4


def test_download_empty_after_nothing_never_happens_but_due_time_is_irrelevant():
    dataset = uploaded_dataset(areas={"x": 1})
    assigned(dataset, area="x", due_time=later(0.001))
    response = client_for(manager()).get("/dataset/download", {"dataset_id": dataset.pk})
    assert json.loads(b"".join(response.streaming_content))["response"][0]["data_area"] == "x"


def test_expert_cannot_download():
    dataset = uploaded_dataset()
    response = send(client_for(expert()), "get", "/dataset/download", {"dataset_id": dataset.pk})
    assert response.json() == {"response": "非管理员用户"}
