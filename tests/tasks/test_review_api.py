"""Seed 004 review and acceptance endpoints (qa-tasks.md §6): review, sampling, acceptance, pass rates."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tokens import issue_user_token
from datasets import services as dataset_services
from datasets.models import DataItem
from tasks import services
from tasks.models import ItemRevision, RevisionKind, SampleRound
from tests.accounts.factories import UserFactory
from tests.datasets.factories import uploaded_dataset
from tests.datasets.helpers import client_for, expert, manager
from tests.tasks.factories import assigned

pytestmark = pytest.mark.django_db


def base(dataset, task):
    return f"/v2/p/datasets/{dataset.pk}/workforce-tasks/{task.pk}/"


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_user_token(user)}")
    return client


@pytest.fixture
def world():
    boss = manager()
    doc = expert()
    dataset = uploaded_dataset(areas={"medicine": 10}, by=boss)
    [task] = assigned(dataset, experts=[doc], by=boss)
    items = list(task.items.order_by("position"))
    for item in items[:8]:
        services.label_item(item_id=item.pk, by=doc, question="q", answers=[], data_reserve=1)
    return boss, doc, dataset, task, items


ENDPOINTS = [
    ("post", "data-annotations/review", {"comments": [{"sample_id": "1", "accept": True}]}),
    ("post", "acceptance", {"sampling_num": 2}),
    ("get", "acceptance/report", None),
    ("post", "acceptance/batch-comment", {"comments": [{"sample_id": "1", "accept": True}]}),
    ("put", "acceptance/status", {"action": "pass"}),
]


@pytest.mark.parametrize("method, suffix, body", ENDPOINTS)
@pytest.mark.parametrize("who, status", [("anonymous", 401), ("citizen", 403), ("owner", 403), ("stranger", 404)])
def test_only_managers_review(world, method, suffix, body, who, status):
    _, doc, dataset, task, _ = world
    client = {
        "anonymous": lambda: APIClient(),
        "citizen": lambda: bearer(UserFactory(role=Role.CITIZEN)),
        "owner": lambda: bearer(doc),
        "stranger": lambda: bearer(expert()),
    }[who]()
    response = getattr(client, method)(base(dataset, task) + suffix, body, format="json")
    assert response.status_code == status
    assert response.json()["error_code"] == f"DATA.0{status}"
    assert not SampleRound.objects.exists()
    assert not ItemRevision.objects.exclude(kind=RevisionKind.LABEL).exists()


def test_review_accept_and_reject(world):
    boss, _, dataset, task, items = world
    client = bearer(manager())  # any manager, not only the assigner
    body = {
        "comments": [
            {"sample_id": str(items[0].pk), "accept": True, "comment": "good", "score": "A", "worker_id": "x"},
            {"sample_id": str(items[1].pk), "accept": False, "comment": "redo", "score": "D"},
        ]
    }
    response = client.post(base(dataset, task) + "data-annotations/review", body, format="json")
    assert (response.status_code, response.json()) == (200, {"decided": 2})
    first, second = DataItem.objects.get(pk=items[0].pk), DataItem.objects.get(pk=items[1].pk)
    assert (first.review_accept, first.review_comment, first.review_score, first.is_labeled) == (
        True,
        "good",
        "A",
        True,
    )
    assert (second.review_accept, second.is_labeled, second.returned) == (False, False, True)
    revisions = ItemRevision.objects.filter(kind=RevisionKind.REVIEW).order_by("item_id")
    assert [(r.item_id, r.accept, r.score) for r in revisions] == [(items[0].pk, True, "A"), (items[1].pk, False, "D")]


@pytest.mark.parametrize(
    "comments, status, where",
    [
        ([], 400, "comments"),
        ([{"sample_id": "1"}], 400, "accept"),
        ([{"sample_id": "abc", "accept": True}], 400, "sample_id"),
        ([{"sample_id": "ITEM0", "accept": True, "score": "E"}], 400, "score"),
        ([{"sample_id": "ITEM0", "accept": True, "comment": "c" * 257}], 400, "comment"),
        ([{"sample_id": "ITEM0", "accept": True}, {"sample_id": "ITEM0", "accept": False}], 400, "twice"),
        ([{"sample_id": "ITEM0", "accept": True}, {"sample_id": "99999", "accept": True}], 404, "99999"),
        ([{"sample_id": "ITEM0", "accept": True}, {"sample_id": "ITEM9", "accept": True}], 409, "not labeled"),
    ],
)
def test_review_bad_input_changes_nothing(world, comments, status, where):
    boss, _, dataset, task, items = world
    for comment in comments:
        if str(comment.get("sample_id", "")).startswith("ITEM"):
            comment["sample_id"] = str(items[int(comment["sample_id"][4:])].pk)
    response = bearer(boss).post(base(dataset, task) + "data-annotations/review", {"comments": comments}, format="json")
    assert response.status_code == status, response.content
    assert where in response.json()["error_msg"]
    assert not DataItem.objects.filter(review_accept__isnull=False).exists()


def test_item_of_another_task_is_404(world):
    boss, _, dataset, task, _ = world
    other = uploaded_dataset(areas={"x": 1}, by=boss)
    [other_task] = assigned(other, area="x", by=boss)
    foreign = other_task.items.get()
    body = {"comments": [{"sample_id": str(foreign.pk), "accept": True}]}
    assert bearer(boss).post(base(dataset, task) + "data-annotations/review", body, format="json").status_code == 404


def test_closed_dataset_refuses_decisions(world):
    boss, _, dataset, task, items = world
    dataset_services.end_dataset(dataset=dataset, by=boss)
    body = {"comments": [{"sample_id": str(items[0].pk), "accept": True}]}
    response = bearer(boss).post(base(dataset, task) + "data-annotations/review", body, format="json")
    assert (response.status_code, response.json()["error_code"]) == (409, "DATA.0409")


def test_acceptance_sampling_flow(world):
    boss, doc, dataset, task, items = world
    client = bearer(boss)
    response = client.post(base(dataset, task) + "acceptance", {"sampling_rate": 0.25}, format="json")
    assert response.status_code == 200
    first_round = response.json()
    assert first_round["sampled_sample_count"] == 2  # ceil(0.25 * 8)
    assert first_round["unchecked_sample_count"] == 2 and "pass_rate" not in first_round
    sampled = list(DataItem.objects.filter(sampled=True).order_by("pk"))
    assert len(sampled) == 2 and all(item.is_labeled for item in sampled)
    body = {"comments": [{"sample_id": str(sampled[0].pk), "accept": True, "score": "A"}]}
    assert client.post(base(dataset, task) + "acceptance/batch-comment", body, format="json").json() == {"decided": 1}
    response = client.put(
        base(dataset, task) + "acceptance/status", {"action": "reject", "comment": "no"}, format="json"
    )
    assert response.json() == {"decided": 1}
    rejected = DataItem.objects.get(pk=sampled[1].pk)
    assert (rejected.check_accept, rejected.check_comment, rejected.is_labeled, rejected.returned) == (
        False, "no", False, True,
    )  # fmt: skip
    response = client.post(base(dataset, task) + "acceptance", {"sampling_num": 100}, format="json")
    assert response.json()["sampled_sample_count"] == 6  # labeled, not yet sampled
    report = client.get(base(dataset, task) + "acceptance/report").json()
    assert report["total_stats"] == {
        "total_sample_count": 10,
        "sampled_sample_count": 8,
        "checked_sample_count": 2,
        "accepted_sample_count": 1,
        "rejected_sample_count": 1,
        "unchecked_sample_count": 6,
        "pass_rate": 0.5,
    }
    assert [r["sampled_sample_count"] for r in report["rounds"]] == [6, 2]
    assert report["checking_stats"] == report["rounds"][0]
    assert report["rounds"][1]["pass_rate"] == 0.5 and report["rounds"][1]["sampling_rate"] == 0.25
    response = client.put(base(dataset, task) + "acceptance/status", {"action": "pass"}, format="json")
    assert response.json() == {"decided": 6}
    assert client.get(base(dataset, task) + "acceptance/report").json()["checking_stats"]["pass_rate"] == 1.0
    response = client.post(base(dataset, task) + "acceptance", {"sampling_num": 1}, format="json")
    assert (response.status_code, response.json()["error_code"]) == (409, "DATA.0409")


@pytest.mark.parametrize(
    "body",
    [{}, {"sampling_rate": 0}, {"sampling_rate": 1.5}, {"sampling_num": 0}, {"sampling_rate": 0.5, "sampling_num": 2}],
)
def test_acceptance_bad_input(world, body):
    boss, _, dataset, task, _ = world
    response = bearer(boss).post(base(dataset, task) + "acceptance", body, format="json")
    assert (response.status_code, response.json()["error_code"]) == (400, "DATA.0400")
    assert not SampleRound.objects.exists() and not DataItem.objects.filter(sampled=True).exists()


def test_acceptance_status_bad_action(world):
    boss, _, dataset, task, _ = world
    response = bearer(boss).put(base(dataset, task) + "acceptance/status", {"action": "maybe"}, format="json")
    assert response.status_code == 400 and "action" in response.json()["error_msg"]


def test_session_writes_need_csrf(world):
    boss, _, dataset, task, _ = world
    response = client_for(boss).post(
        base(dataset, task) + "acceptance", data={"sampling_num": 1}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not SampleRound.objects.exists()
