"""Seed 001 users: `POST`/`PUT /api/v1/user/register/` and `POST /api/v1/user/login/` (alerts.md §1, §3, §5.1-5.3)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from accounts import services
from accounts.models import ALERT_WATCHERS_GROUP, MANAGERS_GROUP, ClientType, Role, User
from accounts.tokens import issue_user_token
from tests.accounts.conftest import decode, is_watcher, sign_platform_jwt
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/user/register/"
LOGIN = "/api/v1/user/login/"
STATUS_TEXT = {
    400: "Bad Requests",
    401: "Unauthorized",
    403: "Forbidden",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
}


def assert_error(response, code: int, message: str | None = None) -> None:
    """The seed 001 error envelope, with the HTTP status equal to `code`."""
    assert response.status_code == code, response.content
    body = response.json()
    assert set(body) == {"code", "status_code", "error"}
    assert body["code"] == code
    assert body["status_code"] == STATUS_TEXT[code]
    if message is not None:
        assert body["error"] == message


def assert_user_answer(response) -> dict:
    """`{"code": 200, "status_code": "Success", "data": {"id", "token"}}` on HTTP 200; returns `data`."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"code", "status_code", "data"}
    assert body["code"] == 200
    assert body["status_code"] == "Success"
    assert set(body["data"]) == {"id", "token"}
    assert decode(body["data"]["token"])["user_id"] == body["data"]["id"]
    return body["data"]


def new_user(**overrides) -> dict:
    fields = {"username": "watcher1", "password": "s3cret-Pass", "role": "Full", "email": "watcher1@example.org"}
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not ...}


def body_for(caller, token: str | None = None, **new_fields) -> dict:
    """The documented body: `{"cur_user": {"username", "token"}, "new_user": {...}}`."""
    return {
        "cur_user": {"username": caller.username, "token": token or issue_user_token(caller)},
        "new_user": new_user(**new_fields),
    }


def send(client, body, *, method: str = "post", **kwargs):
    return getattr(client, method)(REGISTER, body, format="json", **kwargs)


def snapshot() -> list[tuple]:
    """Everything registration may write: users (with password hashes) and group memberships."""
    return [
        (u.pk, u.username, u.password, u.email, u.role, u.client_type, u.is_staff, u.is_active)
        for u in User.objects.order_by("pk")
    ] + [tuple(sorted(g.user_set.values_list("pk", flat=True))) for g in Group.objects.order_by("name")]


def me(client, token: str):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def manager_token(manager):
    return issue_user_token(manager)


# --- POST: success -----------------------------------------------------------------------------------


def test_register_with_the_documented_body(api_client, manager):
    response = send(api_client, body_for(manager))

    data = assert_user_answer(response)
    user = User.objects.get(username="watcher1")
    assert data["id"] == user.pk
    assert user.email == "watcher1@example.org"
    assert user.role == Role.CITIZEN
    assert is_watcher(user)
    assert user.is_active


def test_register_with_top_level_token(api_client, manager_token):
    response = send(api_client, {"token": manager_token, "new_user": new_user()})
    assert_user_answer(response)
    assert User.objects.filter(username="watcher1").exists()


def test_register_with_bearer_header(api_client, manager_token):
    response = send(api_client, {"new_user": new_user()}, HTTP_AUTHORIZATION=f"Bearer {manager_token}")
    assert_user_answer(response)
    assert User.objects.filter(username="watcher1").exists()


def test_register_with_cur_user_username_and_bearer_header(api_client, manager, manager_token):
    body = {"cur_user": {"username": manager.username}, "new_user": new_user()}
    response = send(api_client, body, HTTP_AUTHORIZATION=f"Bearer {manager_token}")
    assert_user_answer(response)


def test_superuser_may_register(api_client):
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    assert_user_answer(send(api_client, body_for(root)))
    assert User.objects.filter(username="watcher1").exists()


def test_superuser_whatever_the_role_may_register(api_client):
    root = UserFactory(username="root2", role=Role.CITIZEN)
    User.objects.filter(pk=root.pk).update(is_superuser=True)
    assert_user_answer(send(api_client, body_for(root)))


def test_returned_token_is_the_new_users_and_works(api_client, manager):
    data = assert_user_answer(send(api_client, body_for(manager)))

    response = me(api_client, data["token"])
    assert response.status_code == 200
    assert response.json()["username"] == "watcher1"
    claims = decode(data["token"])
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == int(timedelta(days=7).total_seconds())


def test_returned_token_lifetime_follows_settings(api_client, manager, settings):
    settings.USER_TOKEN_LIFETIME = timedelta(minutes=90)
    claims = decode(assert_user_answer(send(api_client, body_for(manager)))["token"])
    assert claims["exp"] - claims["iat"] == 90 * 60


def test_password_is_hashed_with_the_platform_hasher(api_client, manager, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    send(api_client, body_for(manager, password="Plain-Text-99"))

    user = User.objects.get(username="watcher1")
    assert "Plain-Text-99" not in user.password
    assert user.password.startswith("pbkdf2_sha256$")
    assert user.check_password("Plain-Text-99")


def test_registered_user_can_log_in(api_client, manager):
    send(api_client, body_for(manager, password="x"))  # the seed applies no password policy
    response = api_client.post(LOGIN, {"username": "watcher1", "password": "x"}, format="json")
    assert assert_user_answer(response)["id"] == User.objects.get(username="watcher1").pk


def test_password_of_254_characters_is_accepted(api_client, manager):
    assert_user_answer(send(api_client, body_for(manager, password="p" * 254)))
    assert User.objects.get(username="watcher1").check_password("p" * 254)


def test_no_trailing_slash_is_also_served(api_client, manager):
    response = api_client.post(REGISTER.rstrip("/"), body_for(manager), format="json")
    assert_user_answer(response)


@pytest.mark.parametrize(
    ("role", "platform_role", "watcher", "client_type"),
    [
        ("Admin", Role.MANAGER, True, ClientType.LAYPERSON),
        ("admin", Role.MANAGER, True, ClientType.LAYPERSON),
        ("manager", Role.MANAGER, True, ClientType.LAYPERSON),
        ("MANAGER", Role.MANAGER, True, ClientType.LAYPERSON),
        ("Full", Role.CITIZEN, True, ClientType.LAYPERSON),
        ("full", Role.CITIZEN, True, ClientType.LAYPERSON),
        ("Limited", Role.CITIZEN, True, ClientType.LAYPERSON),
        ("Unauthorized", Role.CITIZEN, False, ClientType.LAYPERSON),
        ("expert", Role.EXPERT, False, ClientType.LAYPERSON),
        ("researcher", Role.RESEARCHER, False, ClientType.RESEARCHER),
        ("Researcher", Role.RESEARCHER, False, ClientType.RESEARCHER),
        ("citizen", Role.CITIZEN, False, ClientType.LAYPERSON),
    ],
)
def test_role_mapping(api_client, manager, role, platform_role, watcher, client_type):
    assert_user_answer(send(api_client, body_for(manager, role=role)))

    user = User.objects.get(username="watcher1")
    assert user.role == platform_role
    assert is_watcher(user) is watcher
    assert user.client_type == client_type
    assert user.is_staff is (platform_role in (Role.MANAGER, Role.RESEARCHER))
    assert user.groups.filter(name=MANAGERS_GROUP).exists() is (platform_role == Role.MANAGER)


def test_a_registered_admin_may_register_users(api_client, manager):
    data = assert_user_answer(send(api_client, body_for(manager, role="Admin", username="admin2")))
    admin = User.objects.get(pk=data["id"])
    response = send(api_client, body_for(admin, token=data["token"], username="watcher9", email="w9@example.org"))
    assert_user_answer(response)


# --- POST: errors, in the documented order -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (None, None),
        ("", "application/json"),
        ("{}", "application/json"),
        ("{broken", "application/json"),
        ("[]", "application/json"),
        ('[{"new_user": {}}]', "application/json"),
        ('"text"', "application/json"),
        ("null", "application/json"),
        ("username=a", "text/plain"),
    ],
    ids=["no-body", "empty", "empty-object", "malformed", "empty-array", "array", "string", "null", "not-json"],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_no_input_data(api_client, manager_token, data, content_type, method):
    before = snapshot()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {manager_token}"}
    if data is None:
        response = getattr(api_client, method.lower())(REGISTER, **headers)
    else:
        response = api_client.generic(method, REGISTER, data, content_type=content_type, **headers)
    assert_error(response, 400, "No input data provided")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"new_user": new_user()},
        {"cur_user": {"username": "boss"}, "new_user": new_user()},
        {"cur_user": {"username": "boss", "token": ""}, "new_user": new_user()},
        {"cur_user": {"username": "boss", "token": None}, "new_user": new_user()},
        {"token": "", "new_user": new_user()},
        {"cur_user": "boss", "new_user": new_user()},
    ],
    ids=["no-cur-user", "no-token", "empty-token", "null-token", "empty-top-level", "cur-user-string"],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_missing_token(api_client, manager, body, method):
    before = snapshot()
    assert_error(send(api_client, body, method=method), 400, 'Missing "token" field in payload')
    assert snapshot() == before


def _expired(user):
    return issue_user_token(user, lifetime=timedelta(seconds=-60))


def _foreign_key(user):
    return sign_platform_jwt(
        {"token_type": "access", "user_id": user.pk, "exp": int(time.time()) + 600, "jti": "x"},
        key="someone-elses-signing-key-someone-elses-key",
    )


def _refresh(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(user))


def _device(user):
    now = int(time.time())
    return sign_platform_jwt(
        {
            "token_type": "device",
            "device_id": 1,
            "truck_id": 1,
            "mac": "aa:bb:cc:dd:ee:ff",
            "token_version": 1,
            "user_id": user.pk,
            "iat": now,
            "exp": now + 600,
            "jti": "d",
        }
    )


def _video(user):
    now = int(time.time())
    return sign_platform_jwt(
        {"iat": now, "nbf": now, "jti": "abcd", "video_id_list": [1, 2], "batch_id": 1, "user_id": user.pk}
    )


def _inactive(user):
    token = issue_user_token(user)
    services.set_active(user=user, active=False)
    return token


def _deleted(user):
    token = issue_user_token(user)
    User.objects.filter(pk=user.pk).delete()
    return token


WRONG_TOKENS = {
    "garbage": lambda user: "not.a.jwt",
    "one-segment": lambda user: "abc",
    "expired": _expired,
    "foreign-key": _foreign_key,
    "refresh-token": _refresh,
    "device-token": _device,
    "video-token": _video,
    "inactive-user": _inactive,
    "deleted-user": _deleted,
}


@pytest.mark.parametrize("kind", list(WRONG_TOKENS))
@pytest.mark.parametrize("method", ["post", "put"])
def test_wrong_token(api_client, manager, citizen, kind, method):
    token = WRONG_TOKENS[kind](manager)
    before = snapshot()
    body = {"token": token, "new_user": new_user(username=citizen.username)}
    assert_error(send(api_client, body, method=method), 401, "Wrong token")
    assert snapshot() == before


@pytest.mark.parametrize("method", ["post", "put"])
def test_cur_user_username_not_the_tokens_user(api_client, manager, other_manager, citizen, method):
    body = body_for(manager, username=citizen.username)
    body["cur_user"]["username"] = other_manager.username
    before = snapshot()
    assert_error(send(api_client, body, method=method), 401, "Wrong token")
    assert snapshot() == before


def test_wrong_token_comes_before_a_bad_new_user(api_client, manager):
    body = {"token": "garbage", "new_user": {"username": "bad name!", "password": "p" * 300}}
    assert_error(send(api_client, body), 401, "Wrong token")


@pytest.fixture(params=["citizen", "expert", "researcher", "watcher", "labeler", "blacklisted-manager"])
def non_manager(request, db):
    if request.param == "watcher":
        return UserFactory(username="alice", role=Role.CITIZEN, watcher=True)
    if request.param == "labeler":
        return services.log_in_labeler(client_id="uuid.labeler").user
    if request.param == "blacklisted-manager":
        user = UserFactory(username="exboss", role=Role.MANAGER)
        return services.set_client_type(user=user, client_type=ClientType.BLACKLISTED)
    return UserFactory(username=f"a-{request.param}", role=request.param)


@pytest.mark.parametrize("method", ["post", "put"])
def test_non_manager_is_refused(api_client, non_manager, citizen, method):
    before = snapshot()
    body = body_for(non_manager, username=citizen.username, role="Admin")
    assert_error(send(api_client, body, method=method), 403, "Current user don't has permission")
    assert snapshot() == before


def test_permission_comes_before_a_bad_new_user(api_client, citizen):
    body = {"token": issue_user_token(citizen)}
    assert_error(send(api_client, body), 403, "Current user don't has permission")


@pytest.mark.parametrize("method", ["post", "put"])
def test_missing_new_user(api_client, manager, method):
    before = snapshot()
    body = {"cur_user": {"username": manager.username, "token": issue_user_token(manager)}}
    assert_error(send(api_client, body, method=method), 400, 'Missing "new_user" field in payload')
    assert snapshot() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("watcher1", 'Wrong type for "new_user" field in payload'),
        (["watcher1"], 'Wrong type for "new_user" field in payload'),
        (3, 'Wrong type for "new_user" field in payload'),
        (None, 'Missing value for "new_user" field in payload'),
        ("", 'Missing value for "new_user" field in payload'),
    ],
    ids=["string", "list", "int", "null", "empty"],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_new_user_not_an_object(api_client, manager, value, message, method):
    before = snapshot()
    body = body_for(manager)
    body["new_user"] = value
    assert_error(send(api_client, body, method=method), 400, message)
    assert snapshot() == before


@pytest.mark.parametrize("field", ["username", "password", "email", "role"])
def test_missing_field(api_client, manager, field):
    before = snapshot()
    assert_error(send(api_client, body_for(manager, **{field: ...})), 400, f'Missing "{field}" field in payload')
    assert snapshot() == before


@pytest.mark.parametrize("empty", ["", None], ids=["empty", "null"])
@pytest.mark.parametrize("field", ["username", "password", "email", "role"])
def test_empty_field(api_client, manager, field, empty):
    before = snapshot()
    response = send(api_client, body_for(manager, **{field: empty}))
    assert_error(response, 400, f'Missing value for "{field}" field in payload')
    assert snapshot() == before


@pytest.mark.parametrize("value", [12, 1.5, True, ["a"], {"a": 1}], ids=["int", "float", "bool", "list", "object"])
@pytest.mark.parametrize("field", ["username", "password", "email", "role"])
def test_wrong_type(api_client, manager, field, value):
    before = snapshot()
    response = send(api_client, body_for(manager, **{field: value}))
    assert_error(response, 400, f'Wrong type for "{field}" field in payload')
    assert snapshot() == before


def test_fields_are_checked_in_the_documented_order(api_client, manager):
    body = body_for(manager, username=..., password=..., email=..., role=...)
    assert_error(send(api_client, body), 400, 'Missing "username" field in payload')
    body = body_for(manager, password=..., email=..., role="")
    assert_error(send(api_client, body), 400, 'Missing "password" field in payload')
    body = body_for(manager, email=..., role="")
    assert_error(send(api_client, body), 400, 'Missing "email" field in payload')
    body = body_for(manager, password="p" * 300, role="")
    assert_error(send(api_client, body), 400, 'Missing value for "role" field in payload')


@pytest.mark.parametrize("length", [255, 256, 10_000])
def test_password_too_large(api_client, manager, length):
    before = snapshot()
    assert_error(send(api_client, body_for(manager, password="p" * length)), 413, "Password is too large.")
    assert snapshot() == before


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.org", "a b@example.org", "a@b@example.org"])
def test_bad_email(api_client, manager, email):
    before = snapshot()
    assert_error(send(api_client, body_for(manager, email=email)), 400, "Email doesn't has correct format.")
    assert snapshot() == before


@pytest.mark.parametrize("username", ["bad name", "semi;colon", "slash/", "x" * 151, "quote'"])
def test_bad_username(api_client, manager, username):
    before = snapshot()
    response = send(api_client, body_for(manager, username=username))
    assert_error(response, 400, "Username doesn't has correct format.")
    assert snapshot() == before


def test_username_of_150_characters_is_accepted(api_client, manager):
    assert_user_answer(send(api_client, body_for(manager, username="u" * 150)))


def test_username_taken(api_client, manager, citizen):
    before = snapshot()
    response = send(api_client, body_for(manager, username=citizen.username))
    assert_error(response, 409, "Username already register.")
    assert snapshot() == before


@pytest.mark.parametrize("case", [str.lower, str.upper], ids=["same", "other-case"])
def test_email_taken(api_client, manager, citizen, case):
    before = snapshot()
    response = send(api_client, body_for(manager, email=case(citizen.email)))
    assert_error(response, 409, "Email already register.")
    assert snapshot() == before


@pytest.mark.parametrize("role", ["superuser", "root", "Admins", "watcher", " Admin"])
def test_unknown_role(api_client, manager, role):
    before = snapshot()
    assert_error(send(api_client, body_for(manager, role=role)), 409, "Role doesn't exists.")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (
            {"password": "p" * 255, "email": "bad", "username": "bad name", "role": "nope"},
            413,
            "Password is too large.",
        ),
        ({"email": "bad", "username": "bad name", "role": "nope"}, 400, "Email doesn't has correct format."),
        ({"username": "bad name", "role": "nope"}, 400, "Username doesn't has correct format."),
        ({"username": "joe", "email": "joe@example.org", "role": "nope"}, 409, "Username already register."),
        ({"email": "joe@example.org", "role": "nope"}, 409, "Email already register."),
    ],
    ids=["password-first", "then-email", "then-username", "then-username-taken", "then-email-taken"],
)
def test_validation_order(api_client, manager, citizen, fields, code, message):
    assert citizen.username == "joe"
    before = snapshot()
    assert_error(send(api_client, body_for(manager, **fields)), code, message)
    assert snapshot() == before


def test_register_is_post_or_put_only(api_client, manager_token):
    response = api_client.get(REGISTER, HTTP_AUTHORIZATION=f"Bearer {manager_token}")
    assert_error(response, 405)


# --- PUT ---------------------------------------------------------------------------------------------


@pytest.fixture
def target(db):
    return UserFactory(username="target", email="target@example.org", role=Role.CITIZEN, watcher=True)


def put(client, caller, **fields):
    return send(client, body_for(caller, **{"password": ..., "email": ..., "role": ..., **fields}), method="put")


def test_put_unknown_username(api_client, manager):
    before = snapshot()
    assert_error(put(api_client, manager, username="nobody"), 400, "User doesn't exists")
    assert snapshot() == before


def test_put_requires_username(api_client, manager):
    before = snapshot()
    response = send(api_client, body_for(manager, username=..., password="x"), method="put")
    assert_error(response, 400, 'Missing "username" field in payload')
    assert snapshot() == before


def test_put_with_only_a_username_changes_nothing_and_answers_a_token(api_client, manager, target):
    before = User.objects.get(pk=target.pk)
    data = assert_user_answer(put(api_client, manager, username="target"))
    after = User.objects.get(pk=target.pk)
    assert data["id"] == target.pk
    assert (after.password, after.email, after.role) == (before.password, before.email, before.role)
    assert is_watcher(after)


def test_put_password_only(api_client, manager, target):
    data = assert_user_answer(put(api_client, manager, username="target", password="Brand-New-1"))

    user = User.objects.get(pk=target.pk)
    assert data["id"] == target.pk
    assert user.check_password("Brand-New-1")
    assert not user.check_password(PASSWORD)
    assert "Brand-New-1" not in user.password
    assert (user.email, user.role) == ("target@example.org", Role.CITIZEN)
    assert is_watcher(user)
    login = api_client.post(LOGIN, {"username": "target", "password": "Brand-New-1"}, format="json")
    assert login.status_code == 200


def test_put_email_only(api_client, manager, target):
    original_hash = target.password
    assert_user_answer(put(api_client, manager, username="target", email="new@example.org"))
    user = User.objects.get(pk=target.pk)
    assert user.email == "new@example.org"
    assert user.password == original_hash
    assert user.role == Role.CITIZEN
    assert is_watcher(user)


def test_put_own_email_again_is_not_a_conflict(api_client, manager, target):
    assert_user_answer(put(api_client, manager, username="target", email="TARGET@example.org"))


def test_put_email_of_another_user_is_409(api_client, manager, target, citizen):
    before = snapshot()
    response = put(api_client, manager, username="target", email=citizen.email, password="Changed-1")
    assert_error(response, 409, "Email already register.")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"password": "p" * 255}, 413, "Password is too large."),
        ({"password": "Changed-1", "email": "broken"}, 400, "Email doesn't has correct format."),
        ({"password": "Changed-1", "role": "nope"}, 409, "Role doesn't exists."),
        ({"password": "Changed-1", "email": ""}, 400, 'Missing value for "email" field in payload'),
        ({"password": "Changed-1", "role": 3}, 400, 'Wrong type for "role" field in payload'),
        ({"password": None}, 400, 'Missing value for "password" field in payload'),
    ],
    ids=["password-too-large", "bad-email", "unknown-role", "empty-email", "role-type", "null-password"],
)
def test_put_errors_write_nothing(api_client, manager, target, fields, code, message):
    before = snapshot()
    assert_error(put(api_client, manager, username="target", **fields), code, message)
    assert snapshot() == before


def test_put_answers_a_fresh_token_of_the_updated_user(api_client, manager, target):
    old = decode(issue_user_token(target))
    data = assert_user_answer(put(api_client, manager, username="target", role="Admin"))

    claims = decode(data["token"])
    assert claims["user_id"] == target.pk
    assert claims["jti"] != old["jti"]
    assert claims["exp"] - claims["iat"] == int(timedelta(days=7).total_seconds())
    response = me(api_client, data["token"])
    assert response.status_code == 200
    assert response.json()["role"] == Role.MANAGER


@pytest.mark.parametrize(
    ("role", "platform_role", "watcher"),
    [
        ("Unauthorized", Role.CITIZEN, False),
        ("Limited", Role.CITIZEN, True),
        ("Admin", Role.MANAGER, True),
        ("expert", Role.EXPERT, False),
        ("researcher", Role.RESEARCHER, False),
        ("citizen", Role.CITIZEN, False),
    ],
)
def test_put_role_replaces_role_and_watcher_membership(api_client, manager, target, role, platform_role, watcher):
    assert_user_answer(put(api_client, manager, username="target", role=role))
    user = User.objects.get(pk=target.pk)
    assert user.role == platform_role
    assert is_watcher(user) is watcher
    assert user.groups.filter(name=MANAGERS_GROUP).exists() is (platform_role == Role.MANAGER)


def test_put_demoting_a_manager(api_client, manager, other_manager):
    services.set_watcher(user=other_manager, watcher=True)
    assert_user_answer(put(api_client, manager, username=other_manager.username, role="Full"))
    user = User.objects.get(pk=other_manager.pk)
    assert user.role == Role.CITIZEN
    assert not user.is_staff
    assert is_watcher(user)
    assert not user.groups.filter(name=MANAGERS_GROUP).exists()


def test_put_researcher_then_citizen_moves_the_client_type(api_client, manager, target):
    assert_user_answer(put(api_client, manager, username="target", role="researcher"))
    assert User.objects.get(pk=target.pk).client_type == ClientType.RESEARCHER
    assert_user_answer(put(api_client, manager, username="target", role="Full"))
    user = User.objects.get(pk=target.pk)
    assert (user.role, user.client_type) == (Role.CITIZEN, ClientType.LAYPERSON)
    assert is_watcher(user)


def test_put_by_top_level_token_and_bearer(api_client, manager, target):
    body = {"token": issue_user_token(manager), "new_user": {"username": "target", "email": "a@example.org"}}
    assert_user_answer(send(api_client, body, method="put"))
    body = {"new_user": {"username": "target", "email": "b@example.org"}}
    response = send(api_client, body, method="put", HTTP_AUTHORIZATION=f"Bearer {issue_user_token(manager)}")
    assert_user_answer(response)
    assert User.objects.get(pk=target.pk).email == "b@example.org"


# --- login -------------------------------------------------------------------------------------------


def test_login(api_client, citizen):
    response = api_client.post(LOGIN, {"username": citizen.username, "password": PASSWORD}, format="json")

    data = assert_user_answer(response)
    assert data["id"] == citizen.pk
    claims = decode(data["token"])
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == int(timedelta(days=7).total_seconds())
    assert me(api_client, data["token"]).json()["id"] == citizen.pk


def test_login_without_trailing_slash(api_client, citizen):
    response = api_client.post(LOGIN.rstrip("/"), {"username": "joe", "password": PASSWORD}, format="json")
    assert assert_user_answer(response)["id"] == citizen.pk


@pytest.mark.parametrize(
    ("username", "password"),
    [("joe", "wrong"), ("nobody", PASSWORD), ("JOE", PASSWORD), ("joe", PASSWORD.upper())],
    ids=["wrong-password", "unknown-user", "username-case", "password-case"],
)
def test_login_wrong_pair(api_client, citizen, username, password):
    response = api_client.post(LOGIN, {"username": username, "password": password}, format="json")
    assert_error(response, 401, "Wrong username or password.")


def test_inactive_user_cannot_log_in(api_client, citizen):
    services.set_active(user=citizen, active=False)
    response = api_client.post(LOGIN, {"username": "joe", "password": PASSWORD}, format="json")
    assert_error(response, 401, "Wrong username or password.")


def test_blacklisted_user_cannot_log_in(api_client, citizen):
    services.set_client_type(user=citizen, client_type=ClientType.BLACKLISTED)
    response = api_client.post(LOGIN, {"username": "joe", "password": PASSWORD}, format="json")
    assert_error(response, 401, "Wrong username or password.")


def test_user_without_password_cannot_log_in(api_client):
    labeler = services.log_in_labeler(client_id="uuid.np").user
    response = api_client.post(LOGIN, {"username": labeler.username, "password": ""}, format="json")
    assert_error(response, 400)
    response = api_client.post(LOGIN, {"username": labeler.username, "password": "!"}, format="json")
    assert_error(response, 401, "Wrong username or password.")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "No input data provided"),
        ({}, "No input data provided"),
        ({"password": PASSWORD}, 'Missing "username" field in payload'),
        ({"username": "joe"}, 'Missing "password" field in payload'),
        ({"username": "", "password": PASSWORD}, 'Missing value for "username" field in payload'),
        ({"username": "joe", "password": 123}, 'Wrong type for "password" field in payload'),
    ],
    ids=["no-body", "empty", "no-username", "no-password", "empty-username", "password-type"],
)
def test_login_bad_input(api_client, citizen, body, message):
    response = api_client.post(LOGIN, body, format="json") if body is not None else api_client.post(LOGIN)
    assert_error(response, 400, message)


def test_login_malformed_json(api_client, citizen):
    response = api_client.generic("POST", LOGIN, "{oops", content_type="application/json")
    assert_error(response, 400, "No input data provided")


def test_login_does_not_write_a_labeler_connection(api_client, citizen):
    from accounts.models import Connection

    api_client.post(LOGIN, {"username": "joe", "password": PASSWORD}, format="json")
    assert not Connection.objects.exists()


def test_login_throttle_per_ip(api_client, citizen, settings):
    settings.LOGIN_RATE = "2/min"
    for username in ("joe", "nobody"):
        api_client.post(LOGIN, {"username": username, "password": "wrong"}, format="json")

    response = api_client.post(LOGIN, {"username": "joe", "password": PASSWORD}, format="json")

    assert_error(response, 429, "Too many requests.")
    assert int(response["Retry-After"]) > 0


def test_login_throttle_per_username(api_client, citizen, settings):
    settings.LOGIN_RATE = "2/min"
    for n in range(2):
        api_client.post(LOGIN, {"username": "joe", "password": "wrong"}, format="json", REMOTE_ADDR=f"10.0.0.{n}")

    response = api_client.post(LOGIN, {"username": "joe", "password": PASSWORD}, format="json", REMOTE_ADDR="10.9.9.9")
    assert_error(response, 429, "Too many requests.")
    other = api_client.post(LOGIN, {"username": "nobody", "password": "x"}, format="json", REMOTE_ADDR="10.9.9.8")
    assert_error(other, 401, "Wrong username or password.")


def test_login_is_post_only(api_client):
    assert_error(api_client.get(LOGIN), 405)


def test_watcher_group_exists():
    """Created by a data migration; registration relies on it."""
    assert Group.objects.filter(name=ALERT_WATCHERS_GROUP).exists()
