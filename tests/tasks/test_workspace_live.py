"""The workspace's live notice: with the token the page fetches, `/ws/notifications/` delivers the
manager's urge (`task_urged`) to the expert, who then reloads the task list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from datasets.services import upload_dataset
from labelplatform.asgi import application
from tasks import services
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _setup():
    manager = UserFactory(role=Role.MANAGER)
    expert = UserFactory(role=Role.EXPERT)
    dataset = upload_dataset(
        name="clinic",
        task_type="qa",
        source="s",
        rows=[{"data_question": "q?", "data_answer": [{"answer": "a"}], "data_area": "medicine"}],
        uploaded_by=manager,
    )
    (task,) = services.assign_area(
        dataset=dataset, area="medicine", experts=[expert], due_time=timezone.now() + timedelta(days=1), by=manager
    )
    client = Client()
    client.force_login(expert)
    token = client.post("/workspace/token/").json()["token"]
    return manager, task, token


async def test_an_urge_reaches_the_experts_workspace_socket(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    manager, task, token = await database_sync_to_async(_setup)()
    socket = WebsocketCommunicator(application, f"/ws/notifications/?token={token}")
    connected, _ = await socket.connect(timeout=3)
    assert connected
    assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
    await database_sync_to_async(services.urge_task)(task=task, by=manager)
    message = await socket.receive_json_from(timeout=3)
    assert message["type"] == "task_urged"
    assert message["data"]["task_id"] == task.pk
    assert message["data"]["dataset_name"] == "clinic"
    assert message["data"]["urge_count"] == 1
    await socket.disconnect()
