"""Seed 004 sample listing (qa-tasks.md §5): authentication, scope, parameters, states, shapes."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tokens import issue_user_token
from datasets.models import DataItem
from tasks import services
from tests.accounts.factories import UserFactory
from tests.datasets.factories import uploaded_dataset
from tests.datasets.helpers import client_for, expert, manager
from tests.tasks.factories import assigned

pytestmark = pytest.mark.django_db


def url(dataset_id, task_id, project="proj-1"):
    return f"/v2/{project}/datasets/{dataset_id}/workforce-tasks/{task_id}/data-annotations/samples"


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_user_token(user)}")
    return client


@pytest.fixture
def world():
    boss = manager()
    doc = expert(username="doc", email="doc@example.org")
    dataset = uploaded_dataset(name="med", areas={"medicine": 12}, by=boss, source="hospital")
    [task] = assigned(dataset, experts=[doc], by=boss)
    return boss, doc, dataset, task


def answers(k):
    return [{"answer": f"答{k}", "ranking_number": 1, "reserve": 1}, {"answer": "b", "ranking_number": 2, "reserve": 0}]


def label(item, user, reserve=1, k=0):
    return services.label_item(item_id=item.pk, by=user, question=f"问{k}", answers=answers(k), data_reserve=reserve)


def get(client, world, **params):
    _, _, dataset, task = world
    return client.get(url(dataset.pk, task.pk), params)


# --- authentication and scope -------------------------------------------------------------------------


def test_anonymous_and_bad_tokens_are_401(world):
    response = get(APIClient(), world)
    assert response.status_code == 401 and response.json()["error_code"] == "DATA.0401"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert get(client, world).status_code == 401
    client = APIClient()
    client.credentials(HTTP_X_AUTH_TOKEN="nope")
    assert get(client, world).json()["error_code"] == "DATA.0401"


def test_token_header_wins_over_session(world):
    boss, _, _, _ = world
    client = client_for(boss)
    assert get(client, world).status_code == 200  # session
    assert get(client, world, **{}).json()["sample_count"] == 12
    response = client.get(url(world[2].pk, world[3].pk), HTTP_AUTHORIZATION="Bearer broken")
    assert response.status_code == 401


@pytest.mark.parametrize("how", ["bearer", "x-auth-token", "session"])
def test_manager_sees_any_task(world, how):
    boss = manager()  # another manager than the assigner
    if how == "bearer":
        client = bearer(boss)
    elif how == "x-auth-token":
        client = APIClient()
        client.credentials(HTTP_X_AUTH_TOKEN=issue_user_token(boss))
    else:
        client = client_for(boss)
    body = get(client, world).json()
    assert body["sample_count"] == 12 and len(body["samples"]) == 10


def test_expert_sees_own_task_only(world):
    _, doc, dataset, task = world
    assert get(bearer(doc), world).status_code == 200
    response = get(bearer(expert(username="other")), world)
    assert (response.status_code, response.json()["error_code"]) == (404, "DATA.0404")


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.RESEARCHER])
def test_other_roles_are_403(world, role):
    response = get(bearer(UserFactory(role=role)), world)
    assert (response.status_code, response.json()["error_code"]) == (403, "DATA.0403")


def test_unknown_task_or_wrong_dataset_is_404(world):
    boss, _, dataset, task = world
    other = uploaded_dataset(areas={"x": 1}, by=boss)
    client = bearer(boss)
    for path in (url(dataset.pk, 9999), url(other.pk, task.pk), url("abc", task.pk), url(dataset.pk, "t-1")):
        response = client.get(path)
        assert (response.status_code, response.json()["error_code"]) == (404, "DATA.0404"), path


# --- paging and parameters ------------------------------------------------------------------------------


def test_offset_is_a_page_index(world):
    boss, _, _, task = world
    positions = list(task.items.order_by("position").values_list("pk", flat=True))
    client = bearer(boss)
    page = get(client, world, limit=5, offset=1).json()
    assert page["sample_count"] == 12
    assert [s["sample_id"] for s in page["samples"]] == [str(pk) for pk in positions[5:10]]
    assert len(get(client, world, limit=5, offset=2).json()["samples"]) == 2
    assert get(client, world, limit=5, offset=3).json() == {"sample_count": 12, "samples": []}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"sample_state": "__BOGUS__"},
        {"label_type": 5},
        {"label_type": "x"},
        {"search_conditions": "not json"},
        {"search_conditions": json.dumps([{"color": "red"}])},
        {"search_conditions": json.dumps([{"sample_time": "yesterday"}])},
        {"search_conditions": json.dumps(["str"])},
        {"search_conditions": json.dumps([{"labeler": "abc"}])},
    ],
)
def test_bad_parameters_are_400(world, params):
    response = get(bearer(world[0]), world, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "DATA.0400"
    assert list(params)[0] in body["error_msg"]


def test_ignored_parameters(world):
    body = get(bearer(world[0]), world, locale="zh-cn", process_parameter="image/resize,m_lfit,h_200").json()
    assert body["sample_count"] == 12


# --- states ---------------------------------------------------------------------------------------------


def test_states_filters_and_statuses(world):
    boss, doc, _, task = world
    items = list(task.items.order_by("position"))
    for k, item in enumerate(items[:8]):
        label(item, doc, reserve=k % 2, k=k)
    services.review_item(item=items[0], accept=True, score="A", comment="fine", by=boss)
    services.review_item(item=items[1], accept=False, comment="redo", by=boss)  # back to expert
    services.check_item(item=items[2], accept=True, by=boss)
    services.check_item(item=items[3], accept=False, comment="bad", score="D", by=boss)
    DataItem.objects.filter(pk__in=[items[4].pk, items[5].pk, items[6].pk]).update(sampled=True)
    services.check_item(item=items[4], accept=True, score="B", by=boss)
    services.check_item(item=items[5], accept=False, by=boss)
    client = bearer(boss)

    def ids(state):
        body = get(client, world, sample_state=state, limit=100).json()
        assert body["sample_count"] == len(body["samples"])
        return {items.index(next(i for i in items if str(i.pk) == s["sample_id"])) for s in body["samples"]}

    assert ids("__ALL__") == {0, 2, 4, 6, 7}
    assert ids("__NONE__") == {1, 3, 5, 8, 9, 10, 11}
    assert ids("UN_ANNOTATION") == ids("__NONE__")
    assert ids("__UNREVIEWED__") == {2, 4, 6, 7}
    assert ids("__REVIEWED__") == {0, 1}
    assert ids("__UNCHECK__") == {0, 6, 7}
    assert ids("__ACCEPTED__") == {2, 4}
    assert ids("__REJECTED__") == {1, 3, 5}
    assert ids("__WORKFORCE_SAMPLED__") == {4, 5, 6}
    assert ids("__WORKFORCE_SAMPLED_UNCHECK__") == {6}
    assert ids("__WORKFORCE_SAMPLED_CHECKED__") == {4, 5}
    assert ids("__WORKFORCE_SAMPLED_ACCEPTED__") == {4}
    assert ids("__WORKFORCE_SAMPLED_REJECTED__") == {5}
    assert ids("__AUTO_ANNOTATION__") == set()

    statuses = {
        items.index(next(i for i in items if str(i.pk) == s["sample_id"])): s["sample_status"]
        for s in get(client, world, limit=100).json()["samples"]
    }
    assert statuses == {
        0: "__REVIEWED__",
        1: "__REJECTED__",
        2: "__ACCEPTED__",
        3: "__REJECTED__",
        4: "__WORKFORCE_SAMPLED_ACCEPTED__",
        5: "__WORKFORCE_SAMPLED_REJECTED__",
        6: "__WORKFORCE_SAMPLED_UNCHECK__",
        7: "__UNREVIEWED__",
        8: "__NONE__",
        9: "__NONE__",
        10: "__NONE__",
        11: "__NONE__",
    }


def test_sample_shape(world):
    boss, doc, dataset, task = world
    first, second = task.items.order_by("position")[:2]
    label(first, doc, reserve=1, k=7)
    services.review_item(item=first, accept=True, comment="ok", score="B", by=boss)
    services.check_item(item=first, accept=True, comment="good", score="A", by=boss)
    first.refresh_from_db()
    doc.refresh_from_db()
    samples = get(bearer(boss), world, limit=2).json()["samples"]
    labeled, fresh = samples
    assert labeled == {
        "sample_id": str(first.pk),
        "sample_type": 1,
        "sample_name": f"med#{first.position}",
        "sample_data": ["问7"],
        "source": "hospital",
        "sample_size": len(b"background 0") + len("问7".encode()) + len("答7".encode()) + 1,
        "sample_time": int(first.updated_at.timestamp() * 1000),
        "sample_status": "__ACCEPTED__",
        "labels": [
            {"id": "reserve", "name": "keep", "type": 100, "annotated_by": "human", "property": {}},
            {
                "id": "answer-0",
                "name": "answer",
                "type": 100,
                "annotated_by": "human",
                "property": {"@modelarts:content": "答7", "ranking_number": 1, "reserve": 1},
            },
            {
                "id": "answer-1",
                "name": "answer",
                "type": 100,
                "annotated_by": "human",
                "property": {"@modelarts:content": "b", "ranking_number": 2, "reserve": 0},
            },
        ],
        "labelers": [
            {
                "worker_id": str(doc.pk),
                "email": "doc@example.org",
                "role": 0,
                "status": 1,
                "create_time": int(doc.date_joined.timestamp() * 1000),
            }
        ],
        "worker_id": str(doc.pk),
        "review_accept": True,
        "review_comment": "ok",
        "review_score": "B",
        "check_accept": True,
        "check_comment": "good",
        "check_score": "A",
        "score": "A",
        "metadata": {"@modelarts:import_origin": 0},
    }
    assert fresh["labels"] == [] and fresh["sample_status"] == "__NONE__"
    assert "review_accept" not in fresh and "score" not in fresh and "check_comment" not in fresh
    assert fresh["sample_data"] == [second.question]


def test_labeler_status_after_login(world, client):
    _, doc, _, _ = world
    client.force_login(doc)
    doc.refresh_from_db()
    assert doc.last_login is not None
    samples = get(bearer(world[0]), world).json()["samples"]
    assert samples[0]["labelers"][0]["status"] == 2


def test_label_filters_and_search_conditions(world):
    boss, doc, dataset, task = world
    items = list(task.items.order_by("position"))
    label(items[0], doc, reserve=1)
    label(items[1], doc, reserve=0)
    services.label_item(item_id=items[2].pk, by=doc, question="q", answers=[], data_reserve=1)
    DataItem.objects.filter(pk=items[3].pk).update(keyword="cardiology heart")
    client = bearer(boss)

    def count(**params):
        return get(client, world, **params).json()["sample_count"]

    assert count(label_name="keep") == 2
    assert count(label_name="drop") == 1
    assert count(label_name="answer") == 2
    assert count(label_name="other") == 0
    assert count(label_type=100) == 3
    assert count(label_type=0) == 0
    assert count(search_conditions=json.dumps([{"labeler": str(doc.pk)}])) == 3
    assert count(search_conditions=json.dumps([{"labeler": str(boss.pk)}])) == 0
    assert count(search_conditions=json.dumps([{"keyword": "heart"}])) == 1
    assert count(search_conditions=json.dumps([{"sample_name": "med#1"}])) == 3  # 1, 10, 11
    assert count(search_conditions=json.dumps([{"sample_name": "med#1"}, {"labeler": str(doc.pk)}])) == 1
    items[0].refresh_from_db()
    ms = int(items[0].updated_at.timestamp() * 1000)
    assert count(search_conditions=quote(json.dumps([{"sample_time": f"{ms}-{ms}"}]), safe="")) >= 1
    assert count(search_conditions=json.dumps([{"sample_time": "0-1000"}])) == 0


def test_sample_detail_with_history(world):
    boss, doc, dataset, task = world
    item = task.items.order_by("position").first()
    label(item, doc, reserve=1, k=1)
    services.review_item(item=item, accept=False, comment="redo", score="C", by=boss)
    label(item, doc, reserve=0, k=2)
    path = url(dataset.pk, task.pk) + f"/{item.pk}"
    body = bearer(doc).get(path).json()
    assert body["sample_id"] == str(item.pk) and body["sample_status"] == "__UNREVIEWED__"
    first, decision, second = body["history"]
    assert (first["kind"], first["by"], first["before"]["question"], first["after"]["question"]) == (
        "label", "doc", "question 0?", "问1",
    )  # fmt: skip
    assert first["before"]["reserve"] is None and first["after"]["reserve"] == 1
    assert (decision["kind"], decision["accept"], decision["comment"], decision["score"]) == (
        "review",
        False,
        "redo",
        "C",
    )
    assert (second["before"]["question"], second["after"]["question"], second["after"]["reserve"]) == ("问1", "问2", 0)
    assert bearer(expert(username="x")).get(path).status_code == 404
    other = uploaded_dataset(areas={"y": 1}, by=boss).items.get()
    for bad in (url(dataset.pk, task.pk) + f"/{other.pk}", url(dataset.pk, task.pk) + "/abc"):
        response = bearer(boss).get(bad)
        assert (response.status_code, response.json()["error_code"]) == (404, "DATA.0404")
