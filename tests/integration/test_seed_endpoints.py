"""Seed 000, 001 and 002 user endpoints against a real server process on MariaDB, with utf8mb4 text
(Chinese, and emoji that need four bytes) written through HTTP and read back through HTTP and the ORM."""

from __future__ import annotations

import jwt
import pytest
import requests

from accounts import services
from accounts.models import Connection, Role, User

pytestmark = pytest.mark.django_db(transaction=True)

AREA = "医学影像 🩺 放射科"
EXPERT = "王医生"
PASSWORD = "Zhong-wen-mima-2026!"


def test_seed_000_labeler_login(asgi_servers):
    a, b = asgi_servers
    client_id = "设备-🦊-uuid-000"
    tokens = []
    for server in (a, b, a):
        response = requests.post(f"{server.url}/api/v1/login", json={"client_id": client_id}, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"user_token", "user_token_for_other_app"}
        tokens.append(body["user_token"])

    user = User.objects.get(client_id=client_id)
    assert Connection.objects.filter(user=user).count() == 3
    claims = jwt.decode(tokens[-1], options={"verify_signature": False})
    assert claims["user_id"] == user.pk
    # The token from process B is accepted by process A (same key, same database).
    me = requests.get(f"{a.url}/api/v1/me/", headers={"Authorization": f"Bearer {tokens[1]}"}, timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user.pk

    missing = requests.post(f"{a.url}/api/v1/login", json={}, timeout=10)
    assert missing.status_code == 400
    assert missing.json() == {"message": "Missing field: google_id_token or client_id"}


def test_seed_001_register_and_log_in(asgi_servers):
    a, b = asgi_servers
    manager = services.create_user(username="alertboss", password="pw-boss-2026", role=Role.MANAGER, validate=False)
    login = requests.post(
        f"{a.url}/api/v1/user/login/", json={"username": "alertboss", "password": "pw-boss-2026"}, timeout=10
    )
    assert login.status_code == 200, login.text
    manager_token = login.json()["data"]["token"]

    new_user = {"username": "李雷", "password": "密码-🔑-2026", "email": "lilei@example.org", "role": "full"}
    response = requests.post(
        f"{b.url}/api/v1/user/register/", json={"token": manager_token, "new_user": new_user}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json()["code"] == 200
    created_id = response.json()["data"]["id"]

    stored = User.objects.get(pk=created_id)
    assert stored.username == "李雷"
    assert stored.groups.filter(name="Alert watchers").exists()

    again = requests.post(
        f"{a.url}/api/v1/user/register/", json={"token": manager_token, "new_user": new_user}, timeout=10
    )
    assert again.status_code == 409
    assert again.json()["error"] == "Username already register."

    login = requests.post(
        f"{a.url}/api/v1/user/login/", json={"username": "李雷", "password": "密码-🔑-2026"}, timeout=10
    )
    assert login.status_code == 200, login.text
    assert login.json()["data"]["id"] == created_id
    assert manager.pk != created_id


def test_seed_002_register_session_login_and_area_round_trip(asgi_servers):
    a, b = asgi_servers
    services.create_user(username="qaboss", password="pw-qaboss-2026", role=Role.MANAGER, validate=False)

    registered = requests.post(
        f"{a.url}/user/register", json={"username": EXPERT, "password": PASSWORD, "user_area": AREA}, timeout=10
    )
    assert registered.status_code == 200, registered.text
    assert registered.json() == {"response": "注册成功"}
    assert User.objects.get(username=EXPERT).area == AREA

    taken = requests.post(
        f"{b.url}/user/register", json={"username": EXPERT, "password": PASSWORD, "user_area": AREA}, timeout=10
    )
    assert taken.json() == {"response": "注册失败,用户名已存在"}

    # The expert logs in on B (session in the database) and is recognised on A by cookie and by header.
    expert = requests.Session()
    login = expert.get(f"{b.url}/user/login", params={"username": EXPERT, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    assert login.json()["response"] == "登录成功"
    session_id = login.json()["Session-Id"]
    assert expert.cookies["sessionid"] == session_id
    current = expert.get(f"{a.url}/user/get-current", timeout=10).json()
    assert current == {"response": "已登录", "username": EXPERT, "usertype": "expert"}
    by_header = requests.get(f"{a.url}/user/get-current", headers={"Session-Id": session_id}, timeout=10).json()
    assert by_header["username"] == EXPERT

    wrong = requests.post(f"{a.url}/user/login", json={"username": EXPERT, "password": "nope"}, timeout=10)
    assert wrong.json() == {"response": "登陆失败,用户名或密码不正确"}

    # The manager's expert list returns the area exactly as written.
    boss = requests.Session()
    login = boss.post(f"{a.url}/user/login", json={"username": "qaboss", "password": "pw-qaboss-2026"}, timeout=10)
    assert login.json()["response"] == "登录成功"
    experts = boss.get(f"{b.url}/user/list", timeout=10).json()["response"]
    assert {"expert_name": EXPERT, "expert_area": AREA} in [
        {"expert_name": e["expert_name"], "expert_area": e["expert_area"]} for e in experts
    ]

    logout = expert.get(f"{a.url}/user/logout", timeout=10).json()
    assert logout == {"response": "登出成功"}
    assert expert.get(f"{b.url}/user/get-current", timeout=10).json() == {"response": "未登录"}
