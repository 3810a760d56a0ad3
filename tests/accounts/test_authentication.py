"""Where tokens are read, which source wins, what counts as a user token, and query strings kept out of logs
(DESIGN.md, Identity; videos.md §3.3; alerts.md §1)."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import pytest
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts import services
from accounts.authentication import PlatformTokenAuthentication, bearer_token, find_token
from accounts.families import AlertApiView, CrowdApiView
from accounts.models import ClientType, User
from accounts.tokens import TokenRejected, authenticate_user_token, issue_user_token
from labelplatform.logging import StripQueryStringFilter, strip_query
from tests.accounts.conftest import sign_platform_jwt
from tests.accounts.factories import PASSWORD, UserFactory

factory = APIRequestFactory()
PARSERS = [JSONParser(), FormParser(), MultiPartParser()]
CROWD_SOURCES = CrowdApiView.token_sources
REGISTER_SOURCES = ("body:cur_user.token", "body:token", "header")
ALERT_GET_SOURCES = ("query:token", "header")


def drf_request(method="post", path="/x", data=None, *, fmt="json", bearer=None, view=None, **extra):
    if bearer is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    if method == "get":
        django_request = factory.get(path, data, **extra)
    else:
        django_request = getattr(factory, method)(path, data, format=fmt, **extra)
    return Request(django_request, parsers=PARSERS, parser_context={"view": view} if view else None)


# --- find_token --------------------------------------------------------------------------------------


def test_crowd_sources_body_wins_over_bearer():
    request = drf_request(data={"user_token": "from-body"}, bearer="from-header")
    assert find_token(request, CROWD_SOURCES) == "from-body"


def test_crowd_sources_fall_back_to_bearer():
    request = drf_request(data={"data": []}, bearer="from-header")
    assert find_token(request, CROWD_SOURCES) == "from-header"


def test_form_encoded_body_token():
    request = drf_request(data={"user_token": "from-form", "pageSize": "1000"}, fmt="multipart", bearer="h")
    assert find_token(request, CROWD_SOURCES) == "from-form"
    request = drf_request(
        data="user_token=urlencoded&pageNumber=1", fmt=None, content_type="application/x-www-form-urlencoded"
    )
    assert find_token(request, CROWD_SOURCES) == "urlencoded"


@pytest.mark.parametrize("value", [None, "", 42, ["t"], {"t": 1}], ids=["null", "empty", "int", "list", "object"])
def test_a_non_string_or_empty_body_value_counts_as_absent(value):
    request = drf_request(data={"user_token": value}, bearer="from-header")
    assert find_token(request, CROWD_SOURCES) == "from-header"


def test_crowd_sources_never_read_the_query_string():
    request = drf_request(path="/x?user_token=from-query&token=from-query", data={})
    assert find_token(request, CROWD_SOURCES) is None


def test_register_sources_order():
    both = {"cur_user": {"username": "boss", "token": "cur-user"}, "token": "top-level"}
    assert find_token(drf_request(data=both, bearer="header"), REGISTER_SOURCES) == "cur-user"
    top = {"cur_user": {"username": "boss"}, "token": "top-level"}
    assert find_token(drf_request(data=top, bearer="header"), REGISTER_SOURCES) == "top-level"
    assert find_token(drf_request(data={"cur_user": "boss"}, bearer="header"), REGISTER_SOURCES) == "header"
    assert find_token(drf_request(data={"cur_user": ["x"]}), REGISTER_SOURCES) is None


def test_alert_get_sources_query_wins_over_bearer():
    request = drf_request("get", "/x", {"token": "from-query", "username": "ignored"}, bearer="from-header")
    assert find_token(request, ALERT_GET_SOURCES) == "from-query"
    assert find_token(drf_request("get", "/x", bearer="from-header"), ALERT_GET_SOURCES) == "from-header"


def test_default_source_is_the_bearer_header_only():
    request = drf_request(path="/x?token=q", data={"token": "b", "user_token": "b"})
    assert find_token(request) is None
    assert find_token(drf_request(data={"token": "b"}, bearer="h")) == "h"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("BEARER  abc ", "abc"),
        ("Bearer ", None),
        ("Bearer", None),
        ("Basic dXNlcjpwYXNz", None),
        ("Token abc", None),
        ("abc", None),
        ("", None),
    ],
)
def test_bearer_header_parsing(header, expected):
    request = drf_request("get", "/x", HTTP_AUTHORIZATION=header)
    assert bearer_token(request) == expected


def test_unknown_token_source_is_a_programming_error():
    with pytest.raises(ValueError):
        find_token(drf_request(data={}), ("cookie:token",))


# --- PlatformTokenAuthentication ---------------------------------------------------------------------


@pytest.mark.django_db
def test_authentication_uses_the_views_sources_body_first():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    request = drf_request(
        data={"user_token": issue_user_token(alice)}, bearer=issue_user_token(bob), view=CrowdApiView()
    )
    user, claims = PlatformTokenAuthentication().authenticate(request)
    assert user == alice
    assert claims["user_id"] == alice.pk


@pytest.mark.django_db
def test_a_bad_body_token_is_not_rescued_by_a_good_header():
    bob = UserFactory(username="bob")
    request = drf_request(data={"user_token": "garbage"}, bearer=issue_user_token(bob), view=CrowdApiView())
    with pytest.raises(exceptions.AuthenticationFailed) as refused:
        PlatformTokenAuthentication().authenticate(request)
    assert str(refused.value.detail) == "Not enough segments"


@pytest.mark.django_db
def test_query_source_for_views_that_declare_it():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    view = SimpleNamespace(token_sources=ALERT_GET_SOURCES)
    request = drf_request("get", "/x", {"token": issue_user_token(alice)}, bearer=issue_user_token(bob), view=view)
    user, _ = PlatformTokenAuthentication().authenticate(request)
    assert user == alice


@pytest.mark.django_db
def test_views_without_sources_read_the_header_only():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    view = AlertApiView()
    assert not hasattr(view, "token_sources")
    request = drf_request(
        path=f"/x?token={issue_user_token(alice)}", data={"token": issue_user_token(alice)}, view=view
    )
    assert PlatformTokenAuthentication().authenticate(request) is None
    request = drf_request(data={"token": issue_user_token(alice)}, bearer=issue_user_token(bob), view=view)
    assert PlatformTokenAuthentication().authenticate(request)[0] == bob


@pytest.mark.django_db
def test_blacklisted_user_is_permission_denied_not_authentication_failed():
    alice = UserFactory(username="alice")
    token = issue_user_token(alice)
    services.set_client_type(user=alice, client_type=ClientType.BLACKLISTED)
    with pytest.raises(exceptions.PermissionDenied):
        PlatformTokenAuthentication().authenticate(drf_request("get", "/x", bearer=token))


# --- through endpoints ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_register_body_token_wins_over_bearer(api_client, manager, citizen):
    new_user = {"username": "n1", "password": "pw", "role": "Full", "email": "n1@example.org"}
    body = {"cur_user": {"username": manager.username, "token": issue_user_token(manager)}, "new_user": new_user}
    response = api_client.post(
        "/api/v1/user/register/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {issue_user_token(citizen)}"
    )
    assert response.status_code == 200

    body = {"token": issue_user_token(citizen), "new_user": {**new_user, "username": "n2", "email": "n2@x.org"}}
    response = api_client.post(
        "/api/v1/user/register/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {issue_user_token(manager)}"
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="n2").exists()

    body = {"cur_user": {"token": "garbage"}, "token": issue_user_token(manager), "new_user": new_user}
    response = api_client.post("/api/v1/user/register/", body, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_me_reads_the_bearer_header_not_the_query_string(api_client, citizen):
    token = issue_user_token(citizen)
    assert api_client.get(f"/api/v1/me/?token={token}").status_code == 401
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


# --- what is a user token ----------------------------------------------------------------------------


def _video_token(user_id: int) -> str:
    now = int(time.time())
    return sign_platform_jwt(
        {"iat": now, "nbf": now, "jti": "0f" * 8, "video_id_list": [3, 1, 2], "batch_id": 7, "user_id": user_id}
    )


def _device_token(user_id: int) -> str:
    now = int(time.time())
    return sign_platform_jwt(
        {
            "token_type": "device",
            "device_id": 1,
            "truck_id": 2,
            "mac": "aa:bb:cc:dd:ee:ff",
            "token_version": 1,
            "user_id": user_id,
            "exp": now + 600,
            "jti": "d",
        }
    )


def _refresh_token(user_id: int) -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(User.objects.get(pk=user_id)))


@pytest.mark.django_db
@pytest.mark.parametrize("make", [_video_token, _device_token, _refresh_token], ids=["video", "device", "refresh"])
def test_other_kinds_of_platform_jwt_are_not_user_tokens(api_client, citizen, make):
    token = make(citizen.pk)

    with pytest.raises(TokenRejected) as rejected:
        authenticate_user_token(token)
    assert rejected.value.code == "token_wrong_type"
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert "username" not in response.json()


@pytest.mark.django_db
def test_access_token_without_a_user_is_refused(api_client):
    token = sign_platform_jwt({"token_type": "access", "exp": int(time.time()) + 60, "jti": "x"})
    with pytest.raises(TokenRejected) as rejected:
        authenticate_user_token(token)
    assert rejected.value.reason == "User not found"
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.django_db
def test_token_signed_with_another_key_or_algorithm_is_refused(api_client, citizen):
    payload = {"token_type": "access", "user_id": citizen.pk, "exp": int(time.time()) + 60, "jti": "x"}
    foreign = sign_platform_jwt(payload, key="another-secret-another-secret-another-secret")
    import jwt

    unsigned = jwt.encode(payload, None, algorithm="none")
    for token in (foreign, unsigned):
        with pytest.raises(TokenRejected):
            authenticate_user_token(token)
        assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.django_db
def test_pair_access_token_with_string_user_id_is_a_user_token(api_client, citizen):
    access = api_client.post("/api/token/", {"username": "joe", "password": PASSWORD}, format="json").json()["access"]
    assert authenticate_user_token(access).user == citizen


# --- query strings never reach a log -----------------------------------------------------------------


SECRET = "s3cr3t-t0ken-value"


def _all_logged_text(records) -> str:
    parts = []
    for record in records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


@pytest.mark.django_db
def test_query_strings_never_reach_the_logs(client, caplog, citizen):
    caplog.set_level(logging.DEBUG)
    requests = [
        ("get", f"/api/v1/me/?token={SECRET}"),
        ("get", f"/api/v1/me/?token={SECRET}&username=joe"),
        ("post", f"/api/v1/login?token={SECRET}"),
        ("post", f"/api/v1/user/login/?password={SECRET}"),
        ("get", f"/api/v1/alert/?token={SECRET}"),
        ("get", f"/no/such/page?token={SECRET}"),
    ]
    for method, url in requests:
        getattr(client, method)(url)

    access_lines = [r.getMessage() for r in caplog.records if r.name == "labelplatform.access"]
    assert len(access_lines) == len(requests)
    assert any("/api/v1/me/ 401" in line for line in access_lines)
    assert SECRET not in _all_logged_text(caplog.records)


@pytest.mark.parametrize("logger_name", ["django.server", "uvicorn.error", "uvicorn"])
def test_server_loggers_strip_query_strings(caplog, logger_name):
    logger = logging.getLogger(logger_name)
    logger.addHandler(caplog.handler)  # these loggers do not propagate to the root logger
    try:
        logger.warning('"%s" %s %s', f"GET /ws/alert/?token={SECRET} HTTP/1.1", 101, 0)
        logger.warning(f'127.0.0.1:5000 - "WebSocket /ws/alert/?token={SECRET}" [accepted]')
    finally:
        logger.removeHandler(caplog.handler)
    messages = [r.getMessage() for r in caplog.records if r.name == logger_name]
    assert len(messages) == 2
    assert SECRET not in "\n".join(messages)
    assert "/ws/alert/" in messages[0]


def test_console_handler_strips_query_strings():
    console = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert console, "the root logger writes through the filtered console handler"
    assert any(isinstance(f, StripQueryStringFilter) for f in console[0].filters)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"GET /api/v1/alert/?token={SECRET}&username=a HTTP/1.1", "GET /api/v1/alert/ HTTP/1.1"),
        (f'"GET /x?token={SECRET}" 200', '"GET /x" 200'),
        (f"ws://host/ws/alert/?token={SECRET}", "ws://host/ws/alert/"),
        ("GET /x HTTP/1.1", "GET /x HTTP/1.1"),
        ("a question?", "a question"),
        (42, 42),
    ],
)
def test_strip_query(value, expected):
    assert strip_query(value) == expected


def test_filter_strips_message_and_args():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f"open /a?token={SECRET} %s", (f"/b?t={SECRET}",), None)
    assert StripQueryStringFilter().filter(record) is True
    assert SECRET not in record.getMessage()
    assert record.getMessage() == "open /a /b"
    mapping = logging.LogRecord("x", logging.INFO, __file__, 1, "%(path)s", None, None)
    mapping.args = {"path": f"/c?token={SECRET}"}
    StripQueryStringFilter().filter(mapping)
    assert mapping.getMessage() == "/c"
