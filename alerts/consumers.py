"""Websockets of the alerts app (alerts.md §6): `/ws/alert/` for watchers, `/ws/device/` for devices.

Both accept the connection first so they can say why they refuse: a bad token gets an error message
and close code 4401 (4403 for a valid caller without permission); without a token the socket must
authenticate by message within `ALERTS_WS_AUTH_TIMEOUT` seconds. A socket is closed with 4401 when its
token expires. The device socket calls the same services and field checks as REST, one at a time in the
order messages arrive, and answers each request with the REST envelope.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections

from accounts.families import alert_answer, alert_error
from accounts.tokens import TokenRejected, decode_token
from alerts import services
from alerts.devices import device_for_token, watcher_for_token
from alerts.errors import AlertMessage
from alerts.hub import local_hub
from alerts.requests import Fields
from labelplatform.api import SeedAnswer
from labelplatform.errors import DomainError

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
DEVICE_RECHECK_SECONDS = 5.0  # a disabled or revoked device is refused within this delay
FAILED = "The request could not be completed; nothing was stored. Retry it."
FRAMES_IN_FLIGHT = 8  # frames of one device socket stored concurrently (each on its own DB connection)
logger = logging.getLogger(__name__)


def _close_code(status: int) -> int:
    return CLOSE_FORBIDDEN if status == 403 else CLOSE_UNAUTHENTICATED


def _token_expiry(raw: str) -> float | None:
    try:
        exp = decode_token(raw).get("exp")
    except TokenRejected:
        return None
    return float(exp) if isinstance(exp, int | float) else None


class _AuthenticatedSocket(AsyncWebsocketConsumer):
    """Accept, then authenticate from the URL/header token or, within the deadline, by message."""

    async def connect(self):
        self.authenticated = False
        self._timers: list[asyncio.Task] = []
        self._expiry: asyncio.Task | None = None
        await self.accept()
        raw = self.scope.get("token")
        if raw:
            await self.authenticate(raw)
        else:
            self._timers.append(asyncio.create_task(self._close_unless_authenticated()))

    async def disconnect(self, code):
        for task in [*self._timers, self._expiry]:
            if task is not None:
                task.cancel()

    async def _close_unless_authenticated(self):
        await asyncio.sleep(settings.ALERTS_WS_AUTH_TIMEOUT)
        if not self.authenticated:
            await self.refuse(401, "Authentication timeout")

    async def _close_at_expiry(self, expires_at: float):
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.refuse(401, AlertMessage.WRONG_TOKEN)

    def _watch_expiry(self, raw: str) -> None:
        """Close when the token in use expires (a newer token replaces the previous deadline)."""
        if self._expiry is not None:
            self._expiry.cancel()
        expires_at = _token_expiry(raw)
        self._expiry = asyncio.create_task(self._close_at_expiry(expires_at)) if expires_at is not None else None

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def refuse(self, status: int, message: str) -> None:
        raise NotImplementedError

    async def authenticate(self, raw: str, **kwargs) -> bool:
        raise NotImplementedError


class WatcherConsumer(_AuthenticatedSocket):
    """`/ws/alert/`: every alert open and close, pushed to authorized watchers (alerts.md §6.1).

    The socket itself has no channel-layer channel: the process's hub (`alerts.hub`) receives each event
    once and writes it to every local watcher.
    """

    channel_layer_alias = "alerts-watchers-use-the-hub"

    async def connect(self):
        self.user_id = None
        self.hub = local_hub()
        await super().connect()

    async def refuse(self, status: int, message: str) -> None:
        await self.send_json({"type": "error", "data": {"code": status, "error": str(message)}})
        await self.close(code=_close_code(status))

    async def authenticate(self, raw: str, *, username: str | None = None) -> bool:
        try:
            user = await database_sync_to_async(watcher_for_token)(raw)
        except DomainError as exc:
            await self.refuse(exc.status, exc.message)
            return False
        if username not in (None, "") and username != user.username:
            await self.refuse(401, AlertMessage.WRONG_TOKEN)
            return False
        if self.user_id != user.pk:
            if self.authenticated and self.hub is not None:
                await self.hub.leave(self)
            self.user_id = user.pk
            if self.hub is not None:
                await self.hub.join(self)
        self.authenticated = True
        self._watch_expiry(raw)
        return True

    async def disconnect(self, code):
        await super().disconnect(code)
        if self.authenticated and self.hub is not None:
            await self.hub.leave(self)

    async def push(self, text: str) -> None:
        await self.send(text_data=text)

    async def drop(self, code: int) -> None:
        await self.close(code=code)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self._error(400, "Binary messages are not accepted here.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error(400, "Message is not valid JSON.")
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "get_alert":
            await self._get_alert(content)
        else:
            await self._error(400, "Unknown message type.")

    async def _get_alert(self, content: dict) -> None:
        raw = content.get("token")
        username = content.get("username")
        if isinstance(raw, str) and raw:
            if not await self.authenticate(raw, username=username if isinstance(username, str) else None):
                return
        elif not self.authenticated:
            await self._error(400, 'Missing "token" field in payload')
            return
        await self.send_json({"type": "my_response", "data": "Added!"})

    async def _error(self, status: int, message: str) -> None:
        await self.send_json({"type": "error", "data": {"code": status, "error": message}})


# --- devices ------------------------------------------------------------------------------------------


def _open_alert(device, content: dict) -> tuple[int, dict]:
    fields = Fields(content)
    fields.require("alert_init", "behavior")
    truck_id = fields.integer("truck_id", required=False)
    behavior = fields.text("behavior")
    alert_init = fields.date("alert_init")
    result = services.open_alert(device=device, truck_id=truck_id, behavior=behavior, alert_init=alert_init)
    return 201, {"id": result.alert.pk, "alert_id": result.alert.pk}


def _close_alert(device, content: dict) -> tuple[int, dict]:
    fields = Fields(content)
    fields.require("alert_id", "alert_end")
    alert_id = fields.integer("alert_id")
    alert_end = fields.date("alert_end")
    alert = services.close_alert(alert=alert_id, alert_end=alert_end, device=device)
    return 200, {"id": alert.pk, "alert_id": alert.pk}


def _frame(device, content: dict, image) -> tuple[int, dict]:
    fields = Fields(content)
    fields.require("alert_id", "frame_timestamp")
    alert_id = fields.integer("alert_id")
    frame_timestamp = fields.date("frame_timestamp")
    frame_index = fields.integer("frame_index", required=False)
    if image is None:
        image = fields.text("frame")
    result = services.add_frame(
        device=device, alert_id=alert_id, frame_timestamp=frame_timestamp, image=image, frame_index=frame_index
    )
    return 200, {"id": result.frame.pk, "frame_id": result.frame.pk}


def _safe_frame(device, content: dict, image) -> tuple[int, dict]:
    fields = Fields(content)
    fields.require("frame_timestamp")
    truck_id = fields.integer("truck_id", required=False)
    frame_timestamp = fields.date("frame_timestamp")
    frame_index = fields.integer("frame_index", required=False)
    if image is None:
        image = fields.text("frame")
    result = services.add_safe_frame(
        device=device,
        truck_id=truck_id,
        frame_timestamp=frame_timestamp,
        image=image,
        frame_index=0 if frame_index is None else frame_index,
    )
    return 200, {"safeframe_id": result.frame.pk, "id": result.frame.pk}


_REQUESTS = {"open_alert": _open_alert, "close_alert": _close_alert}
_FRAME_REQUESTS = {"frame": _frame, "safe_frame": _safe_frame}


_thread_state = threading.local()
CONNECTION_CHECK_SECONDS = 30.0


def _store_in_thread(handler, device, content: dict, image) -> dict:
    """`_run` for frames, on a worker thread with its own database connection. Django's per-call
    connection check (a ping before every frame) is done at most every `CONNECTION_CHECK_SECONDS` per
    thread, and at once after an unexpected error, so a dead connection is still replaced."""
    now = time.monotonic()
    if now - getattr(_thread_state, "checked_at", 0.0) >= CONNECTION_CHECK_SECONDS:
        close_old_connections()
        _thread_state.checked_at = now
    try:
        return _run(handler, device, content, image)
    except Exception:
        close_old_connections()
        _thread_state.checked_at = 0.0
        raise


_store_frame = sync_to_async(_store_in_thread, thread_sensitive=False)


def _run(handler, device, *args) -> dict:
    """Call one request handler; its answer or its refusal as the REST envelope."""
    try:
        code, data = handler(device, *args)
    except SeedAnswer as exc:
        return exc.body
    except DomainError as exc:
        return alert_error(exc).body
    return {"code": code, "status_code": "Success", "data": data}


class DeviceConsumer(_AuthenticatedSocket):
    """`/ws/device/`: a device opens and closes alerts and streams frames (alerts.md §6.2).

    A `frame` / `safe_frame` header without a `frame` field waits for the next message, which must be
    binary (the JPEG/PNG bytes); each request gets one `response` echoing its `request_id`.
    """

    # Devices receive nothing through the channel layer: no layer channel per device socket, so frames
    # never wait behind the layer's receive loop (an alias that is not configured gives no layer).
    channel_layer_alias = "alerts-devices-use-no-channel-layer"

    async def connect(self):
        self.device = None
        self.raw_token = None
        self.checked_at = 0.0
        self.pending: dict | None = None
        self._in_flight: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(FRAMES_IN_FLIGHT)
        await super().connect()

    async def refuse(self, status: int, message: str) -> None:
        await self.respond(None, alert_answer(status, str(message)).body)
        await self.close(code=_close_code(status))

    async def authenticate(self, raw: str, **kwargs) -> bool:
        try:
            device = await database_sync_to_async(device_for_token)(raw)
        except DomainError as exc:
            await self.refuse(exc.status, exc.message)
            return False
        if raw != self.raw_token:
            self._watch_expiry(raw)
        self.device, self.raw_token, self.checked_at = device, raw, time.monotonic()
        self.authenticated = True
        return True

    async def respond(self, request_id, body: dict) -> None:
        await self.send_json({"type": "response", "request_id": request_id, **body})

    async def _store(self, request_id, handler, content: dict, image) -> None:
        """Store one frame off the socket's loop; several frames of a device are stored at once (each
        acknowledged by its `request_id`), which lets the database group their commits."""
        await self._slots.acquire()

        async def store() -> None:
            try:
                try:
                    body = await _store_frame(handler, self.device, content, image)
                except Exception:  # nothing was stored (one transaction, file removed): the device retries
                    logger.exception("frame %r could not be stored", request_id)
                    body = alert_answer(500, FAILED).body
                await self.respond(request_id, body)
            except Exception:  # the socket is gone; the frame is stored or refused whole either way
                logger.warning("could not acknowledge frame %r", request_id, exc_info=True)
            finally:
                self._slots.release()

        task = asyncio.create_task(store())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _drain(self) -> None:
        """Opening and closing alerts wait for the frames sent before them (a close never overtakes them)."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _still_allowed(self) -> bool:
        """Re-read the device at most every few seconds, so disabling or revoking reaches open sockets."""
        if time.monotonic() - self.checked_at < DEVICE_RECHECK_SECONDS:
            return True
        return await self.authenticate(self.raw_token)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self._binary(bytes_data or b"")
            return
        if self.pending is not None:
            pending, self.pending = self.pending, None
            await self.respond(pending.get("request_id"), alert_answer(400, AlertMessage.BINARY_EXPECTED).body)
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict) or not content:
            await self.respond(None, alert_answer(400, AlertMessage.NO_INPUT).body)
            return
        request_id = content.get("request_id")
        kind = content.get("type")
        if kind == "auth":
            await self._auth_message(request_id, content)
            return
        if not self.authenticated:
            await self.respond(request_id, alert_answer(401, AlertMessage.WRONG_TOKEN).body)
            return
        if not await self._still_allowed():
            return
        if kind in _REQUESTS:
            await self._drain()
            try:
                body = await database_sync_to_async(_run)(_REQUESTS[kind], self.device, content)
            except Exception:  # nothing was written (one transaction): answer, keep the socket
                logger.exception("device request %r failed", request_id)
                body = alert_answer(500, FAILED).body
            await self.respond(request_id, body)
        elif kind in _FRAME_REQUESTS:
            if "frame" in content:
                await self._store(request_id, _FRAME_REQUESTS[kind], content, None)
            else:
                self.pending = content
        else:
            await self.respond(request_id, alert_answer(400, "Unknown message type.").body)

    async def _auth_message(self, request_id, content: dict) -> None:
        raw = content.get("token")
        if not isinstance(raw, str) or not raw:
            await self.respond(request_id, alert_answer(400, 'Missing "token" field in payload').body)
            return
        if await self.authenticate(raw):
            data = {"device_id": self.device.pk, "truck_id": self.device.truck.pk}
            await self.respond(request_id, {"code": 200, "status_code": "Success", "data": data})

    async def _binary(self, data: bytes) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            await self.respond(None, alert_answer(400, AlertMessage.BINARY_WITHOUT_HEADER).body)
            return
        request_id = pending.get("request_id")
        if len(data) > settings.FRAME_MAX_BYTES:
            await self.respond(request_id, alert_answer(413, AlertMessage.FRAME_TOO_LARGE).body)
            return
        if not await self._still_allowed():
            return
        await self._store(request_id, _FRAME_REQUESTS[pending["type"]], pending, data)
