"""The watchers' fan-out inside one server process (alerts.md §6.1).

Every alert open and close is one `group_send` to `events.WATCHERS_GROUP`. Instead of one channel-layer
channel and one group membership per watcher socket (with a thousand watchers: a thousand group
additions at connect and a thousand queue deliveries per event), each server process (each event loop)
has one hub: ONE channel in the group, whose messages it hands to its local sockets itself. Redis then
carries one message per process per event, and the cost per watcher is one websocket write.

The hub also joins the user groups of its local watchers, so an account change (`accounts.notifications`)
re-checks them: a demoted, blacklisted or deactivated watcher is closed at once.

A watcher too slow to take a message within `SLOW_WATCHER_SECONDS` (its socket buffer full) is dropped
and closed, never allowed to hold up the others; like any watcher that loses its connection, it
reconnects and re-reads the list (the database is the source of truth).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from accounts.notifications import user_group
from alerts import events
from alerts.errors import AlertMessage

SLOW_WATCHER_SECONDS = 2.0
GROUP_REFRESH_SECONDS = 3600.0  # memberships are renewed well before the layer's group expiry (1 day)
logger = logging.getLogger(__name__)


class LocalWatcher(Protocol):
    user_id: int | None

    async def push(self, text: str) -> None: ...

    async def drop(self, code: int) -> None: ...

    async def refuse(self, status: int, message: str) -> None: ...


class WatcherHub:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.watchers: set[LocalWatcher] = set()
        self.users: dict[int, int] = {}  # user id -> number of local sockets
        self._ready = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []

    async def join(self, watcher: LocalWatcher) -> None:
        await self._start()
        self.watchers.add(watcher)
        if watcher.user_id is not None:
            count = self.users.get(watcher.user_id, 0)
            self.users[watcher.user_id] = count + 1
            if count == 0:
                await self.layer.group_add(user_group(watcher.user_id), self.channel)

    async def leave(self, watcher: LocalWatcher, *, user_id: int | None = None) -> None:
        self.watchers.discard(watcher)
        user_id = watcher.user_id if user_id is None else user_id
        if user_id is None or user_id not in self.users:
            return
        self.users[user_id] -= 1
        if self.users[user_id] <= 0:
            del self.users[user_id]
            try:
                await self.layer.group_discard(user_group(user_id), self.channel)
            except Exception:  # the membership expires on its own
                logger.warning("could not leave user group %s", user_id, exc_info=True)

    async def _start(self) -> None:
        async with self._ready:
            if self.channel is not None:
                return
            # The default prefix matters: channels-redis reads every process-local channel through one
            # shared pop on "specific.<process>!"; a channel of another prefix would hold that pop on its
            # own key and starve the process's other consumers (/ws/notifications/).
            self.channel = await self.layer.new_channel()
            await self.layer.group_add(events.WATCHERS_GROUP, self.channel)
            self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._refresh())]

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            try:
                await self.layer.group_add(events.WATCHERS_GROUP, self.channel)
                for user_id in list(self.users):
                    await self.layer.group_add(user_group(user_id), self.channel)
            except Exception:
                logger.warning("could not renew the watchers hub's groups", exc_info=True)

    async def _receive(self) -> None:
        last_failure = 0.0
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # e.g. the Redis client's read timeout ending an idle blocking pop: nothing is lost (the
                # layer keeps the message in its backup queue), so retry at once; back off if it repeats.
                now = asyncio.get_running_loop().time()
                if now - last_failure < 1.0:
                    logger.warning("watchers hub could not receive; retrying", exc_info=True)
                    await asyncio.sleep(0.5)
                last_failure = now
                continue
            kind = message.get("type")
            if kind == "alert.event":
                await self.fan_out(message["text"])
            elif kind == "account.changed":
                await self._recheck_all()

    async def fan_out(self, text: str) -> None:
        """One write per local watcher, in turn; a watcher that cannot take it in time is dropped."""
        for watcher in list(self.watchers):
            try:
                async with asyncio.timeout(SLOW_WATCHER_SECONDS):
                    await watcher.push(text)
            except TimeoutError:
                await self.leave(watcher)
                asyncio.create_task(watcher.drop(4408))
            except Exception:  # a socket that went away between the loop and the write
                await self.leave(watcher)

    async def _recheck_all(self) -> None:
        """An account changed (the message does not say whose): re-check the local watchers' accounts,
        one query for all of them, and close the sockets of those who may no longer watch."""
        allowed = await database_sync_to_async(_users_who_may_watch)(list(self.users))
        for watcher in list(self.watchers):
            if watcher.user_id not in allowed:
                await self.leave(watcher)
                asyncio.create_task(watcher.refuse(403, AlertMessage.NO_PERMISSION))


def _users_who_may_watch(user_ids: list[int]) -> set[int]:
    from accounts.models import User
    from alerts.selectors import can_watch_alerts

    return {user.pk for user in User.objects.filter(pk__in=user_ids) if can_watch_alerts(user)}


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WatcherHub] = weakref.WeakKeyDictionary()


def local_hub() -> WatcherHub | None:
    """This event loop's hub (one per server process), or None without a channel layer."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        layer = get_channel_layer()
        if layer is None:
            return None
        hub = _hubs[loop] = WatcherHub(layer)
    return hub
