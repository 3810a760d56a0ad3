"""Pushes to watchers (alerts.md §6.1): after commit only, once per process through the hub, and a slow
watcher never holds up the others."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from alerts import events, hub, services
from tests.alerts.factories import BASE_TIME


@pytest.mark.django_db
def test_nothing_is_pushed_when_the_transaction_rolls_back(device, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(events, "send_to_watchers", sent.append)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.open_alert(device=device, truck_id=None, behavior="Safe", alert_init=BASE_TIME)
        raise RuntimeError("the caller's transaction fails")
    assert callbacks == [] and sent == []
    with django_capture_on_commit_callbacks(execute=True):
        services.open_alert(device=device, truck_id=None, behavior="Safe", alert_init=BASE_TIME)
    assert [message["data"]["event"] for message in sent] == ["opened"]


class FakeWatcher:
    def __init__(self, user_id=1, *, stuck=False):
        self.user_id = user_id
        self.stuck = stuck
        self.received: list[str] = []
        self.dropped: int | None = None

    async def push(self, text: str) -> None:
        if self.stuck:
            await asyncio.sleep(3600)
        self.received.append(text)

    async def drop(self, code: int) -> None:
        self.dropped = code

    async def refuse(self, status: int, message: str) -> None:
        self.dropped = status


@pytest.mark.asyncio
async def test_one_group_message_reaches_every_local_watcher_and_a_stuck_one_is_dropped(monkeypatch):
    monkeypatch.setattr(hub, "SLOW_WATCHER_SECONDS", 0.05)
    local = hub.local_hub()
    assert local is hub.local_hub()  # one per process (event loop)
    fine = [FakeWatcher(user_id=n) for n in range(3)]
    stuck = FakeWatcher(user_id=99, stuck=True)
    for watcher in [*fine, stuck]:
        await local.join(watcher)
    message = events.alert_event("opened", {"id": 1})
    await get_channel_layer().group_send(events.WATCHERS_GROUP, {"type": "alert.event", "text": json.dumps(message)})
    for _ in range(100):
        if all(watcher.received for watcher in fine) and stuck.dropped:
            break
        await asyncio.sleep(0.01)
    assert [json.loads(watcher.received[0]) for watcher in fine] == [message] * 3
    assert stuck.dropped == 4408 and stuck not in local.watchers and 99 not in local.users
    await local.leave(fine[0])
    assert fine[0] not in local.watchers and 0 not in local.users
    for task in local._tasks:
        task.cancel()
