"""`/ws/notifications/` (accounts/consumers.py): who may connect, and what an account change does to a socket."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services
from accounts.models import ClientType, Role
from accounts.tokens import issue_user_token
from labelplatform.asgi import application
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

TIMEOUT = 3


def communicator(token: str | None = None, *, origin: str | None = None, path: str = "/ws/notifications/"):
    url = f"{path}?token={token}" if token is not None else path
    headers = [(b"origin", origin.encode())] if origin else []
    return WebsocketCommunicator(application, url, headers=headers)


async def open_socket(user, **kwargs) -> WebsocketCommunicator:
    token = await database_sync_to_async(issue_user_token)(user)
    socket = communicator(token, **kwargs)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket


async def expect_close(socket, code: int):
    message = await socket.receive_output(timeout=TIMEOUT)
    assert message == {"type": "websocket.close", "code": code}


async def make_user(**kwargs):
    return await database_sync_to_async(UserFactory)(**kwargs)


# --- connecting ------------------------------------------------------------------------------------


async def test_anonymous_closed_4401():
    socket = communicator()
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert not connected
    assert code == 4401


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
async def test_bad_token_closed_4401(token):
    socket = communicator(token)
    connected, code = await socket.connect(timeout=TIMEOUT)
    assert not connected
    assert code == 4401


async def test_expired_token_closed_4401():
    from datetime import timedelta

    from django.utils import timezone

    user = await make_user(username="late", role=Role.EXPERT)
    token = await database_sync_to_async(issue_user_token)(
        user, lifetime=timedelta(minutes=1), issued_at=timezone.now() - timedelta(hours=1)
    )
    connected, code = await communicator(token).connect(timeout=TIMEOUT)
    assert not connected
    assert code == 4401


async def test_blacklisted_or_inactive_token_closed_4401():
    banned = await make_user(username="banned", role=Role.CITIZEN)
    gone = await make_user(username="gone", role=Role.MANAGER)
    banned_token = await database_sync_to_async(issue_user_token)(banned)
    gone_token = await database_sync_to_async(issue_user_token)(gone)
    await database_sync_to_async(services.set_client_type)(user=banned, client_type=ClientType.BLACKLISTED)
    await database_sync_to_async(services.set_active)(user=gone, active=False)
    for token in (banned_token, gone_token):
        connected, code = await communicator(token).connect(timeout=TIMEOUT)
        assert not connected
        assert code == 4401


async def test_hello_on_connect():
    user = await make_user(username="doc", role=Role.EXPERT)
    socket = await open_socket(user)
    hello = await socket.receive_json_from(timeout=TIMEOUT)
    assert hello == {
        "type": "hello",
        "user_id": user.pk,
        "username": "doc",
        "role": "expert",
        "client_type": ClientType.LAYPERSON,
        "active": True,
    }
    await socket.disconnect()


async def test_bearer_header_also_accepted():
    user = await make_user(username="doc", role=Role.EXPERT)
    token = await database_sync_to_async(issue_user_token)(user)
    socket = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"authorization", f"Bearer {token}".encode())]
    )
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
    await socket.disconnect()


async def test_ping_pong():
    user = await make_user(username="doc", role=Role.EXPERT)
    socket = await open_socket(user)
    await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await socket.disconnect()


# --- account changes -------------------------------------------------------------------------------


async def test_blacklist_sends_account_changed_then_closes_4403():
    user = await make_user(username="joe", role=Role.CITIZEN)
    socket = await open_socket(user)
    await socket.receive_json_from(timeout=TIMEOUT)
    await database_sync_to_async(services.set_client_type)(user=user, client_type=ClientType.BLACKLISTED)
    message = await socket.receive_json_from(timeout=TIMEOUT)
    assert message["type"] == "account_changed"
    assert message["user_id"] == user.pk
    assert message["active"] is False
    await expect_close(socket, 4403)


async def test_deactivation_closes_4403():
    user = await make_user(username="boss", role=Role.MANAGER)
    socket = await open_socket(user)
    await socket.receive_json_from(timeout=TIMEOUT)
    await database_sync_to_async(services.set_active)(user=user, active=False)
    message = await socket.receive_json_from(timeout=TIMEOUT)
    assert message["type"] == "account_changed"
    assert message["active"] is False
    await expect_close(socket, 4403)


async def test_role_change_sends_new_role_and_stays_open():
    user = await make_user(username="joe", role=Role.CITIZEN)
    socket = await open_socket(user)
    await socket.receive_json_from(timeout=TIMEOUT)
    await database_sync_to_async(services.set_role)(user=user, role=Role.MANAGER)
    message = await socket.receive_json_from(timeout=TIMEOUT)
    assert message == {
        "type": "account_changed",
        "user_id": user.pk,
        "username": "joe",
        "role": "manager",
        "client_type": ClientType.LAYPERSON,
        "active": True,
    }
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
    await socket.disconnect()


async def test_client_type_zero_sends_researcher_role():
    user = await make_user(username="joe", role=Role.CITIZEN)
    socket = await open_socket(user)
    await socket.receive_json_from(timeout=TIMEOUT)
    await database_sync_to_async(services.set_client_type)(user=user, client_type=ClientType.RESEARCHER)
    message = await socket.receive_json_from(timeout=TIMEOUT)
    assert message["type"] == "account_changed"
    assert (message["role"], message["client_type"], message["active"]) == ("researcher", 0, True)
    await socket.disconnect()


async def test_every_socket_of_the_user_is_told_and_no_one_else():
    user = await make_user(username="joe", role=Role.CITIZEN)
    other = await make_user(username="ann", role=Role.CITIZEN)
    first, second, bystander = await open_socket(user), await open_socket(user), await open_socket(other)
    for socket in (first, second, bystander):
        await socket.receive_json_from(timeout=TIMEOUT)
    await database_sync_to_async(services.set_client_type)(user=user, client_type=ClientType.BLACKLISTED)
    for socket in (first, second):
        assert (await socket.receive_json_from(timeout=TIMEOUT))["active"] is False
        await expect_close(socket, 4403)
    assert await bystander.receive_nothing(timeout=0.3)
    await bystander.disconnect()


# --- origin ----------------------------------------------------------------------------------------


async def test_foreign_origin_refused(settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    user = await make_user(username="doc", role=Role.EXPERT)
    token = await database_sync_to_async(issue_user_token)(user)
    connected, _ = await communicator(token, origin="https://evil.example").connect(timeout=TIMEOUT)
    assert not connected


@pytest.mark.parametrize("origin", ["http://localhost:8000", "https://app.example.org", None])
async def test_own_or_listed_origin_allowed(settings, origin):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    user = await make_user(username="doc", role=Role.EXPERT)
    socket = await open_socket(user, origin=origin)
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
    await socket.disconnect()
