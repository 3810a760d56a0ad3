"""Live progress for the managers' cockpit: `task_progress` pushes from tasks.services (after commit, absolute
counts, to every manager and to nobody else), the admin markup static/tasks/cockpit_live.js updates, and
the message reaching a manager's /ws/notifications/ socket with the token the admin pages fetch."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from accounts.models import ClientType, Role, User
from datasets.models import DataItem
from labelplatform.asgi import application
from labelplatform.errors import DoesNotExist
from tasks import services
from tests.accounts.factories import UserFactory
from tests.datasets.factories import uploaded_dataset
from tests.datasets.helpers import expert, manager
from tests.tasks.factories import assigned, later
from tests.tasks.test_services import Inbox

pytestmark = pytest.mark.django_db


def label(item: DataItem, user: User) -> DataItem:
    return services.label_item(item_id=item.pk, by=user, question="q?", answers=[], data_reserve=1)


def progress_messages(inbox: Inbox) -> list[dict]:
    return [message for message in inbox.messages() if message["type"] == "task_progress"]


@pytest.fixture
def world():
    """Dataset "集": medicine (4 items) assigned to two experts (2 each), law (2 items) unassigned."""
    boss = manager()
    first, second = expert(), expert()
    dataset = uploaded_dataset(name="集", areas={"medicine": 4, "law": 2}, by=boss)
    task_a, task_b = assigned(dataset, area="medicine", experts=[first, second], by=boss)
    return {"boss": boss, "first": first, "second": second, "dataset": dataset, "a": task_a, "b": task_b}


def items_of(task) -> list[DataItem]:
    return list(DataItem.objects.filter(task=task).order_by("position"))


def test_labeling_pushes_progress_after_commit_with_the_counts(world, django_capture_on_commit_callbacks):
    boss, first, second, task_a, task_b = world["boss"], world["first"], world["second"], world["a"], world["b"]
    label(items_of(task_b)[0], second)
    inbox = Inbox(boss.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        label(items_of(task_a)[0], first)
    assert progress_messages(inbox) == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert progress_messages(inbox) == [
        {
            "type": "task_progress",
            "data": {
                "task_id": task_a.pk,
                "dataset_id": world["dataset"].pk,
                "area": "medicine",
                "finished_count": 1,
                "total_count": 2,
                "status": "标注中",
                "area_labeled_count": 2,
                "area_total_count": 4,
                "dataset_labeled_count": 2,
                "dataset_total_count": 6,
                "dataset_status": "已分配",
            },
        }
    ]


def test_the_push_costs_two_queries_after_commit(world, django_capture_on_commit_callbacks, django_assert_num_queries):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        label(items_of(world["a"])[0], world["first"])
    with django_assert_num_queries(2):  # the counts (one UNION statement) and the managers' ids
        for callback in callbacks:
            callback()


def test_finishing_the_last_item_says_finished_for_the_task_and_the_dataset(django_capture_on_commit_callbacks):
    boss, doc = manager(), expert()
    dataset = uploaded_dataset(areas={"medicine": 2}, by=boss)
    [task] = assigned(dataset, experts=[doc], by=boss)
    first, last = items_of(task)
    label(first, doc)
    inbox = Inbox(boss.pk)
    with django_capture_on_commit_callbacks(execute=True):
        label(last, doc)
    [message] = progress_messages(inbox)
    assert message["data"]["finished_count"] == message["data"]["total_count"] == 2
    assert message["data"]["status"] == "已完成"
    assert message["data"]["dataset_status"] == "已完成"


def test_only_the_cockpits_users_get_it(world, django_capture_on_commit_callbacks):
    """A manager sees every dataset and task (datasets.selectors: one project per platform), so every
    manager who may act gets the message, whoever uploaded or assigned; nobody else does."""
    other_manager = manager()
    root = User.objects.create_superuser("root", "root@example.org", "Root-pass-2026!")
    gone = manager()
    User.objects.filter(pk=gone.pk).update(is_active=False)
    banned = manager()
    User.objects.filter(pk=banned.pk).update(client_type=ClientType.BLACKLISTED)
    outsiders = [
        world["first"],  # the expert who labels
        world["second"],  # the other expert of the dataset
        UserFactory(role=Role.CITIZEN),
        UserFactory(role=Role.RESEARCHER),
        gone,
        banned,
    ]
    insiders = [world["boss"], other_manager, root]
    inboxes = {user.username: Inbox(user.pk) for user in insiders + outsiders}
    with django_capture_on_commit_callbacks(execute=True):
        label(items_of(world["a"])[0], world["first"])
    received = {name: len(progress_messages(inbox)) for name, inbox in inboxes.items()}
    assert received == {user.username: 1 if user in insiders else 0 for user in insiders + outsiders}


def test_saving_a_labeled_item_again_pushes_nothing(world, django_capture_on_commit_callbacks):
    item = items_of(world["a"])[0]
    label(item, world["first"])
    inbox = Inbox(world["boss"].pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        label(item, world["first"])  # an edit: no count changes
    assert callbacks == []
    assert progress_messages(inbox) == []


def test_a_refused_save_pushes_nothing(world, django_capture_on_commit_callbacks):
    inbox = Inbox(world["boss"].pk)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DoesNotExist):
        label(items_of(world["b"])[0], world["first"])  # not the caller's item
    assert progress_messages(inbox) == []


def test_a_rejection_pushes_the_lower_count_and_an_acceptance_nothing(world, django_capture_on_commit_callbacks):
    boss, first = world["boss"], world["first"]
    one, two = items_of(world["a"])
    label(one, first)
    label(two, first)
    inbox = Inbox(boss.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_item(item=one, accept=True, by=boss)
    assert progress_messages(inbox) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.review_item(item=two, accept=False, comment="redo", by=boss)
    [message] = progress_messages(inbox)
    assert (message["data"]["finished_count"], message["data"]["total_count"]) == (1, 2)
    assert message["data"]["status"] == "标注中"
    assert message["data"]["dataset_labeled_count"] == 1


def test_a_batch_of_decisions_pushes_once_per_task(world, django_capture_on_commit_callbacks):
    boss, first = world["boss"], world["first"]
    one, two = items_of(world["a"])
    label(one, first)
    label(two, first)
    inbox = Inbox(boss.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_samples(
            task=world["a"],
            decisions=[(one.pk, False, "no", None), (two.pk, False, "no", None)],
            kind="review",
            by=boss,
        )
    [message] = progress_messages(inbox)
    assert message["data"]["finished_count"] == 0


def test_a_hand_over_pushes_the_old_tasks_smaller_total(world, django_capture_on_commit_callbacks):
    boss, first = world["boss"], world["first"]
    label(items_of(world["a"])[0], first)
    inbox = Inbox(boss.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.hand_over_task(task=world["a"], experts=[world["second"]], due_time=later(), by=boss)
    [message] = progress_messages(inbox)
    assert message["data"]["task_id"] == world["a"].pk
    assert (message["data"]["finished_count"], message["data"]["total_count"]) == (1, 1)
    assert message["data"]["status"] == "已完成"
    assert (message["data"]["dataset_labeled_count"], message["data"]["dataset_total_count"]) == (1, 6)


def test_a_broken_channel_layer_never_fails_a_save(world, django_capture_on_commit_callbacks, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(services, "notify_user", broken)
    item = items_of(world["a"])[0]
    with django_capture_on_commit_callbacks(execute=True):
        label(item, world["first"])
    item.refresh_from_db()
    assert item.is_labeled


# ---------------------------------------------------------------- the admin markup the script updates


def test_the_cockpit_pages_load_the_script_and_mark_what_it_updates(world):
    client = Client()
    client.force_login(world["boss"])
    task_a, dataset = world["a"], world["dataset"]
    label(items_of(task_a)[0], world["first"])

    tasks = client.get("/admin/tasks/task/").content.decode()
    assert "tasks/cockpit_live.js" in tasks
    assert 'data-token-url="/workspace/token/"' in tasks
    assert re.search(rf'data-live="status" data-task-id="{task_a.pk}">标注中<', tasks)
    assert re.search(
        rf'data-live="progress" data-task-id="{task_a.pk}"><progress max="2" value="1"[^>]*></progress> '
        r"<span data-count>1 / 2</span>",
        tasks,
    )

    datasets = client.get("/admin/datasets/dataset/").content.decode()
    assert "tasks/cockpit_live.js" in datasets
    assert f'<span data-live="labeled" data-dataset-id="{dataset.pk}">1</span>' in datasets
    assert f'<span data-live="status" data-dataset-id="{dataset.pk}">已分配</span>' in datasets
    assert re.search(rf'data-live="progress" data-dataset-id="{dataset.pk}"><progress max="6" value="1"', datasets)

    page = client.get(f"/admin/datasets/dataset/{dataset.pk}/change/").content.decode()
    assert "tasks/cockpit_live.js" in page
    assert f'data-live="labeled" data-dataset-id="{dataset.pk}" data-area="medicine">1</td>' in page
    assert f'data-live="progress" data-dataset-id="{dataset.pk}" data-area="law">' in page
    assert f'<span data-live="status" data-dataset-id="{dataset.pk}">已分配</span>' in page


def test_the_live_notes_are_in_the_managers_language(world):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(world["boss"])
    page = client.get("/admin/tasks/task/").content.decode()
    assert 'data-text-live="进度实时更新。"' in page
    assert "实时更新已中断" in page


# ---------------------------------------------------------------- through the socket, as the admin pages do


def _manager_with_token_and_task():
    boss = manager()
    doc = expert()
    dataset = uploaded_dataset(areas={"medicine": 2}, by=boss)
    (task,) = services.assign_area(
        dataset=dataset, area="medicine", experts=[doc], due_time=timezone.now() + timedelta(days=1), by=boss
    )
    client = Client()
    client.force_login(boss)
    token = client.post("/workspace/token/").json()["token"]
    return doc, task, token, items_of(task)[0]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_label_reaches_the_managers_socket():
    doc, task, token, item = await database_sync_to_async(_manager_with_token_and_task)()
    socket = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    connected, _ = await socket.connect(timeout=3)
    assert connected
    assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
    await database_sync_to_async(label)(item, doc)
    message = await socket.receive_json_from(timeout=3)
    assert message["type"] == "task_progress"
    assert message["data"]["task_id"] == task.pk
    assert (message["data"]["finished_count"], message["data"]["total_count"]) == (1, 2)
    await socket.disconnect()
