"""Two ASGI server processes share the Redis channel layer: a change made through one reaches sockets on
the other (DESIGN.md, Configuration: several ASGI processes share state through MySQL and Redis)."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from accounts import services
from accounts.consumers import CLOSE_REVOKED
from accounts.models import ClientType, Role, User
from accounts.tokens import issue_user_token

pytestmark = pytest.mark.django_db(transaction=True)

MANAGER_PASSWORD = "pw-manager-2026"


@contextmanager
def _socket(server, user):
    """An open `/ws/notifications/` connection of `user` on `server`, past its hello."""
    with connect(f"{server.ws_url}/ws/notifications/?token={issue_user_token(user)}", open_timeout=10) as ws:
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "hello"
        assert hello["user_id"] == user.pk
        yield ws


def _admin_session(server, username: str, password: str) -> requests.Session:
    """A manager signed in on `server` through the web sign-in page the admin sends staff to."""
    session = requests.Session()
    session.get(f"{server.url}/accounts/login/", timeout=10).raise_for_status()
    response = session.post(
        f"{server.url}/accounts/login/",
        data={
            "login": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": f"{server.url}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["Location"] == "/admin/"
    assert "sessionid" in session.cookies
    return session


@pytest.fixture
def people():
    manager = services.create_user(username="wsboss", password=MANAGER_PASSWORD, role=Role.MANAGER, validate=False)
    alice = services.create_user(username="alice", password="pw-alice-2026", role=Role.CITIZEN, validate=False)
    return manager, alice


def test_role_change_on_b_reaches_socket_on_a(asgi_servers, people, redis_url, evidence):
    a, b = asgi_servers
    assert a.health == {"status": "ok", "database": "mysql"} == b.health
    manager, alice = people
    with _socket(a, alice) as ws_a, _socket(b, alice) as ws_b:
        response = requests.put(
            f"{b.url}/api/v1/user/register/",
            json={"token": issue_user_token(manager), "new_user": {"username": "alice", "role": "researcher"}},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert response.json()["code"] == 200

        on_a = json.loads(ws_a.recv(timeout=10))
        on_b = json.loads(ws_b.recv(timeout=10))
    for message in (on_a, on_b):
        assert message["type"] == "account_changed"
        assert message["user_id"] == alice.pk
        assert message["role"] == Role.RESEARCHER
        assert message["active"] is True
    assert User.objects.get(pk=alice.pk).role == Role.RESEARCHER
    evidence(
        f"websocket message crossed processes B:{b.port} (pid {b.process.pid}, HTTP PUT) -> "
        f"A:{a.port} (pid {a.process.pid}, open socket) via Redis {redis_url}: {on_a}"
    )


def test_blacklisting_on_b_closes_socket_on_a(asgi_servers, people, evidence):
    a, b = asgi_servers
    manager, alice = people
    admin = _admin_session(b, manager.username, MANAGER_PASSWORD)
    with _socket(a, alice) as ws_a:
        response = admin.post(
            f"{b.url}/admin/accounts/user/",
            data={
                "action": "set_client_type_minus_1",
                "_selected_action": [str(alice.pk)],
                "index": "0",
                "csrfmiddlewaretoken": admin.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, response.text[:2000]

        farewell = json.loads(ws_a.recv(timeout=10))
        assert farewell == {"type": "account_changed", "user_id": alice.pk, "active": False}
        with pytest.raises(ConnectionClosed) as closed:
            ws_a.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_REVOKED
    assert User.objects.get(pk=alice.pk).client_type == ClientType.BLACKLISTED

    # A new socket for the blacklisted user is refused at the handshake on either process (the consumer
    # closes before accepting, which ASGI servers answer with HTTP 403).
    for server in (a, b):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{server.ws_url}/ws/notifications/?token={issue_user_token(alice)}", open_timeout=10)
        assert refused.value.response.status_code == 403
    evidence(f"admin blacklist on B:{b.port} closed alice's socket on A:{a.port} with {CLOSE_REVOKED}")
