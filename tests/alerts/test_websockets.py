"""`/ws/alert/` and `/ws/device/` (alerts.md §6): authentication, the message protocol, pushes after commit,
frames as a JSON header then a binary message, and the same refusals as REST."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services as account_services
from accounts.models import ClientType
from accounts.tokens import issue_user_token
from alerts import services
from alerts.models import Alert, Frame, SafeFrame
from alerts.tokens import issue_device_token
from labelplatform.asgi import application
from tests.accounts.factories import UserFactory
from tests.alerts.conftest import grant_watchers_permission
from tests.alerts.factories import BASE_TIME, DeviceFactory, jpeg_bytes, png_bytes

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
TIMEOUT = 3


@pytest.fixture(autouse=True)
def _watchers_group(transactional_db):
    grant_watchers_permission()


async def connect(path: str, token: str | None = None, *, headers=None) -> WebsocketCommunicator:
    url = f"{path}?token={token}" if token is not None else path
    socket = WebsocketCommunicator(application, url, headers=headers or [])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket


async def receive(socket) -> dict:
    return json.loads(await socket.receive_from(timeout=TIMEOUT))


async def expect_close(socket, code: int) -> None:
    output = await socket.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": code}


@database_sync_to_async
def make_watcher(**kwargs):
    return issue_user_token(UserFactory(watcher=True, **kwargs))


@database_sync_to_async
def make_device(name="Truck-WS"):
    device = DeviceFactory(truck__name=name)
    return device, issue_device_token(device)


# --- watchers ------------------------------------------------------------------------------------------


async def test_watcher_gets_added_then_every_open_and_close(settings):
    token = await make_watcher(username="w1")
    device, _ = await make_device()
    socket = await connect("/ws/alert/", token)
    await socket.send_json_to({"type": "get_alert", "username": "w1", "token": token})
    assert await receive(socket) == {"type": "my_response", "data": "Added!"}

    result = await database_sync_to_async(services.open_alert)(
        device=device, truck_id=None, behavior="Unsafe", alert_init=BASE_TIME
    )
    message = await receive(socket)
    assert message["type"] == "an_alert"
    assert message["data"]["event"] == "opened"
    assert message["data"]["alert"] == {
        "id": result.alert.pk,
        "truck_id": device.truck.pk,
        "truck_name": "Truck-WS",
        "behavior": "Unsafe",
        "alert_init": "2020-02-19T12:59:02",
        "alert_end": None,
        "started": True,
    }
    # a retry pushes nothing; the close does
    await database_sync_to_async(services.open_alert)(
        device=device, truck_id=None, behavior="Unsafe", alert_init=BASE_TIME
    )
    await database_sync_to_async(services.close_alert)(
        alert=result.alert.pk, alert_end=BASE_TIME + timedelta(minutes=1), device=device
    )
    message = await receive(socket)
    assert message["data"]["event"] == "closed"
    assert message["data"]["alert"]["alert_end"] == "2020-02-19T13:00:02"
    assert message["data"]["alert"]["started"] is False
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


async def test_watcher_authenticates_by_first_message_and_pings():
    token = await make_watcher(username="w2")
    socket = await connect("/ws/alert/")
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.send_json_to({"type": "get_alert", "username": "w2", "token": token})
    assert await receive(socket) == {"type": "my_response", "data": "Added!"}
    for bad in ("not json", json.dumps([1, 2]), json.dumps({"type": "dance"})):
        await socket.send_to(text_data=bad)
        assert (await receive(socket))["data"]["code"] == 400
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await receive(socket))["data"]["code"] == 400
    await socket.send_json_to({"type": "ping"})  # still open
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_watcher_without_token_is_closed_after_the_deadline(settings):
    settings.ALERTS_WS_AUTH_TIMEOUT = 0.2
    socket = await connect("/ws/alert/")
    message = await receive(socket)
    assert message["type"] == "error" and message["data"]["code"] == 401
    await expect_close(socket, 4401)


@pytest.mark.parametrize("kind", ["garbage", "device", "wrong-username"])
async def test_watcher_with_a_wrong_token_gets_401_and_4401(kind):
    token = await make_watcher(username="w3")
    if kind == "garbage":
        token, username = "a.b.c", "w3"
    elif kind == "device":
        _, token = await make_device()
        username = None
    else:
        username = "somebody-else"
    socket = await connect("/ws/alert/")
    await socket.send_json_to({"type": "get_alert", "username": username, "token": token})
    assert await receive(socket) == {"type": "error", "data": {"code": 401, "error": "Wrong token"}}
    await expect_close(socket, 4401)


async def test_user_who_is_not_a_watcher_gets_403_and_4403():
    token = await database_sync_to_async(lambda: issue_user_token(UserFactory(username="plain")))()
    socket = await connect("/ws/alert/", token)
    assert await receive(socket) == {
        "type": "error",
        "data": {"code": 403, "error": "Current user don't has permission"},
    }
    await expect_close(socket, 4403)


async def test_blacklisting_a_watcher_closes_the_socket():
    user = await database_sync_to_async(UserFactory)(username="w4", watcher=True)
    token = await database_sync_to_async(issue_user_token)(user)
    socket = await connect("/ws/alert/", token)
    await socket.send_json_to({"type": "get_alert", "token": token})
    assert (await receive(socket))["type"] == "my_response"
    await database_sync_to_async(account_services.set_client_type)(user=user, client_type=ClientType.BLACKLISTED)
    message = await receive(socket)
    assert message["data"]["code"] == 403
    await expect_close(socket, 4403)


async def test_watcher_socket_closes_when_its_token_expires(settings):
    user = await database_sync_to_async(UserFactory)(username="w5", watcher=True)
    token = await database_sync_to_async(issue_user_token)(user, lifetime=timedelta(seconds=1))
    socket = await connect("/ws/alert/", token)
    await asyncio.sleep(0)
    message = json.loads(await socket.receive_from(timeout=3))
    assert message == {"type": "error", "data": {"code": 401, "error": "Wrong token"}}
    await expect_close(socket, 4401)


# --- devices -------------------------------------------------------------------------------------------


async def request(socket, message: dict) -> dict:
    await socket.send_json_to(message)
    answer = await receive(socket)
    assert answer["type"] == "response"
    return answer


async def test_device_streams_an_alert_with_binary_frames():
    device, token = await make_device()
    watcher = await make_watcher(username="w6")
    eyes = await connect("/ws/alert/", watcher)
    socket = await connect("/ws/device/", token)

    opened = await request(
        socket, {"type": "open_alert", "request_id": "r1", "alert_init": "2020-02-19 12:59:02", "behavior": "Tamper"}
    )
    assert opened["request_id"] == "r1" and opened["code"] == 201 and opened["status_code"] == "Success"
    alert_id = opened["data"]["alert_id"]
    assert (await receive(eyes))["data"]["event"] == "opened"

    images = [jpeg_bytes(), png_bytes(), jpeg_bytes(color=(1, 2, 3))]
    for number, image in enumerate(images):
        await socket.send_json_to(
            {"type": "frame", "request_id": number, "alert_id": alert_id, "frame_timestamp": "2020-02-19 12:59:03"}
        )
        await socket.send_to(bytes_data=image)
        ack = await receive(socket)
        assert ack["request_id"] == number and ack["code"] == 200, ack
        assert ack["data"]["id"] == ack["data"]["frame_id"]
    # a retry with frame_index returns the stored frame
    header = {"type": "frame", "alert_id": alert_id, "frame_timestamp": "2020-02-19 12:59:04", "frame_index": 1}
    await socket.send_json_to(header)
    await socket.send_to(bytes_data=images[0])
    retry = await receive(socket)
    stored = await database_sync_to_async(
        lambda: list(Frame.objects.filter(alert_id=alert_id).order_by("frame_index"))
    )()
    assert [frame.frame_index for frame in stored] == [0, 1, 2]
    assert retry["data"]["id"] == stored[1].pk
    assert stored[1].image_format == "png"

    safe = await request(
        socket, {"type": "safe_frame", "request_id": "s", "frame_timestamp": "2020-02-19 12:59:05", "frame": "b'eHl6'"}
    )
    assert safe["code"] == 400 and safe["error"] == "Frame is not a valid JPEG or PNG image."
    await socket.send_json_to({"type": "safe_frame", "request_id": "s2", "frame_timestamp": "2020-02-19 12:59:05"})
    await socket.send_to(bytes_data=images[0])
    safe = await receive(socket)
    assert safe["request_id"] == "s2" and safe["data"]["safeframe_id"] == safe["data"]["id"]

    closed = await request(socket, {"type": "close_alert", "alert_id": alert_id, "alert_end": "2020-02-19 13:00:00"})
    assert closed["code"] == 200 and closed["data"] == {"id": alert_id, "alert_id": alert_id}
    assert (await receive(eyes))["data"]["event"] == "closed"
    again = await request(socket, {"type": "close_alert", "alert_id": alert_id, "alert_end": "2020-02-19 13:00:00"})
    assert again["code"] == 409 and again["error"] == "Alert is already closed."
    await socket.send_json_to({"type": "frame", "alert_id": alert_id, "frame_timestamp": "2020-02-19 13:00:01"})
    await socket.send_to(bytes_data=images[0])
    assert (await receive(socket))["code"] == 409
    assert await database_sync_to_async(SafeFrame.objects.count)() == 1
    await socket.disconnect()
    await eyes.disconnect()


async def test_device_socket_refuses_bad_messages_and_stays_open(settings):
    settings.FRAME_MAX_BYTES = 1000
    device, token = await make_device()
    socket = await connect("/ws/device/", token)
    await socket.send_to(bytes_data=jpeg_bytes())
    answer = await receive(socket)
    assert answer["code"] == 400 and answer["error"] == "Binary frame without header."
    await socket.send_to(text_data="{nope")
    assert (await receive(socket))["error"] == "No input data provided"
    answer = await request(socket, {"type": "open_alert", "request_id": 7, "behavior": "Dancing", "alert_init": "x"})
    assert answer["request_id"] == 7 and answer["code"] == 400
    answer = await request(socket, {"type": "open_alert", "alert_init": "2020-02-19 12:59:02"})
    assert answer["error"] == 'Missing "behavior" field in payload'
    answer = await request(socket, {"type": "open_alert", "alert_init": "2020-02-19 12:59:02", "behavior": "Nope"})
    assert answer["error"] == "Behavior Unknow."
    other, _ = await make_device("Other")
    answer = await request(
        socket,
        {"type": "open_alert", "truck_id": other.truck.pk, "alert_init": "2020-02-19 12:59:02", "behavior": "Safe"},
    )
    assert answer["code"] == 403 and answer["error"] == "Truck doesn't belong to this device."
    answer = await request(socket, {"type": "open_alert", "alert_init": "2020-02-19 12:59:02", "behavior": "Safe"})
    alert_id = answer["data"]["id"]
    # oversize binary, and a text message while a binary one is awaited
    await socket.send_json_to(
        {"type": "frame", "request_id": "big", "alert_id": alert_id, "frame_timestamp": "2020-02-19 12:59:03"}
    )
    await socket.send_to(bytes_data=b"\xff\xd8\xff" + b"\x00" * 2000)
    answer = await receive(socket)
    assert answer["request_id"] == "big" and answer["code"] == 413 and answer["error"] == "Frame is too large."
    await socket.send_json_to(
        {"type": "frame", "request_id": "lost", "alert_id": alert_id, "frame_timestamp": "2020-02-19 12:59:03"}
    )
    answer = await request(socket, {"type": "dance", "request_id": "d"})
    assert answer["request_id"] == "lost" and answer["code"] == 400
    answer = await receive(socket)
    assert answer["request_id"] == "d" and answer["code"] == 400
    assert await database_sync_to_async(Frame.objects.count)() == 0
    await socket.disconnect()


async def test_device_socket_authenticates_by_message_and_refuses_user_tokens():
    device, token = await make_device()
    user_token = await make_watcher(username="w7")
    socket = await connect("/ws/device/", user_token)
    answer = await receive(socket)
    assert answer["code"] == 401 and answer["error"] == "Wrong token"
    await expect_close(socket, 4401)

    socket = await connect("/ws/device/")
    answer = await request(socket, {"type": "open_alert", "alert_init": "2020-02-19 12:59:02", "behavior": "Safe"})
    assert answer["code"] == 401
    answer = await request(socket, {"type": "auth", "request_id": "a", "token": token})
    assert answer["code"] == 200 and answer["data"] == {"device_id": device.pk, "truck_id": device.truck.pk}
    answer = await request(socket, {"type": "open_alert", "alert_init": "2020-02-19 12:59:02", "behavior": "Safe"})
    assert answer["code"] == 201
    await socket.disconnect()


async def test_disabled_device_is_refused_on_its_open_socket(monkeypatch):
    from alerts import consumers

    monkeypatch.setattr(consumers, "DEVICE_RECHECK_SECONDS", 0.0)
    device, token = await make_device()
    socket = await connect("/ws/device/", token)
    await database_sync_to_async(services.disable_device)(device=device)
    await socket.send_json_to({"type": "open_alert", "alert_init": "2020-02-19 12:59:02", "behavior": "Safe"})
    answer = await receive(socket)
    assert answer["code"] == 403 and answer["error"] == "Device is disabled."
    await expect_close(socket, 4403)
    assert await database_sync_to_async(Alert.objects.count)() == 0


async def test_device_socket_without_token_is_closed_after_the_deadline(settings):
    settings.ALERTS_WS_AUTH_TIMEOUT = 0.2
    socket = await connect("/ws/device/")
    answer = await receive(socket)
    assert answer["type"] == "response" and answer["code"] == 401
    await expect_close(socket, 4401)


async def test_get_alert_without_any_token_is_400_and_the_socket_waits():
    socket = await connect("/ws/alert/")
    await socket.send_json_to({"type": "get_alert", "username": "nobody"})
    assert await receive(socket) == {
        "type": "error",
        "data": {"code": 400, "error": 'Missing "token" field in payload'},
    }
    await socket.send_json_to({"type": "ping"})
    assert await receive(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_an_unexpected_failure_is_answered_and_the_socket_stays_open(monkeypatch):
    from alerts import consumers

    def broken(device, content, image):
        raise RuntimeError("database went away")

    monkeypatch.setitem(consumers._FRAME_REQUESTS, "frame", broken)
    device, token = await make_device()
    socket = await connect("/ws/device/", token)
    await socket.send_json_to(
        {"type": "frame", "request_id": "x", "alert_id": 1, "frame_timestamp": "2020-02-19 12:59:03"}
    )
    await socket.send_to(bytes_data=jpeg_bytes())
    answer = await receive(socket)
    assert answer["request_id"] == "x" and answer["code"] == 500 and "Retry" in answer["error"]
    answer = await request(socket, {"type": "open_alert", "alert_init": "2020-02-19 12:59:02", "behavior": "Safe"})
    assert answer["code"] == 201
    await socket.disconnect()
