"""Seed 002 user endpoints (qa-tasks.md §1.2-1.5, §3.1, §9, §10): answers a front-end would see."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client

from accounts import services
from accounts.models import MANAGERS_GROUP, ClientType, Role, User
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet-river-lantern-42"
FOREIGN_ORIGIN = "https://evil.example"


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def web():
    """The original front-end: no CSRF token, ever (qa-tasks.md §1.2)."""
    return Client(enforce_csrf_checks=True)


def post_json(client, path, data, **extra):
    return client.post(path, data=json.dumps(data), content_type="application/json", **extra)


def post_form(client, path, data, **extra):
    return client.post(path, data=urlencode(data), content_type="application/x-www-form-urlencoded", **extra)


def log_in(client, user, password=PASSWORD) -> str:
    response = post_json(client, "/user/login", {"username": user.username, "password": password})
    assert response.json()["response"] == "登录成功", response.content
    return response.json()["Session-Id"]


def header_client(session_id: str) -> Client:
    """A fresh client that carries the session only in the `Session-Id` header."""
    return Client(enforce_csrf_checks=True, headers={"Session-Id": session_id})


def assert_bad_parameter(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["response"] == "参数错误"
    assert body["field"] == field
    assert isinstance(body["message"], str) and body["message"]


# --- /user/get-current -----------------------------------------------------------------------------


def test_get_current_anonymous(web):
    response = web.get("/user/get-current")
    assert response.status_code == 200
    assert response.json() == {"response": "未登录"}


@pytest.mark.parametrize(
    "role, usertype",
    [(Role.MANAGER, "manager"), (Role.EXPERT, "expert"), (Role.RESEARCHER, "researcher"), (Role.CITIZEN, "citizen")],
)
def test_get_current_logged_in(web, role, usertype):
    user = UserFactory(username=f"u-{role}", role=role)
    log_in(web, user)
    response = web.get("/user/get-current")
    assert response.status_code == 200
    assert response.json() == {"response": "已登录", "username": user.username, "usertype": usertype}


def test_get_current_superuser_is_manager(web):
    user = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    log_in(web, user)
    assert web.get("/user/get-current").json() == {"response": "已登录", "username": "root", "usertype": "manager"}


def test_get_current_trailing_slash(web, expert):
    log_in(web, expert)
    response = web.get("/user/get-current/")
    assert response.status_code == 200
    assert response.json()["response"] == "已登录"


# --- /user/list ------------------------------------------------------------------------------------


def test_expert_list_shape_order_and_exclusions(web, manager):
    law = UserFactory(username="lawyer", role=Role.EXPERT, area="law")
    doc = UserFactory(username="doctor", role=Role.EXPERT, area="medicine")
    gone = UserFactory(username="gone", role=Role.EXPERT, area="law")
    services.set_active(user=gone, active=False)
    banned = UserFactory(username="banned", role=Role.EXPERT, area="law")
    services.set_client_type(user=banned, client_type=ClientType.BLACKLISTED)
    UserFactory(username="citizen1", role=Role.CITIZEN)
    UserFactory(username="sci1", role=Role.RESEARCHER)
    late = UserFactory(username="alpha", role=Role.EXPERT, area="")

    log_in(web, manager)
    response = web.get("/user/list")
    assert response.status_code == 200
    assert response.json() == {
        "response": [
            {"expert_id": law.pk, "expert_name": "lawyer", "expert_area": "law"},
            {"expert_id": doc.pk, "expert_name": "doctor", "expert_area": "medicine"},
            {"expert_id": late.pk, "expert_name": "alpha", "expert_area": ""},
        ]
    }


def test_expert_list_empty(web, manager):
    log_in(web, manager)
    assert web.get("/user/list").json() == {"response": []}


def test_expert_list_anonymous(web, expert):
    response = web.get("/user/list")
    assert response.status_code == 200
    assert response.json() == {"response": "未登录"}


@pytest.mark.parametrize("role", [Role.EXPERT, Role.RESEARCHER, Role.CITIZEN])
def test_expert_list_refuses_non_managers(web, role):
    user = UserFactory(username="someone", role=role)
    log_in(web, user)
    response = web.get("/user/list")
    assert response.status_code == 200
    assert response.json() == {"response": "非管理员用户"}


def test_expert_list_wrong_method(web, manager):
    log_in(web, manager)
    response = web.delete("/user/list")
    assert response.status_code == 405
    assert response.json() == {"response": "请求方法不被允许"}
    response = post_json(web, "/user/list", {})
    assert response.status_code == 405
    assert response.json() == {"response": "请求方法不被允许"}


# --- /user/login -----------------------------------------------------------------------------------


def test_login_get_query_string(web, expert):
    response = web.get("/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"response", "Session-Id"}
    assert body["response"] == "登录成功"
    assert body["Session-Id"]
    assert response.cookies[django_settings.SESSION_COOKIE_NAME].value == body["Session-Id"]
    assert web.get("/user/get-current").json()["username"] == expert.username


def test_login_post_json(web, expert):
    response = post_json(web, "/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["response"] == "登录成功"
    assert response.cookies[django_settings.SESSION_COOKIE_NAME].value == response.json()["Session-Id"]


def test_login_post_urlencoded_form(web, expert):
    response = post_form(web, "/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["response"] == "登录成功"


def test_login_post_multipart_form(web, expert):
    response = web.post("/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["response"] == "登录成功"


def test_login_post_ignores_query_string(web, expert):
    """POST reads the body; credentials only in the query string are missing."""
    response = web.post(f"/user/login?{urlencode({'username': expert.username, 'password': PASSWORD})}")
    assert_bad_parameter(response, "username")


def test_login_trailing_slash(web, expert):
    response = post_json(web, "/user/login/", {"username": expert.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["response"] == "登录成功"


def test_session_id_works_as_cookie_on_fresh_client(web, manager):
    session_id = log_in(web, manager)
    fresh = Client(enforce_csrf_checks=True)
    fresh.cookies[django_settings.SESSION_COOKIE_NAME] = session_id
    assert fresh.get("/user/get-current").json() == {"response": "已登录", "username": "boss", "usertype": "manager"}
    assert isinstance(fresh.get("/user/list").json()["response"], list)


def test_session_id_works_as_header_on_fresh_client(web, manager):
    session_id = log_in(web, manager)
    fresh = header_client(session_id)
    assert fresh.get("/user/get-current").json() == {"response": "已登录", "username": "boss", "usertype": "manager"}
    assert isinstance(fresh.get("/user/list").json()["response"], list)
    # and for a write: the header alone authenticates a manager-only POST, with no CSRF token
    response = post_json(fresh, "/user/register-manager", {"username": "boss3", "password": NEW_PASSWORD})
    assert response.json() == {"response": "注册成功"}


def test_bogus_session_id_header_is_not_logged_in(web):
    fresh = header_client("not-a-session-key")
    assert fresh.get("/user/get-current").json() == {"response": "未登录"}


def test_login_unknown_user(web):
    response = web.get("/user/login", {"username": "nobody", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"response": "登陆失败,账号不存在,请先注册"}
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == 0


def test_login_wrong_password(web, expert):
    response = post_json(web, "/user/login", {"username": expert.username, "password": "wrong-password-1"})
    assert response.status_code == 200
    assert response.json() == {"response": "登陆失败,用户名或密码不正确"}
    assert web.get("/user/get-current").json() == {"response": "未登录"}
    assert Session.objects.count() == 0


def test_login_inactive_user(web, expert):
    services.set_active(user=expert, active=False)
    response = post_json(web, "/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"response": "登陆失败,用户名或密码不正确"}
    assert web.get("/user/get-current").json() == {"response": "未登录"}


def test_login_blacklisted_user(web, expert):
    services.set_client_type(user=expert, client_type=ClientType.BLACKLISTED)
    response = post_json(web, "/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.json() == {"response": "登陆失败,用户名或密码不正确"}
    assert web.get("/user/get-current").json() == {"response": "未登录"}


def test_login_updates_last_login(web, expert):
    assert expert.last_login is None
    log_in(web, expert)
    expert.refresh_from_db()
    assert expert.last_login is not None


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "username"),
        ({"password": PASSWORD}, "username"),
        ({"username": "doc"}, "password"),
        ({"username": "", "password": PASSWORD}, "username"),
        ({"username": "doc", "password": ""}, "password"),
    ],
)
def test_login_get_missing_fields(web, expert, params, field):
    response = web.get("/user/login", params)
    assert_bad_parameter(response, field)
    assert Session.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "username"),
        ({"password": PASSWORD}, "username"),
        ({"username": "doc"}, "password"),
        ({"username": "", "password": PASSWORD}, "username"),
        ({"username": 12, "password": PASSWORD}, "username"),
        ({"username": "doc", "password": None}, "password"),
        ({"username": "doc", "password": ["x"]}, "password"),
    ],
)
def test_login_post_bad_fields(web, expert, body, field):
    response = post_json(web, "/user/login", body)
    assert_bad_parameter(response, field)
    assert Session.objects.count() == 0


def test_login_malformed_json(web, expert):
    response = web.post("/user/login", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["response"] == "参数错误"
    assert response.json()["field"] == "body"


def test_login_json_array_body(web, expert):
    response = post_json(web, "/user/login", ["doc", PASSWORD])
    assert response.status_code == 400
    assert response.json()["response"] == "参数错误"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_login_wrong_method(web, expert, method):
    response = getattr(web, method)("/user/login")
    assert response.status_code == 405
    assert response.json() == {"response": "请求方法不被允许"}


def test_login_throttled_per_ip(web, expert, settings):
    settings.LOGIN_RATE = "2/min"
    for _ in range(2):
        assert web.get("/user/login", {"username": "nobody", "password": "x"}).status_code == 200
    sessions_before = Session.objects.count()
    response = web.get("/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json() == {"response": "请求过于频繁,请稍后再试"}
    assert Session.objects.count() == sessions_before
    assert web.get("/user/get-current").json() == {"response": "未登录"}


def test_login_throttled_per_username(expert, settings):
    settings.LOGIN_RATE = "2/min"
    for n in range(2):
        client = Client(REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert post_json(client, "/user/login", {"username": "doc", "password": "bad-guess"}).status_code == 200
    client = Client(REMOTE_ADDR="10.0.0.9")
    response = post_json(client, "/user/login", {"username": "doc", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json() == {"response": "请求过于频繁,请稍后再试"}
    # another account from a fresh address is not affected
    other = UserFactory(username="other", role=Role.EXPERT)
    response = post_json(
        Client(REMOTE_ADDR="10.0.0.10"), "/user/login", {"username": other.username, "password": PASSWORD}
    )
    assert response.json()["response"] == "登录成功"


def test_login_query_string_never_logged(web, expert, caplog):
    secret = "s3cret-in-the-query"
    with caplog.at_level(logging.DEBUG):
        web.get("/user/login", {"username": expert.username, "password": secret})
        web.get("/user/login", {"username": expert.username, "password": PASSWORD})
    assert secret not in caplog.text
    assert PASSWORD not in caplog.text


# --- /user/logout ----------------------------------------------------------------------------------


def test_logout_ends_session(web, expert):
    session_id = log_in(web, expert)
    response = web.get("/user/logout")
    assert response.status_code == 200
    assert response.json() == {"response": "登出成功"}
    assert web.get("/user/get-current").json() == {"response": "未登录"}
    assert not Session.objects.filter(session_key=session_id).exists()
    assert header_client(session_id).get("/user/get-current").json() == {"response": "未登录"}


def test_logout_through_header(web, expert):
    session_id = log_in(web, expert)
    fresh = header_client(session_id)
    assert fresh.get("/user/logout").json() == {"response": "登出成功"}
    assert web.get("/user/get-current").json() == {"response": "未登录"}
    assert header_client(session_id).get("/user/get-current").json() == {"response": "未登录"}


def test_logout_anonymous(web):
    response = web.get("/user/logout/")
    assert response.status_code == 200
    assert response.json() == {"response": "登出成功"}


# --- /user/register --------------------------------------------------------------------------------


def test_register_expert(web):
    response = post_json(web, "/user/register", {"username": "newdoc", "password": NEW_PASSWORD, "user_area": "law"})
    assert response.status_code == 200
    assert response.json() == {"response": "注册成功"}
    user = User.objects.get(username="newdoc")
    assert user.role == Role.EXPERT
    assert user.area == "law"
    assert user.password != NEW_PASSWORD
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_staff
    # registration does not log in
    assert web.get("/user/get-current").json() == {"response": "未登录"}
    # the new expert can log in and is listed for managers
    assert post_json(web, "/user/login", {"username": "newdoc", "password": NEW_PASSWORD}).json()["response"] == (
        "登录成功"
    )
    assert web.get("/user/get-current").json()["usertype"] == "expert"


def test_register_form_body_and_trailing_slash(web):
    response = post_form(web, "/user/register/", {"username": "formdoc", "password": NEW_PASSWORD, "user_area": "x"})
    assert response.json() == {"response": "注册成功"}
    assert User.objects.get(username="formdoc").area == "x"


def test_register_name_taken(web, expert):
    before = User.objects.count()
    response = post_json(
        web, "/user/register", {"username": expert.username, "password": NEW_PASSWORD, "user_area": "law"}
    )
    assert response.status_code == 200
    assert response.json() == {"response": "注册失败,用户名已存在"}
    assert User.objects.count() == before
    expert.refresh_from_db()
    assert expert.area == "medicine"
    assert expert.check_password(PASSWORD)


def _valid_registration(**changes):
    body = {"username": "newdoc", "password": NEW_PASSWORD, "user_area": "law"}
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


@pytest.mark.parametrize(
    "body, field",
    [
        (_valid_registration(username=...), "username"),
        (_valid_registration(password=...), "password"),
        (_valid_registration(user_area=...), "user_area"),
        (_valid_registration(username=""), "username"),
        (_valid_registration(password=""), "password"),
        (_valid_registration(user_area=""), "user_area"),
        (_valid_registration(username="x" * 151), "username"),
        (_valid_registration(username="bad name!"), "username"),
        (_valid_registration(username=7), "username"),
        (_valid_registration(user_area="a" * 101), "user_area"),
        (_valid_registration(user_area=["law"]), "user_area"),
        (_valid_registration(password="123"), "password"),
        (_valid_registration(password="12345678901"), "password"),
        (_valid_registration(password="password"), "password"),
    ],
)
def test_register_bad_input(web, body, field):
    before = User.objects.count()
    response = post_json(web, "/user/register", body)
    assert_bad_parameter(response, field)
    assert User.objects.count() == before


def test_register_limits_are_inclusive(web):
    username = "u" * 150
    response = post_json(
        web, "/user/register", {"username": username, "password": NEW_PASSWORD, "user_area": "a" * 100}
    )
    assert response.json() == {"response": "注册成功"}
    assert User.objects.get(username=username).area == "a" * 100


def test_register_malformed_json(web):
    response = web.post("/user/register", data="{", content_type="application/json")
    assert_bad_parameter(response, "body")
    assert User.objects.count() == 0


def test_register_wrong_method(web):
    response = web.get("/user/register")
    assert response.status_code == 405
    assert response.json() == {"response": "请求方法不被允许"}


def test_register_throttled(web, settings):
    settings.REGISTRATION_RATE = "2/min"
    for n in range(2):
        body = {"username": f"doc{n}", "password": NEW_PASSWORD, "user_area": "law"}
        assert post_json(web, "/user/register", body).json() == {"response": "注册成功"}
    response = post_json(web, "/user/register", {"username": "doc9", "password": NEW_PASSWORD, "user_area": "law"})
    assert response.status_code == 429
    assert response.json() == {"response": "请求过于频繁,请稍后再试"}
    assert not User.objects.filter(username="doc9").exists()
    assert User.objects.count() == 2


# --- /user/register-manager ------------------------------------------------------------------------


def test_register_manager_by_manager(web, manager):
    log_in(web, manager)
    response = post_json(web, "/user/register-manager", {"username": "boss9", "password": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"response": "注册成功"}
    user = User.objects.get(username="boss9")
    assert user.role == Role.MANAGER
    assert user.is_staff
    assert user.groups.filter(name=MANAGERS_GROUP).exists()
    assert user.check_password(NEW_PASSWORD)
    # the caller stays logged in as themself
    assert web.get("/user/get-current").json()["username"] == "boss"
    fresh = Client()
    assert log_in(fresh, user, NEW_PASSWORD)
    assert fresh.get("/user/get-current").json()["usertype"] == "manager"


def test_register_manager_form_body(web, manager):
    log_in(web, manager)
    response = post_form(web, "/user/register-manager", {"username": "boss9", "password": NEW_PASSWORD})
    assert response.json() == {"response": "注册成功"}


def test_register_manager_name_taken(web, manager, expert):
    log_in(web, manager)
    before = User.objects.count()
    response = post_json(web, "/user/register-manager", {"username": expert.username, "password": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"response": "注册失败,用户名已存在"}
    assert User.objects.count() == before
    expert.refresh_from_db()
    assert expert.role == Role.EXPERT


def test_register_manager_anonymous(web):
    response = post_json(web, "/user/register-manager", {"username": "boss9", "password": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"response": "未登录"}
    assert User.objects.count() == 0


@pytest.mark.parametrize("role", [Role.EXPERT, Role.RESEARCHER, Role.CITIZEN])
def test_register_manager_refuses_non_managers(web, role):
    user = UserFactory(username="caller", role=role)
    log_in(web, user)
    before = User.objects.count()
    response = post_json(web, "/user/register-manager", {"username": "boss9", "password": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"response": "非管理员用户"}
    assert User.objects.count() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": NEW_PASSWORD}, "username"),
        ({"username": "boss9"}, "password"),
        ({"username": "", "password": NEW_PASSWORD}, "username"),
        ({"username": "x" * 151, "password": NEW_PASSWORD}, "username"),
        ({"username": "boss9", "password": "123"}, "password"),
    ],
)
def test_register_manager_bad_input(web, manager, body, field):
    log_in(web, manager)
    before = User.objects.count()
    response = post_json(web, "/user/register-manager", body)
    assert_bad_parameter(response, field)
    assert User.objects.count() == before


def test_demoted_manager_is_refused_at_once(web, manager):
    log_in(web, manager)
    assert isinstance(web.get("/user/list").json()["response"], list)
    services.set_role(user=manager, role=Role.EXPERT)
    assert web.get("/user/list").json() == {"response": "非管理员用户"}
    before = User.objects.count()
    response = post_json(web, "/user/register-manager", {"username": "boss9", "password": NEW_PASSWORD})
    assert response.json() == {"response": "非管理员用户"}
    assert User.objects.count() == before
    assert web.get("/user/get-current").json()["usertype"] == "expert"


def test_blacklisted_session_counts_as_not_logged_in(web, manager):
    session_id = log_in(web, manager)
    services.set_client_type(user=manager, client_type=ClientType.BLACKLISTED)
    assert web.get("/user/get-current").json() == {"response": "未登录"}
    assert web.get("/user/list").json() == {"response": "未登录"}
    assert header_client(session_id).get("/user/get-current").json() == {"response": "未登录"}
    response = post_json(web, "/user/register-manager", {"username": "boss9", "password": NEW_PASSWORD})
    assert response.json() == {"response": "未登录"}
    assert not User.objects.filter(username="boss9").exists()


def test_deactivated_session_counts_as_not_logged_in(web, manager):
    log_in(web, manager)
    services.set_active(user=manager, active=False)
    assert web.get("/user/get-current").json() == {"response": "未登录"}
    assert web.get("/user/list").json() == {"response": "未登录"}


# --- Origin check on writes (qa-tasks.md §1.2) -----------------------------------------------------


@pytest.fixture
def strict_origins(settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    return settings


def test_foreign_origin_refused_on_register(web, strict_origins):
    body = {"username": "newdoc", "password": NEW_PASSWORD, "user_area": "law"}
    response = post_json(web, "/user/register", body, HTTP_ORIGIN=FOREIGN_ORIGIN)
    assert response.status_code == 403
    assert response.json() == {"response": "请求来源不被允许"}
    assert User.objects.count() == 0


def test_foreign_origin_refused_on_login(web, expert, strict_origins):
    body = {"username": expert.username, "password": PASSWORD}
    response = post_json(web, "/user/login", body, HTTP_ORIGIN=FOREIGN_ORIGIN)
    assert response.status_code == 403
    assert response.json() == {"response": "请求来源不被允许"}
    assert Session.objects.count() == 0
    assert web.get("/user/get-current").json() == {"response": "未登录"}


def test_foreign_origin_refused_on_register_manager(web, manager, strict_origins):
    log_in(web, manager)
    body = {"username": "boss9", "password": NEW_PASSWORD}
    response = post_json(web, "/user/register-manager", body, HTTP_ORIGIN=FOREIGN_ORIGIN)
    assert response.status_code == 403
    assert response.json() == {"response": "请求来源不被允许"}
    assert not User.objects.filter(username="boss9").exists()


@pytest.mark.parametrize("origin", ["null", "http://testserver.evil.example", "ftp://testserver"])
def test_odd_origins_refused(web, strict_origins, origin):
    body = {"username": "newdoc", "password": NEW_PASSWORD, "user_area": "law"}
    response = post_json(web, "/user/register", body, HTTP_ORIGIN=origin)
    assert response.status_code == 403
    assert User.objects.count() == 0


@pytest.mark.parametrize("origin", ["http://testserver", "https://app.example.org", None])
def test_own_and_listed_origins_allowed(web, strict_origins, origin):
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    body = {"username": "newdoc", "password": NEW_PASSWORD, "user_area": "law"}
    response = post_json(web, "/user/register", body, **extra)
    assert response.json() == {"response": "注册成功"}


def test_foreign_origin_may_read(web, strict_origins):
    response = web.get("/user/get-current", HTTP_ORIGIN=FOREIGN_ORIGIN)
    assert response.json() == {"response": "未登录"}


def test_session_cookie_is_samesite_lax(web, expert):
    response = post_json(web, "/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.cookies[django_settings.SESSION_COOKIE_NAME]["samesite"] == "Lax"


def test_groups_untouched_by_refusals(web, expert):
    """A refused registration leaves no user and no group membership behind."""
    members = Group.objects.get(name=MANAGERS_GROUP).user_set.count()
    post_json(web, "/user/register-manager", {"username": "boss9", "password": NEW_PASSWORD})
    post_json(web, "/user/register", {"username": "boss9", "password": "123", "user_area": "law"})
    assert Group.objects.get(name=MANAGERS_GROUP).user_set.count() == members
    assert not User.objects.filter(username="boss9").exists()
